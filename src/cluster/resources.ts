/** The built-in resources kbench's workloads create and read, and their REST paths. */
export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  resource: string;
  namespaced: boolean;
  /** Pods an object of this kind makes: 1 for a Pod, spec.replicas for workloads. */
  podsOf?(obj: Record<string, unknown>): number;
}

function replicas(obj: Record<string, unknown>): number {
  const spec = obj.spec as Record<string, unknown> | undefined;
  return typeof spec?.replicas === 'number' ? spec.replicas : 1;
}

export const RESOURCE_TYPES: readonly ResourceType[] = [
  { group: '', version: 'v1', kind: 'Pod', resource: 'pods', namespaced: true, podsOf: () => 1 },
  { group: 'apps', version: 'v1', kind: 'Deployment', resource: 'deployments', namespaced: true, podsOf: replicas },
  { group: 'apps', version: 'v1', kind: 'ReplicaSet', resource: 'replicasets', namespaced: true, podsOf: replicas },
  { group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', namespaced: true },
  { group: '', version: 'v1', kind: 'Secret', resource: 'secrets', namespaced: true },
  { group: '', version: 'v1', kind: 'Service', resource: 'services', namespaced: true },
  { group: '', version: 'v1', kind: 'ServiceAccount', resource: 'serviceaccounts', namespaced: true },
  { group: '', version: 'v1', kind: 'Event', resource: 'events', namespaced: true },
  { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', resource: 'leases', namespaced: true },
  { group: '', version: 'v1', kind: 'Namespace', resource: 'namespaces', namespaced: false },
  { group: '', version: 'v1', kind: 'Node', resource: 'nodes', namespaced: false },
];

export function typeForKind(apiVersion: unknown, kind: unknown): ResourceType | undefined {
  const [group, version] = typeof apiVersion === 'string' && apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  return RESOURCE_TYPES.find((t) => t.kind === kind && t.group === group && t.version === version);
}

export function typeForResource(resource: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.resource === resource);
}

function base(t: ResourceType): string {
  return t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
}

/** Collection path: /api/v1/namespaces/ns/pods, or cluster-wide /api/v1/pods. */
export function collectionPath(t: ResourceType, namespace?: string): string {
  return t.namespaced && namespace ? `${base(t)}/namespaces/${namespace}/${t.resource}` : `${base(t)}/${t.resource}`;
}

export function objectPath(t: ResourceType, namespace: string | undefined, name: string, subresource?: string): string {
  const p = `${collectionPath(t, namespace)}/${name}`;
  return subresource ? `${p}/${subresource}` : p;
}
