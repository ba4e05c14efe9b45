import { rfc3339Micro, rfc3339Seconds } from '../apiserver/types.js';
import { Informer } from '../informer.js';
import { LocalApiError, type LocalClient } from '../local-client.js';
import type { Random } from '../../util/random.js';
import { toSchedNode, toSchedPod, type SchedPod } from './sched-types.js';
import { SCHEDULER_NAME, type SchedulerApi, SchedulerCore } from './scheduler-core.js';
import type { SchedulerMetrics } from './scheduler-metrics.js';
import type { SchedulingQueue } from './scheduling-queue.js';

export { SCHEDULER_NAME } from './scheduler-core.js';

export interface SchedulerOptions {
  /** The name in reportingInstance and the leader lease, like `default-scheduler-<host>`. */
  instance: string;
  random: Random;
  now(): number;
  log(line: string): void;
}

/** Work done in one go before yielding to the event loop (ms). */
const SLICE_MS = 10;
/** How often backoff expiry and the unschedulable flush are checked (the real: 1 s and 30 s). */
const TICK_MS = 200;

/**
 * The simulated kube-scheduler: watches unscheduled pods of `default-scheduler` and all
 * nodes, keeps the real queue structure, filters and scores nodes, assumes the pod on the
 * chosen node and binds it through pods/<name>/binding, then records a `Scheduled` event
 * (events.k8s.io/v1). Pods that fit nowhere get PodScheduled=False/Unschedulable and wait
 * for a cluster event that may help them. Every API call goes through the scheduler's
 * client, so --scheduler-qps/--scheduler-burst throttle it as --kube-api-qps/burst throttle
 * the real one; Events go through a second client with its own limiter of the same rate, as
 * kube-scheduler's `createClients` makes an event client apart from the one that binds.
 */
export class Scheduler {
  readonly #core: SchedulerCore;
  readonly #pods: Informer<SchedPod>;
  readonly #nodes: Informer<ReturnType<typeof toSchedNode>>;
  #stopped = false;
  #loop: Promise<void> | undefined;
  #ticker: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: LocalClient,
    private readonly eventClient: LocalClient,
    private readonly opts: SchedulerOptions,
  ) {
    this.#core = new SchedulerCore(this.#api(), opts);
    this.#nodes = new Informer(client, {
      path: '/api/v1/nodes',
      transform: toSchedNode,
      handlers: {
        add: (n) => this.#nodeChanged(n),
        update: (_o, n) => this.#nodeChanged(n),
        delete: (n) => this.#core.nodeDeleted(n.name),
      },
    });
    this.#pods = new Informer(client, {
      path: '/api/v1/pods',
      transform: toSchedPod,
      handlers: {
        add: (p) => this.#core.podChanged(p),
        update: (o, p) => this.#core.podChanged(p, o),
        delete: (p) => this.#core.podDeleted(p),
      },
    });
  }

  get queue(): SchedulingQueue {
    return this.#core.queue;
  }

  get metrics(): SchedulerMetrics {
    return this.#core.metrics;
  }

  async start(): Promise<void> {
    await this.#nodes.start();
    await this.#pods.start();
    this.#ticker = setInterval(() => this.#core.tick(), TICK_MS);
    this.#ticker.unref();
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#ticker) clearInterval(this.#ticker);
    this.#pods.stop();
    this.#nodes.stop();
    this.#core.queue.wake();
    await this.#loop;
  }

  #nodeChanged(n: ReturnType<typeof toSchedNode>): void {
    this.#core.nodeChanged(n);
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      await this.#core.queue.waitForWork();
      const sliceStart = performance.now();
      while (!this.#stopped && performance.now() - sliceStart < SLICE_MS && this.#core.scheduleOne());
      // Let watches, bindings and status writes run between slices.
      await new Promise((r) => setImmediate(r));
    }
  }

  /** The scheduler's requests, through its own rate-limited client. */
  #api(): SchedulerApi {
    return {
      bind: (pod, node) =>
        this.client.send('POST', `/api/v1/namespaces/${pod.namespace}/pods/${pod.name}/binding`, {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name: pod.name, namespace: pod.namespace, uid: pod.uid },
          target: { apiVersion: 'v1', kind: 'Node', name: node },
        }),
      scheduled: (pod, node, now) => this.#event(pod, 'Normal', 'Scheduled', 'Binding', `Successfully assigned ${pod.namespace}/${pod.name} to ${node}`, now),
      unschedulable: async (pod, message, now) => {
        try {
          await this.client.patch(
            `/api/v1/namespaces/${pod.namespace}/pods/${pod.name}/status`,
            {
              metadata: { uid: pod.uid },
              status: {
                conditions: [{ type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: rfc3339Seconds(now), reason: 'Unschedulable', message }],
              },
            },
            'strategic',
          );
        } catch (e) {
          if (!(e instanceof LocalApiError && (e.code === 404 || e.code === 409))) {
            this.opts.log(`scheduler: status of ${pod.key}: ${(e as Error).message}`);
          }
          return;
        }
        await this.#event(pod, 'Warning', 'FailedScheduling', 'Scheduling', message, now);
      },
    };
  }

  /** An events.k8s.io/v1 Event, with eventTime in microseconds as the real scheduler writes. */
  async #event(pod: SchedPod, type: string, reason: string, action: string, note: string, now: number): Promise<void> {
    try {
      await this.eventClient.send('POST', `/apis/events.k8s.io/v1/namespaces/${pod.namespace}/events`, {
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
