import type { KubeClient } from '../cluster/kube-client.js';
import { exactStats, type Stats } from './stats.js';

/** Wall-clock milliseconds from the monotonic clock: sub-millisecond, never steps back. */
export function clientNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * What the tracker keeps of one pod: timestamps only, never the object (kube-burner ran
 * out of memory holding 150k pod objects). `*Seen` are client receive times (ms, from the
 * monotonic clock); the others are the server's stamps (ms, 1-second precision).
 */
export interface PodRecord {
  uid: string;
  namespace: string;
  name: string;
  /** The workload phase that made it (kbench.io/phase label). */
  phase: string;
  node: string;
  /** When kbench sent the create, for pods it created itself. */
  createSent: number;
  created: number;
  scheduledServer: number;
  startedServer: number;
  readyServer: number;
  firstSeen: number;
  scheduledSeen: number;
  runningSeen: number;
  readySeen: number;
  deletedSeen: number;
  /** Transitions learned from a relist rather than a live event (their *Seen is late). */
  late: number;
}

export const LATE_SCHEDULED = 1;
export const LATE_RUNNING = 2;
export const LATE_READY = 4;

/** The pod startup phases of the Kubernetes SLO and clusterloader2, plus create_to_ready. */
export const PHASES = ['create_to_schedule', 'schedule_to_run', 'run_to_watch', 'schedule_to_watch', 'pod_startup', 'create_to_ready'] as const;
export type PhaseName = (typeof PHASES)[number];

export interface PhaseSummary {
  stats?: Stats;
  /** Pods whose value came out below zero from 1-second server stamps and was clamped to 0. */
  clamped: number;
  /** Where each end of the phase comes from. */
  source: string;
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

/**
 * Watches the run's pods (by its label) and stamps each lifecycle transition as it is
 * observed. Disconnects resume from the last resourceVersion (bookmarks keep it fresh);
 * a 410 Gone relists and reconciles, so no pod is lost or counted twice.
 */
export class PodTracker {
  readonly #pods = new Map<string, PodRecord>();
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
  #tick: TrackerCounts = { seen: 0, scheduled: 0, running: 0, ready: 0, deleted: 0 };
  readonly totals: TrackerCounts = { seen: 0, scheduled: 0, running: 0, ready: 0, deleted: 0 };

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

  pods(): IterableIterator<PodRecord> {
    return this.#pods.values();
  }

  takeTick(): TrackerCounts {
    const t = this.#tick;
    this.#tick = { seen: 0, scheduled: 0, running: 0, ready: 0, deleted: 0 };
    return t;
  }

  /** Pods currently (not deleted) in each state. */
  current(): TrackerCounts {
    const c: TrackerCounts = { seen: 0, scheduled: 0, running: 0, ready: 0, deleted: 0 };
    for (const p of this.#pods.values()) {
      if (p.deletedSeen) {
        c.deleted++;
        continue;
      }
      c.seen++;
      if (p.scheduledSeen) c.scheduled++;
      if (p.runningSeen) c.running++;
      if (p.readySeen) c.ready++;
    }
    return c;
  }

  async #loop(): Promise<void> {
    let needList = true;
    while (!this.#stopped) {
      if (needList) {
        try {
          await this.#relist();
          needList = false;
          this.#synced();
        } catch (e) {
          if (this.#stopped) return;
          this.log(`pod tracker: list failed (${(e as Error).message}); retrying`);
          await new Promise((r) => setTimeout(r, 1000));
          continue;
        }
      }
      let gone = false;
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
      if (res.error) await new Promise((r) => setTimeout(r, 200));
    }
  }

  async #relist(): Promise<void> {
    const at = clientNow();
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
    for (const p of this.#pods.values()) {
      if (!present.has(p.uid) && !p.deletedSeen) {
        p.deletedSeen = at;
        this.#count('deleted');
      }
    }
  }

  #count(k: keyof TrackerCounts): void {
    this.#tick[k]++;
    this.totals[k]++;
  }

  #observe(type: string, o: PodLike, receivedMono: number): void {
    const uid = o.metadata?.uid;
    if (!uid || this.#ignored.has(uid)) return;
    const at = performance.timeOrigin + receivedMono;
    const live = type !== 'RELIST';
    let p = this.#pods.get(uid);
    if (!p) {
      const namespace = o.metadata?.namespace ?? '';
      const name = o.metadata?.name ?? '';
      p = {
        uid,
        namespace,
        name,
        phase: o.metadata?.labels?.['kbench.io/phase'] ?? '',
        node: '',
        createSent: this.#createSent.get(`${namespace}/${name}`) ?? 0,
        created: ts(o.metadata?.creationTimestamp),
        scheduledServer: 0,
        startedServer: 0,
        readyServer: 0,
        firstSeen: at,
        scheduledSeen: 0,
        runningSeen: 0,
        readySeen: 0,
        deletedSeen: 0,
        late: 0,
      };
      this.#pods.set(uid, p);
      this.#count('seen');
    }
    if (type === 'DELETED') {
      if (!p.deletedSeen) {
        p.deletedSeen = at;
        this.#count('deleted');
      }
      return;
    }
    const node = o.spec?.nodeName;
    if (node && !p.scheduledSeen) {
      p.node = node;
      p.scheduledSeen = at;
      if (!live) p.late |= LATE_SCHEDULED;
      this.#count('scheduled');
    }
    const status = o.status ?? {};
    for (const c of status.conditions ?? []) {
      if (c.type === 'PodScheduled' && c.status === 'True' && !p.scheduledServer) p.scheduledServer = ts(c.lastTransitionTime);
      if (c.type === 'Ready' && c.status === 'True' && !p.readyServer) p.readyServer = ts(c.lastTransitionTime);
    }
    if (status.phase === 'Running' && !p.runningSeen) {
      p.runningSeen = at;
      if (!live) p.late |= LATE_RUNNING;
      let started = 0;
      for (const cs of status.containerStatuses ?? []) started = Math.max(started, ts(cs.state?.running?.startedAt));
      p.startedServer = started;
      this.#count('running');
    }
    if (!p.readySeen && (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')) {
      p.readySeen = at;
      if (!live) p.late |= LATE_READY;
      this.#count('ready');
    }
  }
}

/** Creation as the best clock has it: the create kbench sent, else creationTimestamp. */
export function creationOf(p: PodRecord): number {
  return p.createSent || p.created;
}

/**
 * Each phase per pod, in ms. Ends observed by the client are sub-millisecond; server
 * stamps are whole seconds, so a server-to-client difference can come out slightly
 * negative: it is clamped to 0 and counted, never hidden.
 */
export function podPhases(p: PodRecord): Record<PhaseName, number | undefined> & { clamped: PhaseName[] } {
  const clamped: PhaseName[] = [];
  const diff = (name: PhaseName, from: number, to: number): number | undefined => {
    if (!from || !to) return undefined;
    const d = to - from;
    if (d < 0) {
      clamped.push(name);
      return 0;
    }
    return d;
  };
  const created = creationOf(p);
  const scheduled = p.scheduledSeen;
  return {
    create_to_schedule: diff('create_to_schedule', created, scheduled),
    schedule_to_run: diff('schedule_to_run', scheduled, p.runningSeen),
    run_to_watch: diff('run_to_watch', p.startedServer, p.runningSeen),
    schedule_to_watch: diff('schedule_to_watch', p.scheduledServer || scheduled, p.runningSeen),
    pod_startup: diff('pod_startup', created, p.runningSeen),
    create_to_ready: diff('create_to_ready', created, p.readySeen),
    clamped,
  };
}

export const PHASE_SOURCES: Record<PhaseName, string> = {
  create_to_schedule: 'create sent by kbench (else creationTimestamp, 1 s) -> nodeName observed by watch',
  schedule_to_run: 'nodeName observed -> phase Running observed (both client clock)',
  run_to_watch: 'containers started (server startedAt, 1 s) -> Running observed',
  schedule_to_watch: 'PodScheduled condition (server, 1 s) -> Running observed',
  pod_startup: 'create sent by kbench (else creationTimestamp, 1 s) -> Running observed (Kubernetes pod startup SLO)',
  create_to_ready: 'create sent by kbench (else creationTimestamp, 1 s) -> Ready observed',
};

export function phaseSummaries(pods: Iterable<PodRecord>): Record<PhaseName, PhaseSummary> {
  const samples = Object.fromEntries(PHASES.map((n) => [n, [] as number[]])) as Record<PhaseName, number[]>;
  const clamped = Object.fromEntries(PHASES.map((n) => [n, 0])) as Record<PhaseName, number>;
  for (const p of pods) {
    const ph = podPhases(p);
    for (const n of PHASES) {
      const v = ph[n];
      if (v !== undefined) samples[n].push(v);
    }
    for (const n of ph.clamped) clamped[n]++;
  }
  const out = {} as Record<PhaseName, PhaseSummary>;
  for (const n of PHASES) {
    const s: PhaseSummary = { clamped: clamped[n], source: PHASE_SOURCES[n] };
    const st = exactStats(samples[n]);
    if (st) s.stats = st;
    out[n] = s;
  }
  return out;
}
