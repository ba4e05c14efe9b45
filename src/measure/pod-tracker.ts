import type { KubeClient } from '../cluster/kube-client.js';
import { PHASE_LABEL } from '../load/labels.js';
import { LATE_READY, LATE_RUNNING, LATE_SCHEDULED, type PodRecord } from './pod-phases.js';
import { PodTable } from './pod-table.js';

/** Wall-clock milliseconds from the monotonic clock: sub-millisecond, never steps back. */
export function clientNow(): number {
  return performance.timeOrigin + performance.now();
}

function ts(v: unknown): number {
  if (typeof v !== 'string') return 0;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : 0;
}

interface PodLike {
  metadata?: {
    uid?: string;
    namespace?: string;
    name?: string;
    labels?: Record<string, string>;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    resourceVersion?: string;
  };
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    conditions?: { type?: string; status?: string; lastTransitionTime?: string }[];
    containerStatuses?: { state?: { running?: { startedAt?: string } }; ready?: boolean }[];
  };
}

export interface TrackerCounts {
  seen: number;
  scheduled: number;
  running: number;
  ready: number;
  deleted: number;
}

const zero = (): TrackerCounts => ({ seen: 0, scheduled: 0, running: 0, ready: 0, deleted: 0 });

/** How the tracker's connection to the API server stands, for the run's health check. */
export interface TrackerHealth {
  /** Client clock (ms) since which every list or watch attempt has failed; undefined when the last one worked. */
  failingSince?: number;
  lastError?: string;
}

/**
 * Watches the run's pods (by its label) and stamps each lifecycle transition as it is
 * observed. Disconnects resume from the last resourceVersion (bookmarks keep it fresh);
 * a 410 Gone relists and reconciles, so no pod is lost or counted twice. Counts are kept
 * as running totals, so asking for them costs the same at 150,000 pods as at 10.
 */
export class PodTracker {
  readonly #pods = new PodTable();
  readonly #createSent = new Map<string, number>();
  #rv = '';
  #abort = new AbortController();
  #stopped = false;
  #running: Promise<void> | undefined;
  #synced!: () => void;
  readonly synced: Promise<void>;
  reconnects = 0;
  relists = 0;
  /** Per-second increments, taken by the time series. */
  #tick: TrackerCounts = zero();
  readonly totals: TrackerCounts = zero();
  /** Pods not deleted, in each state (seen = every live pod). */
  readonly #current: TrackerCounts = zero();
  /** The same two, per workload phase (the kbench.io/phase label), for the phases' waits. */
  readonly #byPhase = new Map<string, { totals: TrackerCounts; current: TrackerCounts }>();
  /** When the current watch connection was asked for (client clock). */
  #connectedAt = Infinity;
  readonly #health: TrackerHealth = {};

  /** Pods that existed before tracking began (kbench collect leaves them out). */
  readonly #ignored = new Set<string>();
  #listed = false;

  constructor(
    private readonly client: KubeClient,
    private readonly labelSelector: string,
    private readonly log: (line: string) => void = () => undefined,
    private readonly options: { ignoreExisting?: boolean } = {},
  ) {
    this.synced = new Promise((r) => (this.#synced = r));
  }

  start(): void {
    this.#running = this.#loop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort();
    await this.#running;
  }

  /** The load generator reports each pod it creates, before sending (namespace/name -> time). */
  noteCreateSent(namespace: string, name: string, at: number): void {
    this.#createSent.set(`${namespace}/${name}`, at);
  }

  get size(): number {
    return this.#pods.size;
  }

  /** Each tracked pod's record, as a fresh object (the tracker keeps them as table rows). */
  pods(): IterableIterator<PodRecord> {
    return this.#pods.records();
  }

  takeTick(): TrackerCounts {
    const t = this.#tick;
    this.#tick = zero();
    return t;
  }

  /** Pods currently (not deleted) in each state, and how many were deleted. */
  current(): TrackerCounts {
    return { ...this.#current };
  }

  /**
   * Running counts of one workload phase's pods: `totals` ever seen in each state, `current`
   * not deleted (with `current.deleted` how many were). Without a phase, every pod's.
   */
  counts(phase?: string): { totals: TrackerCounts; current: TrackerCounts } {
    if (phase === undefined) return { totals: { ...this.totals }, current: { ...this.#current } };
    const c = this.#byPhase.get(phase);
    return { totals: { ...(c?.totals ?? zero()) }, current: { ...(c?.current ?? zero()) } };
  }

  health(): TrackerHealth {
    return { ...this.#health };
  }

  #failed(error: string): void {
    this.#health.failingSince ??= Date.now();
    this.#health.lastError = error;
  }

  #worked(): void {
    delete this.#health.failingSince;
    delete this.#health.lastError;
  }

  async #loop(): Promise<void> {
    let needList = true;
    while (!this.#stopped) {
      if (needList) {
        try {
          await this.#relist();
          needList = false;
          this.#worked();
          this.#synced();
        } catch (e) {
          if (this.#stopped) return;
          this.#failed(`list pods: ${(e as Error).message}`);
          this.log(`pod tracker: list failed (${(e as Error).message}); retrying`);
          await this.#pause(1000);
          continue;
        }
      }
      let gone = false;
      this.#connectedAt = clientNow();
      const res = await this.client.watch(
        '/api/v1/pods',
        { labelSelector: this.labelSelector, resourceVersion: this.#rv, allowWatchBookmarks: 'true', timeoutSeconds: '300' },
        (type, obj, receivedAt) => {
          if (type === 'ERROR') {
            const code = (obj as { code?: number }).code;
            if (code === 410) gone = true;
            return;
          }
          const rv = (obj as PodLike).metadata?.resourceVersion;
          if (rv) this.#rv = rv;
          if (type === 'BOOKMARK') return;
          this.#observe(type, obj as PodLike, receivedAt);
        },
        this.#abort.signal,
      );
      if (this.#stopped) return;
      if (gone || res.status === 410) {
        // The resourceVersion fell out of the server's history: list again and reconcile.
        this.relists++;
        needList = true;
        continue;
      }
      this.reconnects++;
      if (res.status === 200 && !res.error) this.#worked();
      else this.#failed(`watch pods: ${res.status ? `${res.status} ` : ''}${(res.error ?? '').slice(0, 200)}`);
      if (res.error || res.status !== 200) await this.#pause(200);
    }
  }

  #pause(ms: number): Promise<void> {
    return new Promise((r) => {
      const t = setTimeout(r, ms);
      this.#abort.signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
    });
  }

  async #relist(): Promise<void> {
    const at = performance.now();
    const present = new Set<string>();
    let cont = '';
    do {
      const q: Record<string, string> = { labelSelector: this.labelSelector, limit: '500' };
      if (cont) q.continue = cont;
      const page = await this.client.json<{ metadata: { resourceVersion: string; continue?: string }; items: PodLike[] }>('GET', '/api/v1/pods', { query: q });
      for (const item of page.items) {
        const uid = item.metadata?.uid;
        if (!uid) continue;
        if (!this.#listed && this.options.ignoreExisting) this.#ignored.add(uid);
        present.add(uid);
        this.#observe('RELIST', item, at);
      }
      this.#rv = page.metadata.resourceVersion;
      cont = page.metadata.continue ?? '';
    } while (cont);
    this.#listed = true;
    // Pods we knew that are no longer there were deleted while we were not watching.
    const pods = this.#pods;
    for (let r = 0; r < pods.size; r++) {
      if (!present.has(pods.uid(r)) && !pods.get(r, 'deletedSeen')) this.#deleted(r, performance.timeOrigin + at);
    }
  }

  #phaseCounts(r: number): { totals: TrackerCounts; current: TrackerCounts } {
    const phase = this.#pods.phase(r);
    let c = this.#byPhase.get(phase);
    if (!c) this.#byPhase.set(phase, (c = { totals: zero(), current: zero() }));
    return c;
  }

  #count(r: number, k: keyof TrackerCounts): void {
    this.#tick[k]++;
    this.totals[k]++;
    this.#current[k]++;
    const c = this.#phaseCounts(r);
    c.totals[k]++;
    c.current[k]++;
  }

  #deleted(r: number, at: number): void {
    const pods = this.#pods;
    pods.set(r, 'deletedSeen', at);
    this.#count(r, 'deleted');
    for (const current of [this.#current, this.#phaseCounts(r).current]) {
      current.seen--;
      if (pods.get(r, 'scheduledSeen')) current.scheduled--;
      if (pods.get(r, 'runningSeen')) current.running--;
      if (pods.get(r, 'readySeen')) current.ready--;
    }
  }

  #observe(type: string, o: PodLike, receivedMono: number): void {
    const uid = o.metadata?.uid;
    if (!uid || this.#ignored.has(uid)) return;
    const at = performance.timeOrigin + receivedMono;
    const live = type !== 'RELIST';
    const pods = this.#pods;
    let r = pods.row(uid);
    if (r === undefined) {
      const namespace = o.metadata?.namespace ?? '';
      const name = o.metadata?.name ?? '';
      const created = ts(o.metadata?.creationTimestamp);
      r = pods.add({
        uid,
        namespace,
        name,
        phase: o.metadata?.labels?.[PHASE_LABEL] ?? '',
        createSent: this.#createSent.get(`${namespace}/${name}`) ?? 0,
        created,
        firstSeen: at,
        // creationTimestamp is truncated to the second, so the pod was made at or after it:
        // a connection asked for before that second cannot be replaying an older event.
        firstSeenLive: live && created > 0 && this.#connectedAt < created,
      });
      this.#createSent.delete(`${namespace}/${name}`);
      this.#count(r, 'seen');
    }
    if (pods.get(r, 'deletedSeen')) return;
    if (type === 'DELETED') {
      this.#deleted(r, at);
      return;
    }
    const node = o.spec?.nodeName;
    if (node && !pods.get(r, 'scheduledSeen')) {
      pods.setNode(r, node);
      pods.set(r, 'scheduledSeen', at);
      if (!live) pods.addLate(r, LATE_SCHEDULED);
      this.#count(r, 'scheduled');
    }
    const status = o.status ?? {};
    for (const c of status.conditions ?? []) {
      if (c.type === 'PodScheduled' && c.status === 'True' && !pods.get(r, 'scheduledServer')) pods.set(r, 'scheduledServer', ts(c.lastTransitionTime));
      if (c.type === 'Ready' && c.status === 'True' && !pods.get(r, 'readyServer')) pods.set(r, 'readyServer', ts(c.lastTransitionTime));
    }
    if (status.phase === 'Running' && !pods.get(r, 'runningSeen')) {
      pods.set(r, 'runningSeen', at);
      if (!live) pods.addLate(r, LATE_RUNNING);
      let started = 0;
      for (const cs of status.containerStatuses ?? []) started = Math.max(started, ts(cs.state?.running?.startedAt));
      pods.set(r, 'startedServer', started);
      this.#count(r, 'running');
    }
    if (!pods.get(r, 'readySeen') && (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')) {
      pods.set(r, 'readySeen', at);
      if (!live) pods.addLate(r, LATE_READY);
      this.#count(r, 'ready');
    }
  }
}
