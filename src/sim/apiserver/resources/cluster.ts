import type { ResourceDef } from '../resource-def.js';
import { isRecord, type KubeObject } from '../types.js';
import { ageColumn, nameColumn, str } from './columns.js';
import { updateFinalize } from './namespace-finalize.js';
import { dnsLabelError } from './validation.js';

type Json = Record<string, unknown>;

function statusOf(o: KubeObject): Json {
  return isRecord(o.status) ? o.status : {};
}

/** SetDefaults_Namespace: every namespace carries its name as a label (create and update). */
function nameLabel(obj: KubeObject): void {
  obj.metadata.labels = { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': obj.metadata.name ?? '' };
}

export const namespaces: ResourceDef = {
  group: '',
  version: 'v1',
  resource: 'namespaces',
  kind: 'Namespace',
  singular: 'namespace',
  namespaced: false,
  shortNames: ['ns'],
  storage: 'namespaces',
  subresources: ['status', 'finalize'],
  subresourceHandlers: { finalize: { update: updateFinalize } },
  // The namespace registry's Delete answers with the namespace, gone or Terminating.
  returnDeletedObject: true,
  nameError: dnsLabelError,
  fieldNames: ['status.phase'],
  fields: (o) => ({ 'status.phase': str(statusOf(o).phase, '') }),
  strategy: {
    prepareForCreate(obj) {
      obj.spec = { finalizers: ['kubernetes'] };
      obj.status = { phase: 'Active' };
      nameLabel(obj);
    },
    prepareForUpdate(obj, old) {
      // spec.finalizers change only through the finalize subresource.
      obj.spec = old.spec;
      obj.status = old.status;
      nameLabel(obj);
    },
    prepareForDeletion(obj) {
      // Deleting a namespace turns it Terminating in the same write; the namespace
      // controller empties it, then the finalize subresource lets it go.
      obj.status = { ...(obj.status ?? {}), phase: 'Terminating' };
    },
  },
  columns: [
    nameColumn,
    {
      name: 'Status',
      type: 'string',
      description: 'The status of the namespace',
      priority: 0,
      cell: (o) => str(statusOf(o).phase, 'Unknown'),
    },
    ageColumn,
  ],
};

function nodeReady(o: KubeObject): string {
  const conds = Array.isArray(statusOf(o).conditions) ? (statusOf(o).conditions as unknown[]) : [];
  const ready = conds.filter(isRecord).find((c) => c.type === 'Ready');
  let s = !ready ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady';
  if (isRecord(o.spec) && o.spec.unschedulable === true) s += ',SchedulingDisabled';
  return s;
}

function nodeAddress(o: KubeObject, type: string): string {
  const list = Array.isArray(statusOf(o).addresses) ? (statusOf(o).addresses as unknown[]) : [];
  const a = list.filter(isRecord).find((x) => x.type === type);
  return str(a?.address);
}

function nodeInfo(o: KubeObject, field: string): string {
  const info = isRecord(statusOf(o).nodeInfo) ? (statusOf(o).nodeInfo as Json) : {};
  return str(info[field], '<unknown>');
}

export const nodes: ResourceDef = {
  group: '',
  version: 'v1',
  resource: 'nodes',
  kind: 'Node',
  typedFields: [{ path: 'spec.unschedulable', type: 'bool', struct: 'NodeSpec' }],
  singular: 'node',
  namespaced: false,
  shortNames: ['no'],
  storage: 'minions',
  subresources: ['status'],
  fieldNames: ['spec.unschedulable'],
  fields: (o) => ({ 'spec.unschedulable': isRecord(o.spec) && o.spec.unschedulable === true ? 'true' : 'false' }),
  strategy: {
    prepareForCreate(obj) {
      obj.spec = isRecord(obj.spec) ? obj.spec : {};
    },
    prepareForUpdate(obj, old) {
      obj.status = old.status;
    },
  },
  columns: [
    nameColumn,
    { name: 'Status', type: 'string', description: 'The status of the node', priority: 0, cell: nodeReady },
    {
      name: 'Roles',
      type: 'string',
      description: 'The roles of the node',
      priority: 0,
      cell: (o) => {
        const roles = Object.keys(o.metadata.labels ?? {})
          .filter((k) => k.startsWith('node-role.kubernetes.io/'))
          .map((k) => k.slice('node-role.kubernetes.io/'.length));
        return roles.length ? roles.join(',') : '<none>';
      },
    },
    ageColumn,
    {
      name: 'Version',
      type: 'string',
      description: 'Kubelet Version reported by the node.',
      priority: 0,
      cell: (o) => nodeInfo(o, 'kubeletVersion'),
    },
    { name: 'Internal-IP', type: 'string', description: 'Internal IP', priority: 1, cell: (o) => nodeAddress(o, 'InternalIP') },
    { name: 'External-IP', type: 'string', description: 'External IP', priority: 1, cell: (o) => nodeAddress(o, 'ExternalIP') },
    { name: 'OS-Image', type: 'string', description: 'OS image', priority: 1, cell: (o) => nodeInfo(o, 'osImage') },
    { name: 'Kernel-Version', type: 'string', description: 'Kernel version', priority: 1, cell: (o) => nodeInfo(o, 'kernelVersion') },
    {
      name: 'Container-Runtime',
      type: 'string',
      description: 'Container runtime',
      priority: 1,
      cell: (o) => nodeInfo(o, 'containerRuntimeVersion'),
    },
  ],
};
