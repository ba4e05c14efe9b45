import type { CaseFile, Request } from '../case-types.js';
import { APPS, CORE, cm, deploy, pod } from './objects.js';

const CMS = `${CORE}/configmaps`;
const deleteWith = (path: string, propagationPolicy: string): Request => ({
  method: 'DELETE',
  path,
  body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy },
  compare: { fields: ['kind', 'metadata.finalizers', 'metadata.deletionTimestamp', 'status.replicas'] },
});
const available = (name: string): Request => ({ method: 'GET', path: `${APPS}/deployments/${name}`, until: { field: 'status.availableReplicas', equals: 1 }, compare: { fields: ['status.availableReplicas'] } });
const rsOf = (name: string, count: number): Request => ({
  method: 'GET',
  path: `${APPS}/replicasets?labelSelector=app%3D${name}`,
  until: { field: 'items[].metadata.labels.app', equals: Array(count).fill(name) },
  compare: { fields: ['items[].metadata.ownerReferences', 'items[].spec.replicas'] },
});

/** Finalizers, preconditions, propagation policies, pods' graceful deletion, namespace termination. */
export const deletion: CaseFile = {
  namespace: 'fid-delete',
  cases: [
    {
      id: 'delete/configmap',
      steps: [{ method: 'POST', path: CMS, body: cm('d1'), compare: 'none' }, { method: 'DELETE', path: `${CMS}/d1` }, { method: 'GET', path: `${CMS}/d1`, compare: 'reason' }],
    },
    {
      id: 'delete/finalizer-keeps-object',
      steps: [
        { method: 'POST', path: CMS, body: { ...cm('d2'), metadata: { name: 'd2', finalizers: ['kbench.io/hold'] } }, compare: 'none' },
        { method: 'DELETE', path: `${CMS}/d2` },
        { method: 'GET', path: `${CMS}/d2`, compare: { fields: ['metadata.finalizers', 'metadata.deletionTimestamp', 'metadata.deletionGracePeriodSeconds'] } },
        { method: 'PATCH', path: `${CMS}/d2`, body: { data: { b: '1' } }, compare: { fields: ['data'] } },
        { method: 'PATCH', path: `${CMS}/d2`, body: { metadata: { finalizers: null } }, compare: { fields: ['metadata.finalizers', 'metadata.name'] } },
        { method: 'GET', path: `${CMS}/d2`, compare: 'reason' },
      ],
    },
    {
      id: 'delete/second-delete-while-finalizing',
      steps: [
        { method: 'POST', path: CMS, body: { ...cm('d3'), metadata: { name: 'd3', finalizers: ['kbench.io/hold'] } }, compare: 'none' },
        { method: 'DELETE', path: `${CMS}/d3`, compare: 'none' },
        { method: 'DELETE', path: `${CMS}/d3`, compare: { fields: ['metadata.finalizers'] } },
        { method: 'PATCH', path: `${CMS}/d3`, body: { metadata: { finalizers: null } }, compare: 'none' },
      ],
    },
    {
      id: 'delete/add-finalizer-while-deleting',
      steps: [
        { method: 'POST', path: CMS, body: { ...cm('d4'), metadata: { name: 'd4', finalizers: ['kbench.io/a'] } }, compare: 'none' },
        { method: 'DELETE', path: `${CMS}/d4`, compare: 'none' },
        { method: 'PATCH', path: `${CMS}/d4`, body: { metadata: { finalizers: ['kbench.io/a', 'kbench.io/b'] } }, compare: 'reason' },
        { method: 'PATCH', path: `${CMS}/d4`, body: { metadata: { finalizers: null } }, compare: 'none' },
      ],
    },
    {
      id: 'delete/rv-precondition',
      steps: [
        { method: 'POST', path: CMS, body: cm('d5'), compare: 'none' },
        { method: 'DELETE', path: `${CMS}/d5`, body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { resourceVersion: '1' } }, compare: 'reason' },
      ],
    },
    { id: 'delete/dry-run', steps: [{ method: 'POST', path: CMS, body: cm('d6'), compare: 'none' }, { method: 'DELETE', path: `${CMS}/d6?dryRun=All`, compare: { fields: ['metadata.name'] } }, { method: 'GET', path: `${CMS}/d6`, compare: { fields: ['metadata.name'] } }] },
    {
      id: 'delete/collection-by-label',
      steps: [
        { method: 'POST', path: CMS, body: cm('dc1', { dc: 'x' }), compare: 'none' },
        { method: 'POST', path: CMS, body: cm('dc2', { dc: 'x' }), compare: 'none' },
        { method: 'DELETE', path: `${CMS}?labelSelector=dc%3Dx`, compare: { fields: ['kind', 'items[].metadata.name'] } },
        { method: 'GET', path: `${CMS}?labelSelector=dc%3Dx`, compare: { fields: ['items'] } },
      ],
    },
    { id: 'delete/bad-propagation-policy', steps: [{ method: 'POST', path: CMS, body: cm('d7'), compare: 'none' }, { method: 'DELETE', path: `${CMS}/d7`, body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Sideways' }, compare: 'reason' }] },
    {
      id: 'delete/deployment-background',
      steps: [
        { method: 'POST', path: `${APPS}/deployments`, body: deploy('bg', 1), compare: 'none' },
        rsOf('bg', 1),
        available('bg'),
        deleteWith(`${APPS}/deployments/bg`, 'Background'),
        rsOf('bg', 0),
        { method: 'GET', path: `${CORE}/pods?labelSelector=app%3Dbg`, until: { field: 'items', equals: [] }, compare: { fields: ['items'] } },
      ],
    },
    {
      id: 'delete/deployment-foreground',
      steps: [
        { method: 'POST', path: `${APPS}/deployments`, body: deploy('fg', 1), compare: 'none' },
        rsOf('fg', 1),
        available('fg'),
        deleteWith(`${APPS}/deployments/fg`, 'Foreground'),
        { method: 'GET', path: `${APPS}/deployments/fg`, until: { field: 'code', equals: 404 }, compare: 'reason' },
        rsOf('fg', 0),
      ],
    },
    {
      id: 'delete/deployment-orphan',
      steps: [
        { method: 'POST', path: `${APPS}/deployments`, body: deploy('or', 1), compare: 'none' },
        rsOf('or', 1),
        available('or'),
        deleteWith(`${APPS}/deployments/or`, 'Orphan'),
        { method: 'GET', path: `${APPS}/deployments/or`, until: { field: 'code', equals: 404 }, compare: 'reason' },
        { method: 'GET', path: `${APPS}/replicasets?labelSelector=app%3Dor`, until: { field: 'items[].metadata.ownerReferences', equals: [null] }, compare: { fields: ['items[].metadata.ownerReferences', 'items[].spec.replicas'] } },
      ],
    },
    {
      id: 'delete/orphan-dependents-false-202',
      steps: [
        { method: 'POST', path: `${APPS}/deployments`, body: deploy('od', 0), compare: 'none' },
        { method: 'DELETE', path: `${APPS}/deployments/od?orphanDependents=false`, compare: 'code' },
      ],
    },
    {
      id: 'delete/running-pod-graceful',
      steps: [
        { method: 'POST', path: `${CORE}/pods`, body: pod('gp'), compare: 'none' },
        { method: 'GET', path: `${CORE}/pods/gp`, until: { field: 'status.phase', equals: 'Running' }, compare: { fields: ['status.phase'] } },
        { method: 'DELETE', path: `${CORE}/pods/gp`, compare: { fields: ['metadata.deletionGracePeriodSeconds', 'metadata.deletionTimestamp', 'status.phase'] } },
        { method: 'GET', path: `${CORE}/pods/gp`, until: { field: 'code', equals: 404 }, compare: 'reason' },
      ],
    },
    {
      id: 'delete/running-pod-grace-0',
      steps: [
        { method: 'POST', path: `${CORE}/pods`, body: pod('gp0'), compare: 'none' },
        { method: 'GET', path: `${CORE}/pods/gp0`, until: { field: 'status.phase', equals: 'Running' }, compare: { fields: ['status.phase'] } },
        { method: 'DELETE', path: `${CORE}/pods/gp0?gracePeriodSeconds=0`, compare: { fields: ['metadata.name', 'metadata.deletionGracePeriodSeconds'] } },
        { method: 'GET', path: `${CORE}/pods/gp0`, until: { field: 'code', equals: 404 }, compare: 'reason' },
      ],
    },
    {
      id: 'delete/namespace-terminating',
      steps: [
        { method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fid-term' } }, compare: 'none' },
        { method: 'POST', path: '/api/v1/namespaces/fid-term/configmaps', body: { ...cm('held'), metadata: { name: 'held', finalizers: ['kbench.io/hold'] } }, compare: 'none' },
        { method: 'DELETE', path: '/api/v1/namespaces/fid-term', compare: { fields: ['status.phase', 'spec.finalizers', 'metadata.deletionTimestamp'] } },
        { method: 'POST', path: '/api/v1/namespaces/fid-term/configmaps', body: cm('late'), compare: 'reason' },
        { method: 'GET', path: '/api/v1/namespaces/fid-term/configmaps/held', until: { field: 'metadata.deletionTimestamp', present: true }, compare: { fields: ['metadata.finalizers', 'metadata.deletionTimestamp'] } },
        {
          method: 'GET',
          path: '/api/v1/namespaces/fid-term',
          until: { field: 'status.conditions[].type', includes: 'NamespaceFinalizersRemaining' },
          compare: { fields: ['status.phase', 'status.conditions[].type', 'status.conditions[].status', 'status.conditions[].reason'] },
        },
        { method: 'PATCH', path: '/api/v1/namespaces/fid-term/configmaps/held', body: { metadata: { finalizers: null } }, compare: 'none' },
        { method: 'GET', path: '/api/v1/namespaces/fid-term', until: { field: 'code', equals: 404 }, compare: 'reason' },
      ],
    },
  ],
};
