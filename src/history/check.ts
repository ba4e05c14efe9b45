import { type ChangePoint, type ChangePointOptions, DEFAULT_CHANGE_OPTIONS, findChangePoints } from './change-points.js';
import { type Better, betterOf, isKeyMeasurement, type MeasurementUnit, nameMatcher } from './measurements.js';
import type { StoredRun } from './records.js';
import type { Acknowledgement, HistoryStore, SeriesPoint } from './store.js';
import { BadInputError } from '../util/errors.js';

/** A request `history check` or `history trend` cannot answer as asked: bad input (exit 2). */
export class HistoryQueryError extends BadInputError {}

export interface SeriesSelection {
  /** Only this workload; every workload in the history when absent. */
  workload?: string;
  /** Name patterns (`*` for any text); absent: the key measurements. */
  measurements?: readonly string[];
  /** Analyse only the newest N runs of each workload. */
  last?: number;
  /** Include runs that did not complete. */
  includeIncomplete?: boolean;
}

export interface CheckOptions extends SeriesSelection {
  changePoints?: Partial<ChangePointOptions>;
  /** A change point is new when it begins within the newest K runs of its workload... */
  newWithin: number;
  /** ...or, when given, at or after this run. */
  since?: string;
}

export const DEFAULT_NEW_WITHIN = 5;
export const DEFAULT_LAST = 100;
/** An acknowledgement covers a change point that begins this many runs either side of the run it names: the estimate moves as runs arrive. */
export const ACK_SLACK_RUNS = 2;

export type CheckStatus = 'regression' | 'acknowledged' | 'improvement' | 'ok' | 'too few runs';

export interface MeasurementSeries {
  workload: string;
  measurement: string;
  unit: MeasurementUnit;
  better: Better;
  points: SeriesPoint[];
  changePoints: ChangePoint[];
}

export interface MeasurementCheck extends MeasurementSeries {
  /** The newest change point, when it is new. */
  newest?: ChangePoint;
  status: CheckStatus;
  acknowledgement?: Acknowledgement;
}

export interface WorkloadSeries {
  workload: string;
  runs: StoredRun[];
  series: MeasurementSeries[];
  warnings: string[];
}

/** The series the selection names, each with its change points, per workload. */
export async function analyseSeries(store: HistoryStore, sel: SeriesSelection, options: Partial<ChangePointOptions> = {}): Promise<WorkloadSeries[]> {
  const o = { ...DEFAULT_CHANGE_OPTIONS, ...options };
  const all = await store.workloads();
  if (sel.workload !== undefined && !all.includes(sel.workload)) {
    throw new HistoryQueryError(`the history has no runs of workload ${sel.workload}${all.length ? ` (it has ${all.join(', ')})` : ' (it is empty)'}`);
  }
  const keep = sel.measurements && sel.measurements.length > 0 ? nameMatcher(sel.measurements) : isKeyMeasurement;
  const out: WorkloadSeries[] = [];
  for (const workload of sel.workload !== undefined ? [sel.workload] : all) {
    const runs = await store.runs({ workload, includeIncomplete: sel.includeIncomplete ?? false, ...(sel.last !== undefined ? { last: sel.last } : {}) });
    const bySeries = await store.series(runs, keep);
    const series = [...bySeries.entries()].map(([measurement, points]) => {
      const better = betterOf(measurement);
      const enough = points.length >= 2 * o.minSize;
      return { workload, measurement, unit: points[0]!.unit, better, points, changePoints: enough ? findChangePoints(points, better, o) : [] };
    });
    out.push({ workload, runs, series, warnings: shaWarnings(workload, runs) });
  }
  if (sel.measurements && sel.measurements.length > 0 && out.every((w) => w.series.length === 0)) {
    throw new HistoryQueryError(`no run${sel.workload ? ` of ${sel.workload}` : ''} in the history has a measurement named ${sel.measurements.join(' or ')}; names look like pod_startup.p99, api.POST pods resource.p99, server.etcd_wal_fsync.p99 (kbench history show <run id> lists a run's)`);
  }
  return out;
}

/** The workload file changed between runs: a change point there may be the workload's own. */
function shaWarnings(workload: string, runs: readonly StoredRun[]): string[] {
  const out: string[] = [];
  for (let i = 1; i < runs.length; i++) {
    if (runs[i]!.workloadSha256 !== runs[i - 1]!.workloadSha256) {
      out.push(`workload ${workload} changed at run ${runs[i]!.runId} (sha256 ${runs[i - 1]!.workloadSha256.slice(0, 12)} -> ${runs[i]!.workloadSha256.slice(0, 12)}): a change point there may come from the workload, not the cluster`);
    }
  }
  return out;
}

/**
 * Change-point detection over every selected series, and which of them begin a new
 * regression: the newest change point of a measurement, if it is new, a regression and
 * not acknowledged.
 */
export async function checkHistory(store: HistoryStore, o: CheckOptions): Promise<{ workloads: WorkloadSeries[]; checks: MeasurementCheck[] }> {
  const co = { ...DEFAULT_CHANGE_OPTIONS, ...o.changePoints };
  const workloads = await analyseSeries(store, { ...o, last: o.last ?? DEFAULT_LAST }, co);
  const since = o.since === undefined ? undefined : (await store.run(o.since))?.run;
  if (o.since !== undefined && !since) throw new HistoryQueryError(`--since ${o.since}: the history has no run with that id (kbench history list shows them)`);
  const checks: MeasurementCheck[] = [];
  for (const w of workloads) {
    const position = new Map(w.runs.map((r, i) => [r.runId, i]));
    // New: within the newest K runs, or from the --since run on (by time, across workloads).
    const firstNew = since === undefined ? Math.max(0, w.runs.length - o.newWithin) : w.runs.findIndex((r) => r.startedAt > since.startedAt || (r.startedAt === since.startedAt && r.runId >= since.runId));
    const acks = await store.acknowledgements(w.workload);
    for (const s of w.series) {
      const newestCp = s.changePoints.at(-1);
      const base = { ...s };
      if (s.points.length < 2 * co.minSize) {
        checks.push({ ...base, status: 'too few runs' });
        continue;
      }
      if (!newestCp || firstNew < 0 || position.get(newestCp.runId)! < firstNew) {
        checks.push({ ...base, status: 'ok' });
        continue;
      }
      if (newestCp.direction !== 'regression') {
        checks.push({ ...base, newest: newestCp, status: newestCp.direction === 'improvement' ? 'improvement' : 'ok' });
        continue;
      }
      const at = position.get(newestCp.runId)!;
      const ack = acks.find((a) => a.measurement === s.measurement && position.has(a.runId) && Math.abs(position.get(a.runId)! - at) <= ACK_SLACK_RUNS);
      checks.push({ ...base, newest: newestCp, status: ack ? 'acknowledged' : 'regression', ...(ack ? { acknowledgement: ack } : {}) });
    }
  }
  return { workloads, checks };
}
