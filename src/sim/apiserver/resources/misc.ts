import { createHash } from 'node:crypto';
import type { ResourceDef } from '../resource-def.js';
import { isRecord, type KubeObject } from '../types.js';
import { ageColumn, nameColumn, str } from './columns.js';
import { invalidValue, notSupported, required } from './validation.js';

type Json = Record<string, unknown>;

function countOf(v: unknown): number {
  return isRecord(v) ? Object.keys(v).length : 0;
}

/** ConfigMap's data and binaryData are omitempty: an empty map is not stored (a patch may empty one). */
function dropEmptyData(obj: KubeObject): void {
  for (const k of ['data', 'binaryData']) if (isRecord(obj[k]) && Object.keys(obj[k]).length === 0) delete obj[k];
}

export const configmaps: ResourceDef = {
  group: '',
  version: 'v1',
  resource: 'configmaps',
  kind: 'ConfigMap',
  typedFields: [
    { path: 'data', type: 'map<string>', struct: 'ConfigMap' },
    { path: 'binaryData', type: 'map<string>', struct: 'ConfigMap' },
  ],
  singular: 'configmap',
  namespaced: true,
  shortNames: ['cm'],
  storage: 'configmaps',
  subresources: [],
  strategy: { prepareForCreate: dropEmptyData, prepareForUpdate: dropEmptyData },
  columns: [
    nameColumn,
    {
      name: 'Data',
      type: 'integer',
      description: 'Number of keys',
      priority: 0,
      cell: (o) => countOf(o.data) + countOf(o.binaryData),
    },
    ageColumn,
  ],
};

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export const secrets: ResourceDef = {
  group: '',
  version: 'v1',
  resource: 'secrets',
  kind: 'Secret',
  typedFields: [
    { path: 'type', type: 'string', struct: 'Secret' },
    { path: 'data', type: 'map<string>', struct: 'Secret' },
    { path: 'stringData', type: 'map<string>', struct: 'Secret' },
  ],
  singular: 'secret',
  namespaced: true,
  storage: 'secrets',
  subresources: [],
  fieldNames: ['type'],
  fields: (o) => ({ type: str(o.type, '') }),
  strategy: {
    prepareForCreate(obj) {
      obj.type ??= 'Opaque';
      // stringData is write-only: it is merged into data and never stored.
      if (isRecord(obj.stringData)) {
        const data: Json = isRecord(obj.data) ? obj.data : {};
        for (const [k, v] of Object.entries(obj.stringData)) data[k] = Buffer.from(String(v)).toString('base64');
        obj.data = data;
        delete obj.stringData;
      }
    },
    validate(obj) {
      const causes = [];
      if (isRecord(obj.data)) {
        for (const [k, v] of Object.entries(obj.data)) {
          if (typeof v !== 'string' || !BASE64.test(v)) causes.push(invalidValue(`data[${k}]`, '<secret contents redacted>', 'illegal base64 data'));
        }
      }
      return causes;
    },
  },
  columns: [
    nameColumn,
    { name: 'Type', type: 'string', description: 'The type of the secret', priority: 0, cell: (o) => str(o.type, '') },
    { name: 'Data', type: 'integer', description: 'Number of keys', priority: 0, cell: (o) => countOf(o.data) },
    ageColumn,
  ],
};

/** A stable ClusterIP in 10.96.0.0/16 derived from the service's uid. */
function clusterIpFor(obj: KubeObject): string {
  const h = createHash('sha1').update(String(obj.metadata.uid)).digest();
  return `10.96.${h[0]! % 256}.${1 + (h[1]! % 254)}`;
}

const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];

export const services: ResourceDef = {
  group: '',
  version: 'v1',
  resource: 'services',
  kind: 'Service',
  singular: 'service',
  namespaced: true,
  shortNames: ['svc'],
  categories: ['all'],
  storage: 'services/specs',
  subresources: ['status'],
  strategy: {
    prepareForCreate(obj) {
      const spec: Json = isRecord(obj.spec) ? obj.spec : {};
      spec.type ??= 'ClusterIP';
      spec.sessionAffinity ??= 'None';
      if (spec.type !== 'ExternalName' && spec.clusterIP !== 'None' && !spec.clusterIP) {
        spec.clusterIP = clusterIpFor(obj);
        spec.clusterIPs = [spec.clusterIP];
      }
      spec.ipFamilies ??= ['IPv4'];
      spec.ipFamilyPolicy ??= 'SingleStack';
      spec.internalTrafficPolicy ??= 'Cluster';
      if (Array.isArray(spec.ports)) {
        for (const p of spec.ports) {
          if (!isRecord(p)) continue;
          p.protocol ??= 'TCP';
          p.targetPort ??= p.port;
        }
      }
      obj.spec = spec;
      obj.status = { loadBalancer: {} };
    },
    validate(obj) {
      const spec = isRecord(obj.spec) ? obj.spec : {};
      const causes = [];
      if (!SERVICE_TYPES.includes(String(spec.type))) causes.push(notSupported('spec.type', spec.type, SERVICE_TYPES));
      if (spec.type !== 'ExternalName' && spec.clusterIP !== 'None') {
        if (!Array.isArray(spec.ports) || spec.ports.length === 0) causes.push(required('spec.ports'));
      }
      return causes;
    },
    prepareForUpdate(obj, old) {
      obj.status = old.status;
      const spec = isRecord(obj.spec) ? obj.spec : {};
      const oldSpec = isRecord(old.spec) ? old.spec : {};
      spec.clusterIP ??= oldSpec.clusterIP;
      spec.clusterIPs ??= oldSpec.clusterIPs;
      obj.spec = spec;
    },
  },
  columns: [
    nameColumn,
    { name: 'Type', type: 'string', description: 'The type of the service', priority: 0, cell: (o) => str(isRecord(o.spec) ? o.spec.type : '', '') },
    {
      name: 'Cluster-IP',
      type: 'string',
      description: 'The cluster IP of the service',
      priority: 0,
      cell: (o) => str(isRecord(o.spec) ? o.spec.clusterIP : ''),
    },
    { name: 'External-IP', type: 'string', description: 'External IPs', priority: 0, cell: () => '<none>' },
    {
      name: 'Port(s)',
      type: 'string',
      description: 'The ports of the service',
      priority: 0,
      cell: (o) => {
        const ports = isRecord(o.spec) && Array.isArray(o.spec.ports) ? o.spec.ports.filter(isRecord) : [];
        return ports.length ? ports.map((p) => `${String(p.port)}/${str(p.protocol, 'TCP')}`).join(',') : '<none>';
      },
    },
    ageColumn,
  ],
};

export const serviceaccounts: ResourceDef = {
  group: '',
  version: 'v1',
  resource: 'serviceaccounts',
  kind: 'ServiceAccount',
  singular: 'serviceaccount',
  namespaced: true,
  shortNames: ['sa'],
  storage: 'serviceaccounts',
  subresources: [],
  columns: [nameColumn, { name: 'Secrets', type: 'integer', description: 'Secrets', priority: 0, cell: (o) => (Array.isArray(o.secrets) ? o.secrets.length : 0) }, ageColumn],
};

export const leases: ResourceDef = {
  group: 'coordination.k8s.io',
  version: 'v1',
  resource: 'leases',
  kind: 'Lease',
  typedFields: [
    { path: 'spec.holderIdentity', type: 'string', struct: 'LeaseSpec' },
    { path: 'spec.leaseDurationSeconds', type: 'int32', struct: 'LeaseSpec' },
    { path: 'spec.leaseTransitions', type: 'int32', struct: 'LeaseSpec' },
  ],
  singular: 'lease',
  namespaced: true,
  storage: 'leases',
  subresources: [],
  columns: [
    nameColumn,
    {
      name: 'Holder',
      type: 'string',
      description: 'The holder of the lease',
      priority: 0,
      cell: (o) => str(isRecord(o.spec) ? o.spec.holderIdentity : '', ''),
    },
    ageColumn,
  ],
};
