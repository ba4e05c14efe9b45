import type { SchedNode, SchedPod } from '../../src/sim/scheduler/sched-types.js';

/** The scheduler's view of a node: 4 CPU, 16 GiB, `pods` pods, no taints. */
export function schedNode(name: string, pods = 1, labels: Record<string, string> = {}): SchedNode {
  return { name, allocCpuMillis: 4000, allocMemoryBytes: 16 * 2 ** 30, allocPods: pods, labels, taints: [], unschedulable: false };
}

/** The scheduler's view of a pending pod `ns/<name>` asking 100m CPU; `extra` overrides. */
export function schedPod(name: string, extra: Partial<SchedPod> = {}): SchedPod {
  return {
    key: `ns/${name}`,
    namespace: 'ns',
    name,
    uid: `uid-${name}`,
    nodeName: '',
    schedulerName: 'default-scheduler',
    cpuMillis: 100,
    memoryBytes: 0,
    nodeSelector: [],
    affinityTerms: [],
    tolerations: [],
    ownerUid: '',
    priority: 0,
    gated: false,
    deleting: false,
    terminal: false,
    unschedulableMessage: '',
    ...extra,
  };
}
