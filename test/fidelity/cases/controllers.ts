import type { CaseFile, Request } from '../case-types.js';
import { APPS, CORE, deploy, pod, rs } from './objects.js';

const DEPLOY_STATUS = ['status.replicas', 'status.updatedReplicas', 'status.readyReplicas', 'status.availableReplicas', 'status.observedGeneration', 'status.conditions[].type', 'status.conditions[].status', 'status.conditions[].reason'];
const RS_STATUS = ['status.replicas', 'status.fullyLabeledReplicas', 'status.readyReplicas', 'status.availableReplicas', 'status.observedGeneration'];
const POD_STATUS = ['status.phase', 'status.conditions[].type', 'status.conditions[].status', 'status.qosClass', 'status.containerStatuses[].name', 'status.containerStatuses[].ready', 'status.containerStatuses[].started', 'status.containerStatuses[].image', 'status.containerStatuses[].restartCount'];

const deployUntil = (name: string, field: string, equals: unknown, fields = DEPLOY_STATUS): Request => ({ method: 'GET', path: `${APPS}/deployments/${name}`, until: { field, equals }, compare: { fields } });

/** What the controllers and nodes do to Deployments, ReplicaSets and pods: their status as it settles. */
export const controllers: CaseFile = {
  namespace: 'fid-ctrl',
  cases: [
    {
      id: 'ctrl/deployment-available',
      steps: [{ method: 'POST', path: `${APPS}/deployments`, body: deploy('web', 3), compare: 'none' }, deployUntil('web', 'status.availableReplicas', 3)],
    },
    {
      id: 'ctrl/deployment-annotations',
      steps: [deployUntil('web', 'status.availableReplicas', 3, ['metadata.annotations', 'metadata.generation'])],
    },
    {
      id: 'ctrl/replicaset-of-deployment',
      method: 'GET',
      path: `${APPS}/replicasets?labelSelector=app%3Dweb`,
      until: { field: 'items[].status.readyReplicas', equals: [3] },
      compare: { fields: ['items[].metadata.name', 'items[].metadata.labels', 'items[].metadata.annotations', 'items[].metadata.ownerReferences', 'items[].spec', ...RS_STATUS.map((f) => `items[].${f}`)] },
    },
    {
      id: 'ctrl/pods-of-deployment',
      method: 'GET',
      path: `${CORE}/pods?labelSelector=app%3Dweb`,
      until: { field: 'items[].status.phase', equals: ['Running', 'Running', 'Running'] },
      compare: { fields: ['items[].metadata.generateName', 'items[].metadata.labels', 'items[].metadata.ownerReferences', ...POD_STATUS.map((f) => `items[].${f}`)] },
    },
    {
      id: 'ctrl/standalone-pod-running',
      steps: [
        { method: 'POST', path: `${CORE}/pods`, body: pod('solo'), compare: 'none' },
        { method: 'GET', path: `${CORE}/pods/solo`, until: { field: 'status.phase', equals: 'Running' }, compare: { fields: POD_STATUS } },
      ],
    },
    {
      id: 'ctrl/standalone-pod-status-shape',
      method: 'GET',
      path: `${CORE}/pods/solo`,
      compare: { fields: ['status.containerStatuses[].state', 'status.containerStatuses[].lastState', 'status.startTime', 'status.hostIP', 'status.podIP', 'status.podIPs', 'status.hostIPs'] },
    },
    {
      id: 'ctrl/deployment-scale-down',
      steps: [
        { method: 'PATCH', path: `${APPS}/deployments/web/scale`, body: { spec: { replicas: 1 } }, compare: { fields: ['spec.replicas', 'status.replicas'] } },
        deployUntil('web', 'status.replicas', 1),
        { method: 'GET', path: `${CORE}/pods?labelSelector=app%3Dweb`, until: { field: 'items[].status.phase', equals: ['Running'] }, compare: { fields: ['items[].status.phase'] } },
      ],
    },
    {
      id: 'ctrl/deployment-rollout',
      steps: [
        { method: 'PATCH', path: `${APPS}/deployments/web`, body: { spec: { template: { spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] } } } }, type: 'strategic', compare: { fields: ['metadata.generation'] } },
        deployUntil('web', 'status.observedGeneration', 3, ['status.observedGeneration']),
        deployUntil('web', 'status.conditions[].reason', ['MinimumReplicasAvailable', 'NewReplicaSetAvailable'], [...DEPLOY_STATUS, 'metadata.annotations']),
      ],
    },
    {
      id: 'ctrl/deployment-unschedulable',
      steps: [
        { method: 'POST', path: `${APPS}/deployments`, body: deploy('big', 1, { template: { metadata: { labels: { app: 'big' } }, spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.9', resources: { requests: { cpu: '64' } } }] } } }), compare: 'none' },
        { method: 'GET', path: `${CORE}/pods?labelSelector=app%3Dbig`, until: { field: 'items[].status.conditions[].reason', equals: [['Unschedulable']] }, compare: { fields: ['items[].status.phase', 'items[].status.conditions[].type', 'items[].status.conditions[].reason', 'items[].status.conditions[].message'] } },
        deployUntil('big', 'status.updatedReplicas', 1, [...DEPLOY_STATUS, 'status.unavailableReplicas']),
      ],
    },
    {
      id: 'ctrl/unschedulable-event',
      method: 'GET',
      path: `${CORE}/events?fieldSelector=reason%3DFailedScheduling`,
      until: { field: 'items.0.reason', equals: 'FailedScheduling' },
      // The first only: how often the scheduler retries meanwhile depends on timing.
      compare: { fields: ['items.0.reason', 'items.0.type', 'items.0.message', 'items.0.source', 'items.0.reportingComponent'] },
    },
    {
      id: 'ctrl/replicaset-standalone',
      steps: [
        { method: 'POST', path: `${APPS}/replicasets`, body: rs('solo-rs', 2), compare: 'none' },
        { method: 'GET', path: `${APPS}/replicasets/solo-rs`, until: { field: 'status.availableReplicas', equals: 2 }, compare: { fields: RS_STATUS } },
      ],
    },
    {
      id: 'ctrl/replicaset-replaces-deleted-pod',
      steps: [
        { method: 'DELETE', path: `${CORE}/pods?labelSelector=rs%3Dsolo-rs&gracePeriodSeconds=0`, compare: 'none' },
        { method: 'GET', path: `${APPS}/replicasets/solo-rs`, until: { field: 'status.availableReplicas', equals: 2 }, compare: { fields: RS_STATUS } },
      ],
    },
    {
      id: 'ctrl/replicaset-events',
      method: 'GET',
      path: `${CORE}/events?fieldSelector=involvedObject.kind%3DReplicaSet,involvedObject.name%3Dsolo-rs`,
      compare: { fields: ['items[].reason', 'items[].source.component'] },
    },
    {
      id: 'ctrl/deployment-events',
      method: 'GET',
      path: `${CORE}/events?fieldSelector=involvedObject.kind%3DDeployment,involvedObject.name%3Dweb`,
      compare: { fields: ['items[].reason', 'items[].message', 'items[].source.component'] },
    },
  ],
};
