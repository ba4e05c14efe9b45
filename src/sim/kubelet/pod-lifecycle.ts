import { randomUUID } from 'node:crypto';
import { isRecord, type KubeObject, rfc3339Seconds } from '../apiserver/types.js';
import { nodeUser } from '../apiserver/user-info.js';
import { Informer } from '../informer.js';
import { LocalApiError, type LocalClient } from '../local-client.js';
import { parseDuration } from '../../util/duration.js';
import type { Random } from '../../util/random.js';
import { DEFAULT_POD_STAGES, type PodRecord, type PodStage, type PodState } from './pod-stages.js';

/** Per-pod overrides of the startup delay, like kwok's annotations. */
export const STARTUP_DELAY_ANNOTATION = 'kbench.io/startup-delay';
export const STARTUP_JITTER_ANNOTATION = 'kbench.io/startup-jitter';

export interface PodLifecycleOptions {
  /** Node name -> its InternalIP and pod address prefix (a.b.c). */
  nodes: Map<string, { ip: string; podPrefix: string }>;
  startupDelayMs: number;
  startupJitterMs: number;
  terminationDelayMs: number;
  events: boolean;
  stages?: readonly PodStage[];
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
  qosClass: string;
  phase: string;
  deleting: boolean;
  graceSeconds: number | undefined;
  delay: string | undefined;
  jitter: string | undefined;
}

function toBoundPod(o: KubeObject): BoundPod {
  const spec = isRecord(o.spec) ? o.spec : {};
  const status = isRecord(o.status) ? o.status : {};
  const ann = o.metadata.annotations ?? {};
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
    qosClass: typeof status.qosClass === 'string' ? status.qosClass : 'BestEffort',
    phase: typeof status.phase === 'string' ? status.phase : 'Pending',
    deleting: !!o.metadata.deletionTimestamp,
    graceSeconds: o.metadata.deletionGracePeriodSeconds,
    delay: ann[STARTUP_DELAY_ANNOTATION],
    jitter: ann[STARTUP_JITTER_ANNOTATION],
  };
}

/**
 * The pod side of every simulated kubelet, in one engine for all nodes (as kwok does):
 * watches pods bound to the sim's nodes and walks each through the lifecycle stages,
 * writing status through pods/<name>/status and deleting terminated pods with grace 0.
 */
export class PodLifecycle {
  readonly #informer: Informer<BoundPod>;
  readonly #records = new Map<string, PodRecord>();
  readonly #usedIps = new Map<string, Set<number>>();
  readonly #stages: Map<PodState, PodStage>;
  #stopped = false;
  readonly #nodeClients = new Map<string, LocalClient>();

  constructor(
    private readonly client: LocalClient,
    private readonly opts: PodLifecycleOptions,
  ) {
    this.#stages = new Map((opts.stages ?? DEFAULT_POD_STAGES).map((s) => [s.from, s]));
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

  /** Each node's kubelet writes with its node's credentials. */
  #clientFor(node: string): LocalClient {
    let c = this.#nodeClients.get(node);
    if (!c) this.#nodeClients.set(node, (c = this.client.as(nodeUser(node))));
    return c;
  }

  stop(): void {
    this.#stopped = true;
    this.#informer.stop();
    for (const r of this.#records.values()) if (r.timer) clearTimeout(r.timer);
  }

  /** Pods the kubelets are looking after, by lifecycle state. */
  counts(): Record<PodState, number> {
    const out: Record<PodState, number> = { bound: 0, creating: 0, running: 0, terminating: 0 };
    for (const r of this.#records.values()) out[r.state]++;
    return out;
  }

  #observe(p: BoundPod): void {
    if (this.#stopped) return;
    const node = this.opts.nodes.get(p.node);
    if (!node) return; // bound to a node this sim does not run
    let r = this.#records.get(p.key);
    if (r && r.uid !== p.uid) {
      this.#forget(p.key);
      r = undefined;
    }
    if (!r) {
      if (p.phase === 'Succeeded' || p.phase === 'Failed') return;
      r = {
        key: p.key,
        namespace: p.namespace,
        name: p.name,
        uid: p.uid,
        node: p.node,
        containers: p.containers,
        qosClass: p.qosClass,
        state: p.phase === 'Running' ? 'running' : 'bound',
        boundAt: this.opts.now(),
        startupMs: this.#startupDelay(p),
        hostIp: node.ip,
        containerIds: p.containers.map(() => randomUUID().replace(/-/g, '') + randomUUID().replace(/-/g, '')),
      };
      r.podIp = this.#allocateIp(p.node, node.podPrefix);
      this.#records.set(p.key, r);
      if (!p.deleting) this.#enter(r, r.state);
    }
    if (p.deleting && r.state !== 'terminating') {
      r.graceSeconds = p.graceSeconds;
      this.#enter(r, 'terminating');
    }
  }

  #startupDelay(p: BoundPod): number {
    const parse = (v: string | undefined, fallback: number): number => {
      if (v === undefined) return fallback;
      try {
        return parseDuration(v);
      } catch {
        return fallback;
      }
    };
    return this.opts.random.around(parse(p.delay, this.opts.startupDelayMs), parse(p.jitter, this.opts.startupJitterMs));
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
    const r = this.#records.get(key);
    if (!r) return;
    if (r.timer) clearTimeout(r.timer);
    this.#records.delete(key);
    if (r.podIp) this.#usedIps.get(r.node)?.delete(Number(r.podIp.split('.')[3]));
  }

  #enter(r: PodRecord, state: PodState): void {
    r.state = state;
    if (r.timer) clearTimeout(r.timer);
    r.timer = undefined;
    const stage = this.#stages.get(state);
    if (!stage) return;
    const ctx = { now: this.opts.now(), terminationDelayMs: this.opts.terminationDelayMs };
    r.timer = setTimeout(() => void this.#fire(r, stage), Math.max(0, stage.delay(r, ctx)));
  }

  async #fire(r: PodRecord, stage: PodStage, attempt = 0): Promise<void> {
    r.timer = undefined;
    if (this.#stopped || this.#records.get(r.key) !== r || r.state !== stage.from) return;
    const now = this.opts.now();
    const ctx = { now, terminationDelayMs: this.opts.terminationDelayMs };
    const path = `/api/v1/namespaces/${r.namespace}/pods/${r.name}`;
    try {
      if (stage.to === 'deleted') {
        await this.#clientFor(r.node).send('DELETE', path, { gracePeriodSeconds: 0, preconditions: { uid: r.uid } });
        this.#forget(r.key);
        return;
      }
      if (stage.to === 'creating') r.startedAt = now;
      if (stage.status) {
        await this.#clientFor(r.node).send('PATCH', `${path}/status`, { metadata: { uid: r.uid }, status: stage.status(r, ctx) });
      }
      if (this.opts.events && stage.events) await this.#writeEvents(r, stage.events(r), now);
      if (this.#records.get(r.key) === r && r.state === stage.from) this.#enter(r, stage.to);
    } catch (e) {
      if (e instanceof LocalApiError && (e.code === 404 || e.code === 409)) {
        // Gone, or replaced by another pod of the same name: nothing left to do for this one.
        if (e.code === 404) this.#forget(r.key);
        return;
      }
      const retryMs = e instanceof LocalApiError && e.retryAfterSeconds ? e.retryAfterSeconds * 1000 : Math.min(10_000, 200 * 2 ** attempt);
      if (attempt === 3) this.opts.log(`kubelet ${r.node}: ${stage.name} of ${r.key} keeps failing: ${(e as Error).message}`);
      r.timer = setTimeout(() => void this.#fire(r, stage, attempt + 1), retryMs);
    }
  }

  async #writeEvents(r: PodRecord, events: { reason: string; message: string; container: string }[], now: number): Promise<void> {
    const t = rfc3339Seconds(now);
    for (const ev of events) {
      await this.#clientFor(r.node).send('POST', `/api/v1/namespaces/${r.namespace}/events`, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${r.name}.${(now * 1000 + Math.floor(this.opts.random.next() * 1000)).toString(16)}`, namespace: r.namespace },
        involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: r.namespace, name: r.name, uid: r.uid, fieldPath: `spec.containers{${ev.container}}` },
        reason: ev.reason,
        message: ev.message,
        source: { component: 'kubelet', host: r.node },
        firstTimestamp: t,
        lastTimestamp: t,
        count: 1,
        type: 'Normal',
        reportingComponent: 'kubelet',
        reportingInstance: r.node,
      });
    }
  }
}
