import { POD_PHASE_NAMES, type PodPhaseName, type PodPhaseSummary, type PodStart, type PodsSummary } from '../results/format.js';
import { exactStats } from './stats.js';

/**
 * What the tracker keeps of one pod: timestamps only, never the object (kube-burner ran
 * out of memory holding 150k pod objects). `*Seen` are client receive times (ms since the
 * epoch, from the monotonic clock); the others are the server's stamps (1-second precision).
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
  /** The first sight came from a live watch event on a connection opened before the pod's creationTimestamp: firstSeen is when the pod appeared. */
  firstSeenLive: boolean;
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

/**
 * Where a pod's clock starts, best first: the create kbench sent; for a pod kbench did not
 * create (every Deployment pod), the moment its open watch first received it; only for a
 * pod that existed before the watch saw it, creationTimestamp (whole seconds, so a burst
 * of pods all shift by the same up-to-a-second rounding).
 */
export function podStart(p: PodRecord): { at: number; kind: PodStart } {
  if (p.createSent) return { at: p.createSent, kind: 'create_sent' };
  if (p.firstSeenLive && p.firstSeen) return { at: p.firstSeen, kind: 'watch_first_seen' };
  return { at: p.created, kind: 'creation_timestamp' };
}

export type PodPhases = Record<PodPhaseName, number | undefined> & { clamped: PodPhaseName[]; start: PodStart };

/**
 * Each phase per pod, in ms. Ends observed by the client are sub-millisecond; server
 * stamps are whole seconds, so a server-to-client difference can come out slightly
 * negative: it is clamped to 0 and counted, never hidden.
 */
export function podPhases(p: PodRecord): PodPhases {
  const clamped: PodPhaseName[] = [];
  const diff = (name: PodPhaseName, from: number, to: number): number | undefined => {
    if (!from || !to) return undefined;
    const d = to - from;
    if (d < 0) {
      clamped.push(name);
      return 0;
    }
    return d;
  };
  const start = podStart(p);
  const scheduled = p.scheduledSeen;
  return {
    create_to_schedule: diff('create_to_schedule', start.at, scheduled),
    schedule_to_run: diff('schedule_to_run', scheduled, p.runningSeen),
    run_to_watch: diff('run_to_watch', p.startedServer, p.runningSeen),
    schedule_to_watch: diff('schedule_to_watch', p.scheduledServer || scheduled, p.runningSeen),
    pod_startup: diff('pod_startup', start.at, p.runningSeen),
    create_to_ready: diff('create_to_ready', start.at, p.readySeen),
    clamped,
    start: start.kind,
  };
}

const START = 'the pod\'s start (create sent by kbench; else first seen by kbench\'s open watch; else creationTimestamp, 1 s)';

export const PHASE_SOURCES: Record<PodPhaseName, string> = {
  create_to_schedule: `${START} -> nodeName observed by watch`,
  schedule_to_run: 'nodeName observed -> phase Running observed (both client clock)',
  run_to_watch: 'containers started (server startedAt, 1 s) -> Running observed',
  schedule_to_watch: 'PodScheduled condition (server, 1 s) -> Running observed',
  pod_startup: `${START} -> Running observed (Kubernetes pod startup SLO)`,
  create_to_ready: `${START} -> Ready observed`,
};

/**
 * Every phase's exact percentiles over the pods, and how many pods started at each kind of
 * start. Each phase's values go into one typed array of the pods' count, outside V8's heap:
 * growing JS arrays of 150,000 values promoted their old copies, and that was kbench's
 * memory peak of the 150k run.
 */
export function phaseSummaries(pods: { readonly size: number; values(): Iterable<PodRecord> }): Pick<PodsSummary, 'phases' | 'starts'> {
  const values = Object.fromEntries(POD_PHASE_NAMES.map((n) => [n, new Float64Array(pods.size)])) as Record<PodPhaseName, Float64Array>;
  const counts = Object.fromEntries(POD_PHASE_NAMES.map((n) => [n, 0])) as Record<PodPhaseName, number>;
  const clamped = Object.fromEntries(POD_PHASE_NAMES.map((n) => [n, 0])) as Record<PodPhaseName, number>;
  const starts: Partial<Record<PodStart, number>> = {};
  for (const p of pods.values()) {
    const ph = podPhases(p);
    starts[ph.start] = (starts[ph.start] ?? 0) + 1;
    for (const n of POD_PHASE_NAMES) {
      const v = ph[n];
      if (v !== undefined) values[n][counts[n]++] = v;
    }
    for (const n of ph.clamped) clamped[n]++;
  }
  const samples = Object.fromEntries(POD_PHASE_NAMES.map((n) => [n, values[n].subarray(0, counts[n])])) as Record<PodPhaseName, Float64Array>;
  return summarizePhases(samples, clamped, starts);
}

/** The phases' summaries from every pod's values (also how kbench merge recomputes them from pods.csv). */
export function summarizePhases(
  samples: Record<PodPhaseName, ArrayLike<number>>,
  clamped: Record<PodPhaseName, number>,
  starts: Partial<Record<PodStart, number>>,
): Pick<PodsSummary, 'phases' | 'starts'> {
  const phases: Partial<Record<PodPhaseName, PodPhaseSummary>> = {};
  for (const n of POD_PHASE_NAMES) {
    const st = exactStats(samples[n]);
    phases[n] = { ...(st ?? { count: 0 }), unit: 'ms', clamped: clamped[n], source: PHASE_SOURCES[n] };
  }
  return { phases, starts };
}
