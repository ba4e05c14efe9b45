import { createHash } from 'node:crypto';
import type { Registry } from './registry.js';
import type { ResourceDef } from './resource-def.js';

/** The Kubernetes version the sim reports; its API follows this release's conventions. */
export const SIM_KUBE_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0-kbench-sim' };

export function versionInfo(): Record<string, string> {
  return {
    major: SIM_KUBE_VERSION.major,
    minor: SIM_KUBE_VERSION.minor,
    gitVersion: SIM_KUBE_VERSION.gitVersion,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: 'go1.23.0',
    compiler: 'gc',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function storageVersionHash(def: ResourceDef): string {
  return createHash('sha256').update(`${def.group}/${def.version}/${def.kind}`).digest('base64').slice(0, 11);
}

function apiResources(defs: ResourceDef[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const def of defs) {
    const main: Record<string, unknown> = {
      name: def.resource,
      singularName: def.singular,
      namespaced: def.namespaced,
      kind: def.kind,
      verbs: def.verbs ? [...def.verbs].sort() : ALL_VERBS,
    };
    if (def.shortNames?.length) main.shortNames = def.shortNames;
    if (def.categories?.length) main.categories = def.categories;
    main.storageVersionHash = storageVersionHash(def);
    out.push(main);
    for (const sub of def.subresources) {
      const entry: Record<string, unknown> = { name: `${def.resource}/${sub}`, singularName: '', namespaced: def.namespaced };
      switch (sub) {
        case 'status':
          Object.assign(entry, { kind: def.kind, verbs: ['get', 'patch', 'update'] });
          break;
        case 'scale':
          Object.assign(entry, { group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
          break;
        case 'binding':
          Object.assign(entry, { kind: 'Binding', verbs: ['create'] });
          break;
        case 'finalize':
          Object.assign(entry, { kind: def.kind, verbs: ['update'] });
          break;
        case 'proxy':
          Object.assign(entry, { kind: 'PodProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] });
          break;
      }
      out.push(entry);
    }
  }
  return out;
}

/** GET /api */
export function coreVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupEntry(name: string, versions: string[]): Record<string, unknown> {
  const vs = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: vs, preferredVersion: vs[0] };
}

/** GET /apis */
export function groupList(registry: Registry): Record<string, unknown> {
  const groups = [...registry.groups()].filter(([g]) => g !== '').map(([g, vs]) => groupEntry(g, vs));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

/** GET /apis/<group> */
export function group(registry: Registry, name: string): Record<string, unknown> | undefined {
  const versions = registry.groups().get(name);
  if (!versions || name === '') return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(name, versions) };
}

/** GET /api/v1, /apis/<group>/<version> */
export function resourceList(registry: Registry, groupName: string, version: string): Record<string, unknown> | undefined {
  const defs = registry.inGroupVersion(groupName, version);
  if (defs.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: groupName ? `${groupName}/${version}` : version,
    resources: apiResources(defs),
  };
}
