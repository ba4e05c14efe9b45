import { rfc3339Micro, rfc3339Seconds } from '../apiserver/types.js';
import { Informer } from '../informer.js';
import { LocalApiError, type LocalClient } from '../local-client.js';
import type { Random } from '../../util/random.js';
import { NodeCache, type NodeInfo } from './node-cache.js';
import { filter, type FilterReason, nodesToFind, preemptionVerdict, score, unschedulableMessage } from './plugins.js';
import { type SchedNode, type SchedPod, toSchedNode, toSchedPod } from './sched-types.js';
import { SchedulerMetrics } from './scheduler-metrics.js';
import { type QueuedPod, SchedulingQueue } from './scheduling-queue.js';

export const SCHEDULER_NAME = 'default-scheduler';

export interface SchedulerOptions {
  /** The name in reportingInstance and the leader lease, like `default-scheduler-<host>`. */
  instance: string;
  random: Random;
  now(): number;
  log(line: string): void;
}

/** Work done in one go before yielding to the event loop (ms). */
const SLICE_MS = 10;

/**
 * The simulated kube-scheduler: watches unscheduled pods of `default-scheduler` and all
 * nodes, keeps the real queue structure, filters and scores nodes, assumes the pod on the
 * chosen node and binds it through pods/<name>/binding, then records a `Scheduled` event
 * (events.k8s.io/v1). Pods that fit nowhere get PodScheduled=False/Unschedulable and wait
 * for a node or pod change. Every API call goes through the scheduler's client, so
 * --scheduler-qps/--scheduler-burst throttle it as --kube-api-qps/burst throttle the real one.
 */
export class Scheduler {
  readonly queue: SchedulingQueue;
  readonly metrics: SchedulerMetrics;
  readonly #cache = new NodeCache();
  readonly #pods: Informer<SchedPod>;
  readonly #nodes: Informer<SchedNode>;
  /** Pods assumed on a node whose binding is still being written. */
  readonly #binding = new Map<string, QueuedPod>();
  #startIndex = 0;
  #stopped = false;
  #loop: Promise<void> | undefined;
  #ticker: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: LocalClient,
    private readonly opts: SchedulerOptions,
  ) {
    this.queue = new SchedulingQueue(opts.now, (event, queue) => this.metrics.incoming.labels(event, queue).inc());
    this.metrics = new SchedulerMetrics(() => this.queue.counts());
    this.#nodes = new Informer(client, {
      path: '/api/v1/nodes',
      transform: toSchedNode,
      handlers: {
        add: (n) => this.#nodeChanged(n),
        update: (_o, n) => this.#nodeChanged(n),
        delete: (n) => this.#cache.removeNode(n.name),
      },
    });
    this.#pods = new Informer(client, {
      path: '/api/v1/pods',
      transform: toSchedPod,
      handlers: {
        add: (p) => this.#podChanged(p),
        update: (_o, p) => this.#podChanged(p),
        delete: (p) => this.#podDeleted(p),
      },
    });
  }

  async start(): Promise<void> {
    await this.#nodes.start();
    await this.#pods.start();
    this.#ticker = setInterval(() => this.queue.tick(), 200);
    this.#ticker.unref();
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#ticker) clearInterval(this.#ticker);
    this.#pods.stop();
    this.#nodes.stop();
    this.queue.wake();
    await this.#loop;
  }

  #nodeChanged(n: SchedNode): void {
    // Heartbeats change nothing the scheduler looks at; capacity, labels and taints do.
    if (this.#cache.upsertNode(n)) this.queue.moveAllUnschedulable('NodeChange');
  }

  #podChanged(p: SchedPod): void {
    if (p.nodeName) {
      // Bound (by us or anyone): counted on its node, no longer pending.
      this.queue.delete(p.key);
      if (p.terminal) this.#cache.remove(p.key);
      else this.#cache.place(p, p.nodeName);
      return;
    }
    if (p.schedulerName !== SCHEDULER_NAME || p.deleting || p.terminal) {
      this.queue.delete(p.key);
      return;
    }
    if (this.#binding.has(p.key)) return;
    this.queue.add(p);
  }

  #podDeleted(p: SchedPod): void {
    this.queue.delete(p.key);
    if (this.#cache.placedOn(p.key)) {
      this.#cache.remove(p.key);
      // Freed resources may let unschedulable pods fit now.
      this.queue.moveAllUnschedulable('AssignedPodDelete');
    }
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      await this.queue.waitForWork();
      const sliceStart = performance.now();
      while (!this.#stopped && performance.now() - sliceStart < SLICE_MS) {
        const q = this.queue.pop();
        if (!q) break;
        this.#scheduleOne(q);
      }
      // Let watches, bindings and status writes run between slices.
      await new Promise((r) => setImmediate(r));
    }
  }

  #scheduleOne(q: QueuedPod): void {
    const start = performance.now();
    const nodes = this.#cache.list();
    const want = nodesToFind(nodes.length);
    const feasible: NodeInfo[] = [];
    const reasons = new Map<FilterReason, number>();
    const preemption = new Map<string, number>();
    let examined = 0;
    for (; examined < nodes.length && feasible.length < want; examined++) {
      const info = nodes[(this.#startIndex + examined) % nodes.length]!;
      const why = filter(q.pod, info);
      if (why === undefined) feasible.push(info);
      else {
        reasons.set(why, (reasons.get(why) ?? 0) + 1);
        const verdict = preemptionVerdict(q.pod, info, why);
        preemption.set(verdict, (preemption.get(verdict) ?? 0) + 1);
      }
    }
    // The next search starts where this one stopped, as the real scheduler rotates.
    if (nodes.length > 0) this.#startIndex = (this.#startIndex + examined) % nodes.length;

    if (feasible.length === 0) {
      this.metrics.attempts.labels('unschedulable', SCHEDULER_NAME).inc();
      this.metrics.attemptDuration.labels('unschedulable', SCHEDULER_NAME).observe((performance.now() - start) / 1000);
      this.queue.addUnschedulable(q);
      void this.#markUnschedulable(q.pod, unschedulableMessage(nodes.length, reasons, preemption));
      return;
    }
    let best = feasible[0]!;
    let bestScore = -Infinity;
    let ties = 0;
    for (const info of feasible) {
      const s = score(q.pod, info);
      if (s > bestScore) {
        best = info;
        bestScore = s;
        ties = 1;
      } else if (s === bestScore && this.opts.random.int(++ties) === 0) {
        // Reservoir sampling among equal scores: a uniform random pick, as the real one does.
        best = info;
      }
    }
    this.#cache.place(q.pod, best.node.name);
    this.#binding.set(q.pod.key, q);
    void this.#bind(q, best.node.name, start);
  }

  async #bind(q: QueuedPod, node: string, start: number): Promise<void> {
    const pod = q.pod;
    try {
      await this.client.send('POST', `/api/v1/namespaces/${pod.namespace}/pods/${pod.name}/binding`, {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: pod.name, namespace: pod.namespace, uid: pod.uid },
        target: { apiVersion: 'v1', kind: 'Node', name: node },
      });
    } catch (e) {
      this.#binding.delete(pod.key);
      this.#cache.remove(pod.key);
      this.metrics.attempts.labels('error', SCHEDULER_NAME).inc();
      this.metrics.attemptDuration.labels('error', SCHEDULER_NAME).observe((performance.now() - start) / 1000);
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
    await this.#event(pod, 'Normal', 'Scheduled', 'Binding', `Successfully assigned ${pod.namespace}/${pod.name} to ${node}`, now);
  }

  async #markUnschedulable(pod: SchedPod, message: string): Promise<void> {
    if (pod.unschedulableMessage === message) return;
    pod.unschedulableMessage = message;
    const now = this.opts.now();
    try {
      await this.client.patch(`/api/v1/namespaces/${pod.namespace}/pods/${pod.name}/status`, {
        metadata: { uid: pod.uid },
        status: {
          conditions: [
            { type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: rfc3339Seconds(now), reason: 'Unschedulable', message },
          ],
        },
      }, 'strategic');
    } catch (e) {
      if (!(e instanceof LocalApiError && (e.code === 404 || e.code === 409))) {
        this.opts.log(`scheduler: status of ${pod.key}: ${(e as Error).message}`);
      }
      return;
    }
    await this.#event(pod, 'Warning', 'FailedScheduling', 'Scheduling', message, now);
  }

  /** An events.k8s.io/v1 Event, with eventTime in microseconds as the real scheduler writes. */
  async #event(pod: SchedPod, type: string, reason: string, action: string, note: string, now: number): Promise<void> {
    try {
      await this.client.send('POST', `/apis/events.k8s.io/v1/namespaces/${pod.namespace}/events`, {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name: `${pod.name}.${Math.floor(now * 1000).toString(16)}${this.opts.random.int(4096).toString(16)}`, namespace: pod.namespace },
        eventTime: rfc3339Micro(now),
        reportingController: SCHEDULER_NAME,
        reportingInstance: this.opts.instance,
        action,
        reason,
        note,
        type,
        regarding: { apiVersion: 'v1', kind: 'Pod', namespace: pod.namespace, name: pod.name, uid: pod.uid },
      });
    } catch (e) {
      // Events are best effort, as in the real scheduler.
      if (!(e instanceof LocalApiError)) this.opts.log(`scheduler: event for ${pod.key}: ${(e as Error).message}`);
    }
  }
}
