import type { Random } from '../../util/random.js';
import { LocalApiError } from '../local-client.js';
import { NodeCache, type NodeInfo } from './node-cache.js';
import { filter, type FilterReason, nodesToFind, preemptionVerdict, score, unschedulableMessage } from './plugins.js';
import type { FilterPlugin } from './queueing-hints.js';
import { type SchedNode, type SchedPod, schedulingChanged } from './sched-types.js';
import type { PodRef } from './scheduler-protocol.js';
import { SchedulerMetrics } from './scheduler-metrics.js';
import { type QueuedPod, SchedulingQueue } from './scheduling-queue.js';

export const SCHEDULER_NAME = 'default-scheduler';

/** What the scheduler asks of the apiserver; errors are LocalApiErrors with the HTTP code. */
export interface SchedulerApi {
  /** POST pods/<name>/binding. */
  bind(pod: PodRef, node: string): Promise<void>;
  /** After a successful binding: the `Scheduled` event (best effort). */
  scheduled(pod: PodRef, node: string, now: number): Promise<void>;
  /** PodScheduled=False/Unschedulable with the message, and a FailedScheduling event (best effort). */
  unschedulable(pod: PodRef, message: string, now: number): Promise<void>;
}

export interface SchedulerCoreOptions {
  random: Random;
  now(): number;
  log(line: string): void;
}

/**
 * The scheduling side of the simulated kube-scheduler, apart from how it reaches the
 * apiserver: the queue, the node cache with assumed pods, the scheduling cycle (filter,
 * score, assume) and the binding cycle's outcome. Cluster events move waiting pods as the
 * real scheduler's event handlers do (MoveAllToActiveOrBackoffQueue with queueing hints):
 * a node added or changed, a bound pod deleted or finished, and an assumed pod whose
 * binding failed (handleBindingCycleError) all release what they held.
 */
export class SchedulerCore {
  readonly queue: SchedulingQueue;
  readonly metrics: SchedulerMetrics;
  readonly cache = new NodeCache();
  /** Pods assumed on a node whose binding is still being written. */
  readonly #binding = new Map<string, QueuedPod>();
  #startIndex = 0;

  constructor(
    private readonly api: SchedulerApi,
    private readonly opts: SchedulerCoreOptions,
  ) {
    this.queue = new SchedulingQueue(opts.now, (event, queue) => this.metrics.incoming.labels(event, queue).inc());
    this.metrics = new SchedulerMetrics(() => this.queue.counts());
  }

  /** Bindings in flight. */
  get binding(): number {
    return this.#binding.size;
  }

  nodeChanged(n: SchedNode): void {
    // Heartbeats change nothing the scheduler looks at; capacity, labels and taints do.
    for (const event of this.cache.upsertNode(n)) this.queue.moveAllUnschedulable(event);
  }

  nodeDeleted(name: string): void {
    this.cache.removeNode(name);
  }

  podChanged(p: SchedPod, old?: SchedPod): void {
    if (p.nodeName) {
      // Bound (by us or anyone): counted on its node, no longer pending.
      this.queue.delete(p.key);
      if (!p.terminal) this.cache.place(p, p.nodeName);
      // A finished pod leaves the real scheduler's informer (it lists non-terminal pods only):
      // what it held is free, as when it is deleted.
      else this.#releaseAssigned(p.key);
      return;
    }
    if (p.schedulerName !== SCHEDULER_NAME || p.deleting || p.terminal) {
      this.queue.delete(p.key);
      return;
    }
    if (this.#binding.has(p.key)) return;
    this.queue.add(p, old !== undefined && schedulingChanged(old, p));
  }

  podDeleted(key: string): void {
    this.queue.delete(key);
    this.#releaseAssigned(key);
  }

  #releaseAssigned(key: string): void {
    if (!this.cache.placedOn(key)) return;
    this.cache.remove(key);
    // Freed resources may let unschedulable pods fit now.
    this.queue.moveAllUnschedulable('AssignedPodDelete');
  }

  /** Backoff expiry and the periodic flush of long-unschedulable pods. */
  tick(): void {
    this.queue.tick();
  }

  /** One scheduling cycle for the next active pod; false when none is waiting. */
  scheduleOne(): boolean {
    const q = this.queue.pop();
    if (!q) return false;
    this.#schedule(q);
    return true;
  }

  #schedule(q: QueuedPod): void {
    const start = performance.now();
    const nodes = this.cache.list();
    const want = nodesToFind(nodes.length);
    const feasible: NodeInfo[] = [];
    const reasons = new Map<FilterReason, number>();
    const rejectedBy = new Set<FilterPlugin>();
    const preemption = new Map<string, number>();
    let examined = 0;
    for (; examined < nodes.length && feasible.length < want; examined++) {
      const info = nodes[(this.#startIndex + examined) % nodes.length]!;
      const why = filter(q.pod, info);
      if (why === undefined) feasible.push(info);
      else {
        reasons.set(why.reason, (reasons.get(why.reason) ?? 0) + 1);
        rejectedBy.add(why.plugin);
        const verdict = preemptionVerdict(q.pod, info, why);
        preemption.set(verdict, (preemption.get(verdict) ?? 0) + 1);
      }
    }
    // The next search starts where this one stopped, as the real scheduler rotates.
    if (nodes.length > 0) this.#startIndex = (this.#startIndex + examined) % nodes.length;

    if (feasible.length === 0) {
      this.metrics.attempts.labels('unschedulable', SCHEDULER_NAME).inc();
      this.metrics.attemptDuration.labels('unschedulable', SCHEDULER_NAME).observe((performance.now() - start) / 1000);
      this.queue.addUnschedulable(q, rejectedBy);
      const message = unschedulableMessage(nodes.length, reasons, preemption);
      if (q.pod.unschedulableMessage !== message) {
        q.pod.unschedulableMessage = message;
        void this.api.unschedulable(q.pod, message, this.opts.now());
      }
      return;
    }
    let best = feasible[0]!;
    let bestScore = -Infinity;
    let ties = 0;
    const siblings = this.cache.siblingsOf(q.pod.ownerUid);
    for (const info of feasible) {
      const s = score(q.pod, info, siblings);
      if (s > bestScore) {
        best = info;
        bestScore = s;
        ties = 1;
      } else if (s === bestScore && this.opts.random.int(++ties) === 0) {
        // Reservoir sampling among equal scores: a uniform random pick, as the real one does.
        best = info;
      }
    }
    // Assume: counted on the node at once, before the binding is written.
    this.cache.place(q.pod, best.node.name);
    this.#binding.set(q.pod.key, q);
    void this.#bind(q, best.node.name, start);
  }

  async #bind(q: QueuedPod, node: string, start: number): Promise<void> {
    const pod = q.pod;
    try {
      await this.api.bind(pod, node);
    } catch (e) {
      this.#binding.delete(pod.key);
      this.metrics.attempts.labels('error', SCHEDULER_NAME).inc();
      this.metrics.attemptDuration.labels('error', SCHEDULER_NAME).observe((performance.now() - start) / 1000);
      // handleBindingCycleError: the assumed pod is forgotten and what it held on the node is
      // free again, so pods found unschedulable meanwhile are retried (AssignedPodDelete).
      this.#releaseAssigned(pod.key);
      // Gone, or bound by someone else meanwhile: nothing to retry.
      if (e instanceof LocalApiError && (e.code === 404 || e.code === 409)) return;
      this.opts.log(`scheduler: binding ${pod.key} to ${node} failed: ${(e as Error).message}`);
      this.queue.addBackoff(q);
      return;
    }
    this.#binding.delete(pod.key);
    const now = this.opts.now();
    this.metrics.attempts.labels('scheduled', SCHEDULER_NAME).inc();
    this.metrics.attemptDuration.labels('scheduled', SCHEDULER_NAME).observe((performance.now() - start) / 1000);
    this.metrics.sli.labels(String(q.attempts)).observe(Math.max(0, now - q.firstSeen) / 1000);
    this.metrics.podAttempts.observe(q.attempts);
    await this.api.scheduled(pod, node, now);
  }
}
