import { rfc3339Micro, rfc3339Seconds } from '../apiserver/types.js';
import { Informer } from '../informer.js';
import { LocalApiError, type LocalClient } from '../local-client.js';
import { MetricsServer } from '../metrics-server.js';
import type { ServingCerts } from '../tls.js';
import type { Random } from '../../util/random.js';
import { nodeChangeEvents } from './node-cache.js';
import { type SchedNode, toSchedNode, toSchedPod, type SchedPod } from './sched-types.js';
import { SCHEDULER_NAME, type SchedulerApi, SchedulerCore } from './scheduler-core.js';
import { SchedulerLoop } from './scheduler-loop.js';
import type { PodRef } from './scheduler-protocol.js';
import { type SchedulingHalf, SchedulerThread } from './scheduler-thread.js';

export { SCHEDULER_NAME } from './scheduler-core.js';

export interface SchedulerOptions {
  /** The name in reportingInstance and the leader lease, like `default-scheduler-<host>`. */
  instance: string;
  random: Random;
  now(): number;
  log(line: string): void;
  /** Its /metrics endpoint: where it listens, its certificate, the bearer token it wants. */
  metrics: { host: string; certs: ServingCerts; token: string };
  /** Scheduling cycles in a worker thread of their own (the default), or in this one. */
  thread: boolean;
}

/** The scheduling half in the sim's main thread (`--scheduler-thread=false`). */
class InlineHalf implements SchedulingHalf {
  readonly #core: SchedulerCore;
  readonly #loop: SchedulerLoop;
  readonly #server: MetricsServer;
  metricsUrl = '';

  constructor(api: SchedulerApi, opts: SchedulerOptions) {
    this.#core = new SchedulerCore(api, opts);
    this.#loop = new SchedulerLoop(this.#core);
    this.#server = new MetricsServer(this.#core.metrics.registry, opts.metrics.certs, opts.metrics.token);
  }

  async start(host: string): Promise<void> {
    this.#loop.start();
    this.metricsUrl = await this.#server.listen(host);
  }

  nodeChanged(n: SchedNode): void {
    this.#core.nodeChanged(n);
  }

  nodeDeleted(name: string): void {
    this.#core.nodeDeleted(name);
  }

  podChanged(p: SchedPod, old?: SchedPod): void {
    this.#core.podChanged(p, old);
  }

  podDeleted(p: SchedPod): void {
    this.#core.podDeleted(p.key);
  }

  async metrics(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.#core.metrics.registry.contentType, body: this.#core.metrics.registry.text() };
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.#loop.stop(), this.#server.close()]);
  }
}

/**
 * The simulated kube-scheduler: watches unscheduled pods of `default-scheduler` and all
 * nodes, keeps the real queue structure, filters and scores nodes, assumes the pod on the
 * chosen node and binds it through pods/<name>/binding, then records a `Scheduled` event
 * (events.k8s.io/v1). Pods that fit nowhere get PodScheduled=False/Unschedulable and wait
 * for a cluster event that may help them. Every API call goes through the scheduler's
 * client, so --scheduler-qps/--scheduler-burst throttle it as --kube-api-qps/burst throttle
 * the real one; Events go through a second client with its own limiter of the same rate, as
 * kube-scheduler's `createClients` makes an event client apart from the one that binds.
 *
 * Its informers and clients live in the sim's main thread (they read the apiserver's watch
 * cache in place); the scheduling half (queue, node cache, cycles, metrics) runs in a worker
 * thread by default, fed only the changes that matter to scheduling.
 */
export class Scheduler {
  readonly #pods: Informer<SchedPod>;
  readonly #nodes: Informer<SchedNode>;
  #half: SchedulingHalf | undefined;
  #stopped = false;

  constructor(
    private readonly client: LocalClient,
    private readonly eventClient: LocalClient,
    private readonly opts: SchedulerOptions,
  ) {
    this.#nodes = new Informer(client, {
      path: '/api/v1/nodes',
      transform: toSchedNode,
      handlers: {
        add: (n) => this.#half?.nodeChanged(n),
        // Heartbeats change nothing the scheduler looks at: not passed on.
        update: (o, n) => void (nodeChangeEvents(o, n).length > 0 && this.#half?.nodeChanged(n)),
        delete: (n) => this.#half?.nodeDeleted(n.name),
      },
    });
    this.#pods = new Informer(client, {
      path: '/api/v1/pods',
      transform: toSchedPod,
      handlers: {
        add: (p) => this.#half?.podChanged(p),
        update: (o, p) => {
          // A bound pod matters again only when it finishes (or moves, which a new uid does).
          if (p.nodeName) {
            if (o.nodeName !== p.nodeName || o.terminal !== p.terminal || o.uid !== p.uid) this.#half?.podChanged(p);
          } else this.#half?.podChanged(p, o);
        },
        delete: (p) => this.#half?.podDeleted(p),
      },
    });
  }

  /** Where the scheduler's /metrics is served. */
  get metricsUrl(): string {
    return this.#half?.metricsUrl ?? '';
  }

  /** Its /metrics text (for the apiserver's proxy to its mirror pod). */
  metrics(): Promise<{ contentType: string; body: string }> {
    return this.#half ? this.#half.metrics() : Promise.resolve({ contentType: 'text/plain; charset=utf-8', body: '' });
  }

  async start(): Promise<void> {
    const api = this.#api();
    if (this.opts.thread) this.#half = await this.#startThread(api);
    else {
      const inline = new InlineHalf(api, this.opts);
      await inline.start(this.opts.metrics.host);
      this.#half = inline;
    }
    await this.#nodes.start();
    await this.#pods.start();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#pods.stop();
    this.#nodes.stop();
    await this.#half?.stop();
  }

  async #startThread(api: SchedulerApi, port = 0): Promise<SchedulerThread> {
    const { host, certs, token } = this.opts.metrics;
    const thread = await SchedulerThread.start({ seed: Math.floor(this.opts.random.next() * 4294967296), host, port, certs, token }, api, this.opts.log);
    thread.onDied = (why) => void this.#restart(why);
    return thread;
  }

  /**
   * The scheduling thread died (a bug in it): started again and given what the informers
   * hold, as kubelet restarts a crashed kube-scheduler, which lists pods and nodes again.
   */
  async #restart(why: string): Promise<void> {
    this.opts.log(`scheduler: its thread died (${why}); restarting it`);
    const port = Number(new URL(this.metricsUrl).port);
    this.#half = undefined;
    if (this.#stopped) return;
    try {
      const thread = await this.#startThread(this.#api(), port);
      if (this.#stopped) return void (await thread.stop());
      for (const n of this.#nodes.values()) thread.nodeChanged(n);
      for (const p of this.#pods.values()) thread.podChanged(p);
      this.#half = thread;
    } catch (e) {
      this.opts.log(`scheduler: could not restart its thread: ${(e as Error).message}`);
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
  async #event(pod: PodRef, type: string, reason: string, action: string, note: string, now: number): Promise<void> {
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
