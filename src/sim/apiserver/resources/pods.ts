import { admitPodCreate } from '../admission.js';
import type { ResourceDef } from '../resource-def.js';
import { isRecord, type KubeObject, rfc3339Seconds } from '../types.js';
import { ageColumn, nameColumn, str } from './columns.js';
import { defaultPodSpec, qosClass, validatePodSpec } from './pod-spec.js';
import { serviceaccounts } from './misc.js';
import { createBinding } from './pod-binding.js';
import { getPodProxy } from './pod-proxy.js';
import { validatePodSpecUpdate } from './pod-update.js';

type Json = Record<string, unknown>;

function statusOf(o: KubeObject): Json {
  return isRecord(o.status) ? o.status : {};
}

function containerStatuses(o: KubeObject): Json[] {
  const cs = statusOf(o).containerStatuses;
  return Array.isArray(cs) ? cs.filter(isRecord) : [];
}

function gateNames(spec: unknown): string[] {
  const gates = isRecord(spec) && Array.isArray(spec.schedulingGates) ? spec.schedulingGates : [];
  return gates.map((g) => (isRecord(g) && typeof g.name === 'string' ? g.name : ''));
}

/** SetDefaults_Pod: the PodSpec defaults (shared with templates) and those of pods only. */
function defaultPod(spec: Json): void {
  defaultPodSpec(spec);
  spec.enableServiceLinks ??= true;
}

/** The STATUS column of `kubectl get pods`: phase, or a waiting reason, or Terminating. */
function podStatusReason(o: KubeObject): string {
  const st = statusOf(o);
  let reason = str(st.reason, '') || str(st.phase, 'Unknown');
  const conditions = Array.isArray(st.conditions) ? st.conditions.filter(isRecord) : [];
  if (conditions.some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) reason = 'SchedulingGated';
  for (const c of containerStatuses(o)) {
    const state = isRecord(c.state) ? c.state : {};
    if (isRecord(state.waiting) && typeof state.waiting.reason === 'string' && state.waiting.reason) {
      reason = state.waiting.reason;
    } else if (isRecord(state.terminated) && typeof state.terminated.reason === 'string') {
      reason = state.terminated.reason;
    }
  }
  if (o.metadata.deletionTimestamp) reason = 'Terminating';
  return reason;
}

export const pods: ResourceDef = {
  group: '',
  version: 'v1',
  resource: 'pods',
  kind: 'Pod',
  typedFields: [
    { path: 'spec.nodeName', type: 'string', struct: 'PodSpec' },
    { path: 'spec.nodeSelector', type: 'map<string>', struct: 'PodSpec' },
    { path: 'spec.schedulingGates', type: 'array', struct: 'PodSpec' },
    { path: 'spec.terminationGracePeriodSeconds', type: 'int64', struct: 'PodSpec' },
    { path: 'spec.priority', type: 'int32', struct: 'PodSpec' },
    { path: 'spec.containers', type: 'array', struct: 'PodSpec' },
    { path: 'spec.containers[].name', type: 'string', struct: 'Container' },
    { path: 'spec.containers[].image', type: 'string', struct: 'Container' },
  ],
  singular: 'pod',
  namespaced: true,
  shortNames: ['po'],
  categories: ['all'],
  storage: 'pods',
  subresources: ['status', 'binding', 'proxy'],
  subresourceHandlers: { binding: { create: createBinding }, proxy: { get: getPodProxy } },
  // The pod store answers a delete with the deleted pod (ReturnDeletedObject).
  returnDeletedObject: true,
  generation: true,
  admitCreate: (obj, ctx) => admitPodCreate(obj, ctx, serviceaccounts),
  fieldNames: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ],
  fields(o) {
    const spec = isRecord(o.spec) ? o.spec : {};
    const st = statusOf(o);
    return {
      'spec.nodeName': str(spec.nodeName, ''),
      'spec.restartPolicy': str(spec.restartPolicy, ''),
      'spec.schedulerName': str(spec.schedulerName, ''),
      'spec.serviceAccountName': str(spec.serviceAccountName, ''),
      'spec.hostNetwork': spec.hostNetwork === true ? 'true' : 'false',
      'status.phase': str(st.phase, ''),
      'status.podIP': str(st.podIP, ''),
      'status.nominatedNodeName': str(st.nominatedNodeName, ''),
    };
  },
  strategy: {
    prepareForCreate(obj, ctx) {
      const spec = isRecord(obj.spec) ? obj.spec : {};
      defaultPod(spec);
      obj.spec = spec;
      // Clients cannot set status on create; the apiserver starts every pod Pending.
      obj.status = { phase: 'Pending', qosClass: qosClass(spec) };
      // As the real pod strategy does: a gated pod says why nothing schedules it.
      if (gateNames(spec).length > 0) {
        obj.status.conditions = [
          {
            type: 'PodScheduled',
            status: 'False',
            lastProbeTime: null,
            lastTransitionTime: rfc3339Seconds(ctx.now()),
            reason: 'SchedulingGated',
            message: 'Scheduling is blocked due to non-empty scheduling gates',
          },
        ];
      }
    },
    validate(obj) {
      return validatePodSpec(obj.spec, 'spec');
    },
    prepareForUpdate(obj, old) {
      // A body is defaulted when decoded, whatever the verb: fields a client left out take
      // their defaults before the update is judged.
      const spec = isRecord(obj.spec) ? obj.spec : {};
      defaultPod(spec);
      obj.spec = spec;
      obj.status = old.status;
    },
    validateUpdate(obj, old) {
      return validatePodSpecUpdate(isRecord(obj.spec) ? obj.spec : {}, isRecord(old.spec) ? old.spec : {});
    },
    gracePeriod(obj, requested) {
      const spec = isRecord(obj.spec) ? obj.spec : {};
      const phase = statusOf(obj).phase;
      // Pods no kubelet runs (unscheduled or finished) are removed at once.
      if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') return undefined;
      const period = requested ?? (typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : 30);
      return period <= 0 ? undefined : period;
    },
  },
  columns: [
    nameColumn,
    {
      name: 'Ready',
      type: 'string',
      description: 'The aggregate readiness state of this pod for accepting traffic.',
      priority: 0,
      cell: (o) => {
        const spec = isRecord(o.spec) ? o.spec : {};
        const total = Array.isArray(spec.containers) ? spec.containers.length : 0;
        const ready = containerStatuses(o).filter((c) => c.ready === true).length;
        return `${ready}/${total}`;
      },
    },
    {
      name: 'Status',
      type: 'string',
      description: 'The aggregate status of the containers in this pod.',
      priority: 0,
      cell: podStatusReason,
    },
    {
      name: 'Restarts',
      type: 'string',
      description: 'The number of times the containers in this pod have been restarted.',
      priority: 0,
      cell: (o) => String(containerStatuses(o).reduce((n, c) => n + (typeof c.restartCount === 'number' ? c.restartCount : 0), 0)),
    },
    ageColumn,
    {
      name: 'IP',
      type: 'string',
      description: 'IP address allocated to the pod.',
      priority: 1,
      cell: (o) => str(statusOf(o).podIP),
    },
    {
      name: 'Node',
      type: 'string',
      description: 'Name of the Node the pod is assigned to.',
      priority: 1,
      cell: (o) => str(isRecord(o.spec) ? o.spec.nodeName : undefined),
    },
    {
      name: 'Nominated Node',
      type: 'string',
      description: 'Name of the node the pod is nominated to.',
      priority: 1,
      cell: (o) => str(statusOf(o).nominatedNodeName),
    },
    {
      name: 'Readiness Gates',
      type: 'string',
      description: 'Readiness gates of the pod.',
      priority: 1,
      cell: () => '<none>',
    },
  ],
};
