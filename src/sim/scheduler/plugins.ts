import { type NodeInfo, nonZeroCpu, nonZeroMemory } from './node-cache.js';
import type { FilterPlugin } from './queueing-hints.js';
import type { NodeSelectorRequirement, SchedPod, Taint, Toleration } from './sched-types.js';

/**
 * Filter and score plugins of the default scheduler profile, reduced to what the sim's
 * workloads exercise: NodeResourcesFit (cpu, memory, pod count), NodeUnschedulable,
 * NodeAffinity (nodeSelector and required node affinity), TaintToleration for filtering;
 * LeastAllocated and spreading of a controller's replicas for scoring.
 */

/** Why a node was rejected, in the wording of the real scheduler's status message. */
export type FilterReason = string;

/** A rejection: the plugin that said no, and its reason. */
export interface Rejection {
  plugin: FilterPlugin;
  reason: FilterReason;
}

function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.operator === 'Exists') return !t.key || t.key === taint.key;
  return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
}

function matchesRequirement(labels: Record<string, string>, r: NodeSelectorRequirement): boolean {
  const v = labels[r.key];
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return v !== undefined && values.includes(v);
    case 'NotIn':
      return v === undefined || !values.includes(v);
    case 'Exists':
      return v !== undefined;
    case 'DoesNotExist':
      return v === undefined;
    case 'Gt':
      return v !== undefined && Number(v) > Number(values[0]);
    case 'Lt':
      return v !== undefined && Number(v) < Number(values[0]);
    default:
      return false;
  }
}

/** Returns undefined when the pod fits the node, else which plugin refused it and why. */
export function filter(pod: SchedPod, info: NodeInfo): Rejection | undefined {
  const node = info.node;
  if (node.unschedulable && !pod.tolerations.some((t) => tolerates(t, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }))) {
    return { plugin: 'NodeUnschedulable', reason: 'node(s) were unschedulable' };
  }
  for (const [k, v] of pod.nodeSelector) {
    if (node.labels[k] !== v) return { plugin: 'NodeAffinity', reason: "node(s) didn't match Pod's node affinity/selector" };
  }
  if (pod.affinityTerms.length > 0 && !pod.affinityTerms.some((term) => term.every((r) => matchesRequirement(node.labels, r)))) {
    return { plugin: 'NodeAffinity', reason: "node(s) didn't match Pod's node affinity/selector" };
  }
  for (const taint of node.taints) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (!pod.tolerations.some((t) => tolerates(t, taint))) {
      return { plugin: 'TaintToleration', reason: `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}` };
    }
  }
  if (info.pods.size + 1 > node.allocPods) return { plugin: 'NodeResourcesFit', reason: 'Too many pods' };
  if (pod.cpuMillis > 0 && info.requestedCpu + pod.cpuMillis > node.allocCpuMillis) return { plugin: 'NodeResourcesFit', reason: 'Insufficient cpu' };
  if (pod.memoryBytes > 0 && info.requestedMemory + pod.memoryBytes > node.allocMemoryBytes) return { plugin: 'NodeResourcesFit', reason: 'Insufficient memory' };
  return undefined;
}

/**
 * Higher is better: free capacity after placing the pod, plus spreading of replicas.
 * `siblings`: pods of the pod's owner per node slot (NodeCache.siblingsOf).
 */
export function score(pod: SchedPod, info: NodeInfo, siblings: ReadonlyMap<number, number> | undefined): number {
  const node = info.node;
  // Pods without requests (this one and those on the node) count as the defaults the real scheduler assumes (100m, 200Mi).
  const cpu = info.nonZeroCpu + nonZeroCpu(pod);
  const mem = info.nonZeroMemory + nonZeroMemory(pod);
  const cpuFree = node.allocCpuMillis > 0 ? Math.max(0, (node.allocCpuMillis - cpu) / node.allocCpuMillis) : 0;
  const memFree = node.allocMemoryBytes > 0 ? Math.max(0, (node.allocMemoryBytes - mem) / node.allocMemoryBytes) : 0;
  const leastAllocated = ((cpuFree + memFree) / 2) * 100;
  const spread = 100 / (1 + (siblings?.get(info.slot) ?? 0));
  return leastAllocated + spread;
}

/**
 * How many feasible nodes to find before scoring, as the real scheduler's adaptive
 * percentageOfNodesToScore: all of them up to 100 nodes, then 50% minus 1% per 125
 * nodes, at least 5% and at least 100 nodes.
 */
export function nodesToFind(total: number): number {
  if (total < 100) return total;
  const pct = Math.max(5, 50 - Math.floor(total / 125));
  return Math.max(100, Math.floor((total * pct) / 100));
}

function summary(total: number, reasons: Map<string, number>): string {
  const parts = [...reasons.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([r, n]) => `${n} ${r}`);
  return parts.length ? `0/${total} nodes are available: ${parts.join(', ')}.` : `0/${total} nodes are available.`;
}

/**
 * What DefaultPreemption says of a node that failed the filters: a node no eviction could
 * make fit (an UnschedulableAndUnresolvable status: affinity, taints, a request above the
 * node's allocatable) is "not helpful"; on the others the sim, which never preempts, finds
 * no victims.
 */
export function preemptionVerdict(pod: SchedPod, info: NodeInfo, rejection: Rejection): string {
  const node = info.node;
  const why = rejection.reason;
  const tooBig = (why === 'Insufficient cpu' && pod.cpuMillis > node.allocCpuMillis) || (why === 'Insufficient memory' && pod.memoryBytes > node.allocMemoryBytes);
  const resolvable = why === 'Too many pods' || why === 'Insufficient cpu' || why === 'Insufficient memory';
  return resolvable && !tooBig ? 'No preemption victims found for incoming pod' : 'Preemption is not helpful for scheduling';
}

/**
 * The real scheduler's summary of why no node fits, with its preemption attempt's:
 * "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
 */
export function unschedulableMessage(total: number, reasons: Map<FilterReason, number>, preemption: Map<string, number>): string {
  return `${summary(total, reasons)} preemption: ${summary(total, preemption)}`;
}
