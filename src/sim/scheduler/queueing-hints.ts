/**
 * kube-scheduler's queueing hints, as data: for each filter plugin, the cluster events
 * that may make a pod it rejected schedulable (pkg/scheduler/framework/plugins/*
 * EventsToRegister). A pod waiting in the unschedulable pool moves back to be retried
 * only on an event one of its rejecting plugins registered; others leave it waiting (until
 * the periodic flush of podMaxInUnschedulablePodsDuration).
 */

export type FilterPlugin = 'NodeUnschedulable' | 'NodeAffinity' | 'TaintToleration' | 'NodeResourcesFit';

export type ClusterEvent =
  /** A node was added. */
  | 'NodeAdd'
  /** A node's allocatable resources changed. */
  | 'NodeAllocatableChange'
  | 'NodeLabelChange'
  | 'NodeTaintChange'
  /** spec.unschedulable changed. */
  | 'NodeSpecUnschedulableChange'
  /** A pod bound to a node went away: deleted, finished, or its binding failed. */
  | 'AssignedPodDelete'
  /** The waiting pod itself changed in a way scheduling looks at (tolerations, selectors, gates). */
  | 'UnscheduledPodUpdate';

export const QUEUEING_HINTS: Readonly<Record<FilterPlugin, readonly ClusterEvent[]>> = {
  NodeUnschedulable: ['NodeAdd', 'NodeSpecUnschedulableChange', 'NodeTaintChange', 'UnscheduledPodUpdate'],
  NodeAffinity: ['NodeAdd', 'NodeLabelChange', 'UnscheduledPodUpdate'],
  TaintToleration: ['NodeAdd', 'NodeTaintChange', 'UnscheduledPodUpdate'],
  NodeResourcesFit: ['NodeAdd', 'NodeAllocatableChange', 'AssignedPodDelete'],
};

/** Whether `event` may help a pod that these plugins rejected. */
export function eventMayHelp(event: ClusterEvent, rejectedBy: ReadonlySet<FilterPlugin>): boolean {
  // A pod that failed for no plugin's reason (say, no nodes at all) is retried on any event.
  if (rejectedBy.size === 0) return true;
  for (const p of rejectedBy) if (QUEUEING_HINTS[p].includes(event)) return true;
  return false;
}
