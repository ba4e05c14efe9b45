import { randomUUID } from 'node:crypto';
import { nodeUser } from '../apiserver/user-info.js';
import { isRecord, type KubeObject, rfc3339Seconds } from '../apiserver/types.js';
import { Informer } from '../informer.js';
import { LocalApiError, type LocalClient } from '../local-client.js';
import type { Random } from '../../util/random.js';
import type { PodStageSpec } from './pod-stages.js';
import type { KubeletPod } from './pod-status.js';
import { type PodWriter, StageEngine, StageWriteError } from './stage-engine.js';

export interface PodLifecycleOptions {
  /** Node name -> its InternalIP and pod address prefix (a.b.c). */
  nodes: Map<string, { ip: string; podPrefix: string }>;
  /** The profile: every stage the kubelets run. */
  stages: readonly PodStageSpec[];
  random: Random;
  now(): number;
  log(line: string): void;
}

/** What the informer keeps of a bound pod. */
interface BoundPod {
  key: string;
  namespace: string;
  name: string;
  uid: string;
  node: string;
  containers: { name: string; image: string }[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  qosClass: string;
  phase: string;
  deleting: boolean;
  graceSeconds: number | undefined;
}

function toBoundPod(o: KubeObject): BoundPod {
  const spec = isRecord(o.spec) ? o.spec : {};
  const status = isRecord(o.status) ? o.status : {};
  const containers = (Array.isArray(spec.containers) ? spec.containers : []).filter(isRecord).map((c) => ({
    name: String(c.name),
    image: String(c.image),
  }));
  return {
    key: `${o.metadata.namespace}/${o.metadata.name}`,
    namespace: o.metadata.namespace ?? '',
    name: o.metadata.name ?? '',
    uid: o.metadata.uid ?? '',
    node: String(spec.nodeName ?? ''),
    containers,
    labels: o.metadata.labels ?? {},
    annotations: o.metadata.annotations ?? {},
    qosClass: typeof status.qosClass === 'string' ? status.qosClass : 'BestEffort',
    phase: typeof status.phase === 'string' ? status.phase : 'Pending',
    deleting: !!o.metadata.deletionTimestamp,
    graceSeconds: o.metadata.deletionGracePeriodSeconds,
  };
}

function writeError(e: unknown): unknown {
  if (!(e instanceof LocalApiError)) return e;
  // Gone, or replaced by another pod of the same name (uid precondition): nothing left to do.
  return new StageWriteError(e.message, e.code === 404 || e.code === 409, e.retryAfterSeconds ? e.retryAfterSeconds * 1000 : undefined);
}

/**
 * The pod side of every simulated kubelet, in one engine for all nodes (as kwok does):
 * watches pods bound to the sim's nodes and hands each to the stage engine, which walks it
 * through the profile's stages; each node's writes carry that node's credentials.
 */
export class PodLifecycle {
  readonly #informer: Informer<BoundPod>;
  readonly #engine: StageEngine;
  readonly #usedIps = new Map<string, Set<number>>();
  readonly #nodeClients = new Map<string, LocalClient>();
  #stopped = false;

  constructor(
    private readonly client: LocalClient,
    private readonly opts: PodLifecycleOptions,
  ) {
    this.#engine = new StageEngine(this.#writer(), {
      stages: opts.stages,
      random: opts.random,
      now: opts.now,
      log: opts.log,
      onForget: (p) => {
        if (p.podIp) this.#usedIps.get(p.node)?.delete(Number(p.podIp.split('.')[3]));
      },
    });
    this.#informer = new Informer(client, {
      path: '/api/v1/pods',
      fieldSelector: 'spec.nodeName!=',
      transform: toBoundPod,
      handlers: {
        add: (p) => this.#observe(p),
        update: (_o, p) => this.#observe(p),
        delete: (p) => this.#forget(p.key),
      },
    });
  }

  start(): Promise<void> {
    return this.#informer.start();
  }

  stop(): void {
    this.#stopped = true;
    this.#informer.stop();
    this.#engine.stop();
  }

  /** Pods the kubelets are looking after, by lifecycle state. */
  counts(): Record<string, number> {
    return this.#engine.counts();
  }

  /** Each node's kubelet writes with its node's credentials. */
  #clientFor(node: string): LocalClient {
    let c = this.#nodeClients.get(node);
    if (!c) this.#nodeClients.set(node, (c = this.client.as(nodeUser(node))));
    return c;
  }

  #writer(): PodWriter {
    const path = (p: KubeletPod): string => `/api/v1/namespaces/${p.namespace}/pods/${p.name}`;
    return {
      status: (p, status) => this.#clientFor(p.node).send('PATCH', `${path(p)}/status`, { metadata: { uid: p.uid }, status }).catch((e: unknown) => Promise.reject(writeError(e))),
      remove: (p) => this.#clientFor(p.node).send('DELETE', path(p), { gracePeriodSeconds: 0, preconditions: { uid: p.uid } }).catch((e: unknown) => Promise.reject(writeError(e))),
      event: (p, ev, now) => {
        const t = rfc3339Seconds(now);
        return this.#clientFor(p.node)
          .send('POST', `/api/v1/namespaces/${p.namespace}/events`, {
            apiVersion: 'v1',
            kind: 'Event',
            metadata: { name: `${p.name}.${(now * 1000 + Math.floor(this.opts.random.next() * 1000)).toString(16)}`, namespace: p.namespace },
            involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: p.namespace, name: p.name, uid: p.uid, fieldPath: `spec.containers{${ev.container}}` },
            reason: ev.reason,
            message: ev.message,
            source: { component: 'kubelet', host: p.node },
            firstTimestamp: t,
            lastTimestamp: t,
            count: 1,
            type: ev.type,
            reportingComponent: 'kubelet',
            reportingInstance: p.node,
          })
          .catch((e: unknown) => Promise.reject(writeError(e)));
      },
    };
  }

  #observe(b: BoundPod): void {
    if (this.#stopped) return;
    const node = this.opts.nodes.get(b.node);
    if (!node) return; // bound to a node this sim does not run
    let p = this.#engine.get(b.key);
    if (p && p.uid !== b.uid) {
      this.#forget(b.key);
      p = undefined;
    }
    if (!p) {
      if (b.phase === 'Succeeded' || b.phase === 'Failed') return;
      p = {
        key: b.key,
        namespace: b.namespace,
        name: b.name,
        uid: b.uid,
        node: b.node,
        containers: b.containers,
        labels: b.labels,
        annotations: b.annotations,
        qosClass: b.qosClass,
        // A pod already Running (the sim restarted on kept data) carries on from there.
        state: b.phase === 'Running' ? 'running' : 'bound',
        boundAt: this.opts.now(),
        hostIp: node.ip,
        podIp: this.#allocateIp(b.node, node.podPrefix),
        containerIds: b.containers.map(() => randomUUID().replace(/-/g, '') + randomUUID().replace(/-/g, '')),
        conditions: new Map(),
      };
      if (b.deleting) {
        p.graceSeconds = b.graceSeconds;
        p.state = 'terminating';
      }
      this.#engine.add(p);
      return;
    }
    if (b.deleting && p.state !== 'terminating') {
      p.graceSeconds = b.graceSeconds;
      this.#engine.enter(p, 'terminating');
    }
  }

  #allocateIp(node: string, prefix: string): string | undefined {
    let used = this.#usedIps.get(node);
    if (!used) this.#usedIps.set(node, (used = new Set()));
    for (let host = 2; host < 255; host++) {
      if (!used.has(host)) {
        used.add(host);
        return `${prefix}.${host}`;
      }
    }
    return undefined;
  }

  #forget(key: string): void {
    this.#engine.forget(key);
  }
}
