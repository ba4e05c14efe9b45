import type { ClusterEvent } from './queueing-hints.js';
import type { SchedNode, SchedPod } from './sched-types.js';

/** A node with what is already placed on it (bound and assumed pods). */
export interface NodeInfo {
  node: SchedNode;
  requestedCpu: number;
  requestedMemory: number;
  /** As requested, with 100m and 200Mi for a pod that requests none (the scheduler's NonZeroRequested, for scoring). */
  nonZeroCpu: number;
  nonZeroMemory: number;
  pods: Set<string>;
  /** This node's key in the per-owner counts (NodeCache.siblingsOf). */
  slot: number;
}

/**
 * The scheduler's view of the cluster: nodes and the resources their pods request. A pod
 * the scheduler has chosen a node for is "assumed" there at once, before the binding is
 * written, so the next pod does not see the node as emptier than it is.
 */
export class NodeCache {
  readonly #nodes = new Map<string, NodeInfo>();
  /** pod key -> node it is counted on */
  readonly #placed = new Map<string, { node: string; pod: SchedPod }>();
  /**
   * Pods per owner (controller) uid and node slot, for spreading replicas. Kept per owner
   * rather than per node so that scoring a pod reads one small map instead of one map on each
   * of hundreds of nodes (at 4,100 nodes that was most of a scheduling cycle, in cache misses).
   */
  readonly #siblings = new Map<string, Map<number, number>>();
  #nextSlot = 0;
  #list: NodeInfo[] | null = null;

  get size(): number {
    return this.#nodes.size;
  }

  /** Nodes in a stable order (the scheduler rotates where it starts looking). */
  list(): NodeInfo[] {
    if (!this.#list) this.#list = [...this.#nodes.values()].sort((a, b) => (a.node.name < b.node.name ? -1 : 1));
    return this.#list;
  }

  /** Adds or updates a node; returns the cluster events the change amounts to (none for a heartbeat). */
  upsertNode(node: SchedNode): ClusterEvent[] {
    const cur = this.#nodes.get(node.name);
    if (cur) {
      const events = nodeChangeEvents(cur.node, node);
      cur.node = node;
      return events;
    }
    this.#nodes.set(node.name, { node, requestedCpu: 0, requestedMemory: 0, nonZeroCpu: 0, nonZeroMemory: 0, pods: new Set(), slot: this.#nextSlot++ });
    this.#list = null;
    // Pods seen before their node arrived are counted now.
    for (const [key, p] of this.#placed) if (p.node === node.name) this.#add(this.#nodes.get(node.name)!, key, p.pod);
    return ['NodeAdd'];
  }

  removeNode(name: string): void {
    const info = this.#nodes.get(name);
    if (!info) return;
    this.#nodes.delete(name);
    this.#list = null;
    // Its slot is never reused, so the owners' counts for it are only dropped.
    for (const key of info.pods) {
      const owner = this.#placed.get(key)?.pod.ownerUid;
      if (owner) this.#countSibling(owner, info.slot, -1);
    }
  }

  /** How many pods of `ownerUid` each node slot holds (absent: none). */
  siblingsOf(ownerUid: string): ReadonlyMap<number, number> | undefined {
    return ownerUid ? this.#siblings.get(ownerUid) : undefined;
  }

  #countSibling(owner: string, slot: number, by: 1 | -1): void {
    let counts = this.#siblings.get(owner);
    if (!counts) {
      if (by < 0) return;
      counts = new Map();
      this.#siblings.set(owner, counts);
    }
    const n = (counts.get(slot) ?? 0) + by;
    if (n > 0) counts.set(slot, n);
    else {
      counts.delete(slot);
      if (counts.size === 0) this.#siblings.delete(owner);
    }
  }

  /** Counts `pod` on `node` (a bound pod, or one the scheduler just chose a node for). */
  place(pod: SchedPod, node: string): void {
    const prev = this.#placed.get(pod.key);
    if (prev?.node === node) return;
    if (prev) this.remove(pod.key);
    this.#placed.set(pod.key, { node, pod });
    const info = this.#nodes.get(node);
    if (info) this.#add(info, pod.key, pod);
  }

  remove(podKey: string): void {
    const prev = this.#placed.get(podKey);
    if (!prev) return;
    this.#placed.delete(podKey);
    const info = this.#nodes.get(prev.node);
    if (!info || !info.pods.delete(podKey)) return;
    info.requestedCpu -= prev.pod.cpuMillis;
    info.requestedMemory -= prev.pod.memoryBytes;
    info.nonZeroCpu -= nonZeroCpu(prev.pod);
    info.nonZeroMemory -= nonZeroMemory(prev.pod);
    if (prev.pod.ownerUid) this.#countSibling(prev.pod.ownerUid, info.slot, -1);
  }

  placedOn(podKey: string): string | undefined {
    return this.#placed.get(podKey)?.node;
  }

  #add(info: NodeInfo, key: string, pod: SchedPod): void {
    if (info.pods.has(key)) return;
    info.pods.add(key);
    info.requestedCpu += pod.cpuMillis;
    info.requestedMemory += pod.memoryBytes;
    info.nonZeroCpu += nonZeroCpu(pod);
    info.nonZeroMemory += nonZeroMemory(pod);
    if (pod.ownerUid) this.#countSibling(pod.ownerUid, info.slot, 1);
  }
}

/** The cluster events a node's change amounts to; none for a heartbeat. */
export function nodeChangeEvents(o: SchedNode, node: SchedNode): ClusterEvent[] {
  const events: ClusterEvent[] = [];
  if (o.allocCpuMillis !== node.allocCpuMillis || o.allocMemoryBytes !== node.allocMemoryBytes || o.allocPods !== node.allocPods) {
    events.push('NodeAllocatableChange');
  }
  if (o.unschedulable !== node.unschedulable) events.push('NodeSpecUnschedulableChange');
  if (JSON.stringify(o.labels) !== JSON.stringify(node.labels)) events.push('NodeLabelChange');
  if (JSON.stringify(o.taints) !== JSON.stringify(node.taints)) events.push('NodeTaintChange');
  return events;
}

/** schedutil.DefaultMilliCPURequest and DefaultMemoryRequest: what a pod without requests counts as when scoring. */
export function nonZeroCpu(pod: SchedPod): number {
  return pod.cpuMillis || 100;
}

export function nonZeroMemory(pod: SchedPod): number {
  return pod.memoryBytes || 200 * 1024 * 1024;
}
