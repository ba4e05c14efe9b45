import { type ClusterEvent, eventMayHelp, type FilterPlugin } from './queueing-hints.js';
import type { SchedPod } from './sched-types.js';

export interface QueuedPod {
  pod: SchedPod;
  /** Scheduling attempts so far. */
  attempts: number;
  /** When the pod first entered the queue (ms), for the scheduling SLI. */
  firstSeen: number;
  /** When it last entered the active queue (ms): the tie-break after priority. */
  enqueuedAt: number;
  backoffUntil: number;
}

export type QueueName = 'active' | 'backoff' | 'unschedulable' | 'gated';

/** Initial and maximum per-pod backoff (kube-scheduler --pod-initial/max-backoff-seconds). */
const INITIAL_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 10_000;
/** Unschedulable pods are retried at least this often (podMaxInUnschedulablePodsDuration). */
export const UNSCHEDULABLE_FLUSH_MS = 5 * 60_000;

/**
 * The scheduler's queue as the real one is built: an active heap ordered by priority then
 * arrival, a backoff queue for pods that failed recently, a map of unschedulable pods that
 * wait for a cluster change, and gated pods (schedulingGates) that are not tried at all.
 */
export class SchedulingQueue {
  readonly #heap: QueuedPod[] = [];
  readonly #where = new Map<string, QueueName>();
  readonly #entries = new Map<string, QueuedPod>();
  readonly #backoff = new Map<string, QueuedPod>();
  readonly #unschedulable = new Map<string, { q: QueuedPod; since: number; rejectedBy: ReadonlySet<FilterPlugin> }>();
  readonly #gated = new Map<string, QueuedPod>();
  #waiters: (() => void)[] = [];

  /** `incoming`: every pod put in a queue, and why (scheduler_queue_incoming_pods_total's event label). */
  constructor(
    private readonly now: () => number,
    private readonly incoming: (event: string, queue: QueueName) => void = () => undefined,
  ) {}

  counts(): Record<QueueName, number> {
    return { active: this.#heap.length, backoff: this.#backoff.size, unschedulable: this.#unschedulable.size, gated: this.#gated.size };
  }

  has(key: string): boolean {
    return this.#where.has(key);
  }

  /**
   * A new (or changed) pending pod. `schedulingChanged`: the change touches what scheduling
   * looks at (tolerations, selectors, gates), which may make a waiting pod schedulable.
   */
  add(pod: SchedPod, schedulingChanged = false): void {
    const existing = this.#entries.get(pod.key);
    if (existing) {
      existing.pod = pod;
      const where = this.#where.get(pod.key);
      if (where === 'gated' && !pod.gated) {
        this.#gated.delete(pod.key);
        this.#pushActive(existing);
      } else if (where === 'unschedulable' && schedulingChanged) {
        const u = this.#unschedulable.get(pod.key)!;
        if (eventMayHelp('UnscheduledPodUpdate', u.rejectedBy)) {
          this.#unschedulable.delete(pod.key);
          this.#requeue(existing, 'UnscheduledPodUpdate');
        }
      }
      return;
    }
    const now = this.now();
    const q: QueuedPod = { pod, attempts: 0, firstSeen: now, enqueuedAt: now, backoffUntil: 0 };
    this.#entries.set(pod.key, q);
    if (pod.gated) {
      this.#gated.set(pod.key, q);
      this.#where.set(pod.key, 'gated');
      this.incoming('PodAdd', 'gated');
    } else {
      this.#pushActive(q);
      this.incoming('PodAdd', 'active');
    }
  }

  delete(key: string): void {
    const where = this.#where.get(key);
    if (!where) return;
    this.#where.delete(key);
    const q = this.#entries.get(key);
    this.#entries.delete(key);
    if (where === 'backoff') this.#backoff.delete(key);
    else if (where === 'unschedulable') this.#unschedulable.delete(key);
    else if (where === 'gated') this.#gated.delete(key);
    else if (q) {
      const i = this.#heap.indexOf(q);
      if (i >= 0) this.#removeAt(i);
    }
  }

  /** Takes the next pod to schedule, or undefined when the active queue is empty. */
  pop(): QueuedPod | undefined {
    if (this.#heap.length === 0) return undefined;
    const q = this.#removeAt(0);
    this.#where.delete(q.pod.key);
    this.#entries.delete(q.pod.key);
    q.attempts++;
    return q;
  }

  /** Resolves when the active queue has a pod (or `wake()` is called). */
  waitForWork(): Promise<void> {
    if (this.#heap.length > 0) return Promise.resolve();
    return new Promise((r) => this.#waiters.push(r));
  }

  wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /**
   * A pod that fit no node waits for a cluster change that one of the plugins that rejected
   * it registered for (or the periodic flush).
   */
  addUnschedulable(q: QueuedPod, rejectedBy: ReadonlySet<FilterPlugin>): void {
    q.backoffUntil = this.now() + this.#backoffMs(q.attempts);
    this.#entries.set(q.pod.key, q);
    this.#unschedulable.set(q.pod.key, { q, since: this.now(), rejectedBy });
    this.#where.set(q.pod.key, 'unschedulable');
    this.incoming('ScheduleAttemptFailure', 'unschedulable');
  }

  /** A pod whose attempt failed for another reason (binding error) retries after backoff. */
  addBackoff(q: QueuedPod): void {
    q.backoffUntil = this.now() + this.#backoffMs(q.attempts);
    this.#entries.set(q.pod.key, q);
    this.#backoff.set(q.pod.key, q);
    this.#where.set(q.pod.key, 'backoff');
    this.incoming('ScheduleAttemptFailure', 'backoff');
  }

  /**
   * A cluster change (MoveAllToActiveOrBackoffQueue): the unschedulable pods it may help are
   * retried, after what is left of their backoff.
   */
  moveAllUnschedulable(event: ClusterEvent): void {
    for (const [key, { q, rejectedBy }] of this.#unschedulable) {
      if (!eventMayHelp(event, rejectedBy)) continue;
      this.#unschedulable.delete(key);
      this.#requeue(q, event);
    }
  }

  /** Periodic work: backoff expiry, and the flush of long-unschedulable pods. */
  tick(): void {
    const now = this.now();
    for (const [key, q] of this.#backoff) {
      if (q.backoffUntil <= now) {
        this.#backoff.delete(key);
        this.#pushActive(q);
      }
    }
    for (const [key, { q, since }] of this.#unschedulable) {
      if (now - since >= UNSCHEDULABLE_FLUSH_MS) {
        this.#unschedulable.delete(key);
        this.#requeue(q, 'UnschedulableTimeout');
      }
    }
  }

  #requeue(q: QueuedPod, event: string): void {
    if (q.backoffUntil > this.now()) {
      this.#backoff.set(q.pod.key, q);
      this.#where.set(q.pod.key, 'backoff');
      this.incoming(event, 'backoff');
    } else {
      this.#pushActive(q);
      this.incoming(event, 'active');
    }
  }

  #backoffMs(attempts: number): number {
    return Math.min(MAX_BACKOFF_MS, INITIAL_BACKOFF_MS * 2 ** Math.max(0, attempts - 1));
  }

  #less(a: QueuedPod, b: QueuedPod): boolean {
    if (a.pod.priority !== b.pod.priority) return a.pod.priority > b.pod.priority;
    return a.enqueuedAt < b.enqueuedAt;
  }

  #pushActive(q: QueuedPod): void {
    q.enqueuedAt = this.now();
    this.#entries.set(q.pod.key, q);
    this.#where.set(q.pod.key, 'active');
    const h = this.#heap;
    h.push(q);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
    this.wake();
  }

  #removeAt(i: number): QueuedPod {
    const h = this.#heap;
    const out = h[i]!;
    const last = h.pop()!;
    if (i < h.length) {
      h[i] = last;
      // Restore the heap in both directions from i.
      let j = i;
      while (j > 0 && this.#less(h[j]!, h[(j - 1) >> 1]!)) {
        const p = (j - 1) >> 1;
        [h[j], h[p]] = [h[p]!, h[j]!];
        j = p;
      }
      for (;;) {
        const l = 2 * j + 1;
        const r = l + 1;
        let m = j;
        if (l < h.length && this.#less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.#less(h[r]!, h[m]!)) m = r;
        if (m === j) break;
        [h[j], h[m]] = [h[m]!, h[j]!];
        j = m;
      }
    }
    return out;
  }
}
