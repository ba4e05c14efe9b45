import type { Case, CaseFile } from '../case-types.js';
import { CORE, heldPod, pod } from './objects.js';

const NAMES = ['items[].metadata.name'];
const PODS = `${CORE}/pods`;

/**
 * Three pods the scheduler places and the nodes run, one held: what selectors on pods, events
 * and nodes find. s-a and s-b (group one) are pinned to two different nodes, so a selector on
 * node1 has one answer: where an unpinned pod lands is the real scheduler's tie-break (random
 * among equal scores) and its timing, not what these cases compare (a CI run saw the real one
 * put s-b on node1 beside s-a, the sim elsewhere).
 */
const PINNED: Record<string, string> = { 's-a': '{node1}', 's-b': '{node2}' };
const setup: Case = {
  id: 'select/setup-running-pods',
  steps: [
    ...['s-a', 's-b', 's-c'].map((n, i) => ({ method: 'POST' as const, path: PODS, body: pod(n, PINNED[n] ? { nodeSelector: { 'kubernetes.io/hostname': PINNED[n] } } : {}, { grp: i === 2 ? 'two' : 'one' }), compare: { fields: ['metadata.name', 'status.phase'] } })),
    { method: 'POST', path: PODS, body: heldPod('s-held', {}, { grp: 'held' }), compare: { fields: ['metadata.name'] } },
    { method: 'GET', path: `${PODS}?labelSelector=grp%20in%20(one,two)`, until: { field: 'items[].status.phase', equals: ['Running', 'Running', 'Running'] }, compare: { fields: [...NAMES, 'items[].status.phase'] } },
  ],
};

const podSel = (id: string, query: string): Case => ({ id: `select/pods-${id}`, method: 'GET', path: `${PODS}?${query}`, compare: { fields: NAMES } });
const evSel = (id: string, path: string, fields = ['items[].reason', 'items[].involvedObject.name']): Case => ({
  id: `select/events-${id}`,
  method: 'GET',
  path,
  compare: { fields },
});
const nodeSel = (id: string, query: string): Case => ({ id: `select/nodes-${id}`, method: 'GET', path: `/api/v1/nodes?${query}`, compare: { fields: NAMES } });

export const selectors: CaseFile = {
  namespace: 'fid-select',
  cases: [
    setup,
    podSel('phase-running', 'fieldSelector=status.phase%3DRunning'),
    podSel('phase-pending', 'fieldSelector=status.phase%3DPending'),
    podSel('phase-not-running', 'fieldSelector=status.phase!%3DRunning'),
    podSel('unscheduled', 'fieldSelector=spec.nodeName%3D'),
    podSel('scheduled', 'fieldSelector=spec.nodeName!%3D'),
    podSel('on-node1', 'fieldSelector=spec.nodeName%3D{node1}&labelSelector=grp%3Done'),
    podSel('scheduler-name', 'fieldSelector=spec.schedulerName%3Ddefault-scheduler'),
    podSel('service-account', 'fieldSelector=spec.serviceAccountName%3Ddefault'),
    podSel('restart-policy', 'fieldSelector=spec.restartPolicy%3DAlways'),
    podSel('label-and-field', 'labelSelector=grp%3Done&fieldSelector=status.phase%3DRunning'),
    podSel('name', 'fieldSelector=metadata.name%3Ds-b'),
    { id: 'select/pods-all-namespaces-node', method: 'GET', path: '/api/v1/pods?fieldSelector=spec.nodeName%3D{node1},metadata.name%3Ds-a', compare: { fields: NAMES } },
    { id: 'select/pods-bad-field', method: 'GET', path: `${PODS}?fieldSelector=status.nope%3D1`, compare: 'reason' },
    {
      id: 'select/events-scheduled-by-source',
      what: 'the query of tools that read scheduling times from events',
      method: 'GET',
      path: `${CORE}/events?fieldSelector=involvedObject.kind%3DPod,source%3Ddefault-scheduler`,
      until: { field: 'items[].reason', equals: ['Scheduled', 'Scheduled', 'Scheduled'] },
      compare: { fields: ['items[].reason', 'items[].type', 'items[].involvedObject.kind', 'items[].source', 'items[].reportingComponent'] },
    },
    evSel('all-namespaces-by-source', '/api/v1/events?fieldSelector=involvedObject.kind%3DPod,source%3Ddefault-scheduler,involvedObject.namespace%3Dfid-select'),
    evSel('reason', `${CORE}/events?fieldSelector=reason%3DScheduled`),
    evSel('type', `${CORE}/events?fieldSelector=type%3DNormal,involvedObject.kind%3DPod,reason%3DScheduled`),
    evSel('involved-name', `${CORE}/events?fieldSelector=involvedObject.name%3Ds-a,reason%3DScheduled`, ['items[].reason', 'items[].message']),
    evSel('reporting-component', `${CORE}/events?fieldSelector=reportingComponent%3Ddefault-scheduler`),
    evSel('v1-reporting-controller', '/apis/events.k8s.io/v1/namespaces/{ns}/events?fieldSelector=reportingController%3Ddefault-scheduler', ['items[].reason', 'items[].regarding.name', 'items[].action', 'items[].reportingController']),
    evSel('v1-regarding-kind', '/apis/events.k8s.io/v1/namespaces/{ns}/events?fieldSelector=regarding.kind%3DPod,reason%3DScheduled', ['items[].reason', 'items[].regarding.name']),
    evSel('v1-deprecated-source', '/apis/events.k8s.io/v1/namespaces/{ns}/events?fieldSelector=deprecatedSource.component%3Ddefault-scheduler', ['items[].reason']),
    evSel('bad-field', `${CORE}/events?fieldSelector=note%3Dx`, []),
    nodeSel('name', 'fieldSelector=metadata.name%3D{node2}'),
    nodeSel('unschedulable', 'fieldSelector=spec.unschedulable%3Dfalse'),
    nodeSel('label-os', 'labelSelector=kubernetes.io%2Fos%3Dlinux'),
    nodeSel('label-hostname', 'labelSelector=kubernetes.io%2Fhostname%3D{node0}'),
    nodeSel('limit', 'limit=2'),
    { id: 'select/nodes-bad-field', method: 'GET', path: '/api/v1/nodes?fieldSelector=status.phase%3DRunning', compare: 'reason' },
    { id: 'select/node-ready-condition', method: 'GET', path: '/api/v1/nodes/{node0}', compare: { fields: ['status.conditions[].type', 'status.conditions[].status', 'status.capacity', 'status.allocatable', 'spec.taints'] } },
  ],
};
