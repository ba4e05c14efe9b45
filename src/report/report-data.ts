import type { CsvRow, ResultFolder } from '../results/reader.js';
import { apfMissing, type ApfSeries, apfSeries } from './apf-section.js';

/** One run's data as the report's charts draw it: small, JSON, no raw rows. */
export interface RunSeries {
  label: string;
  title: string;
  /** Per phase: [latency ms, fraction of pods at or below] (at most CDF_POINTS points). */
  cdf: Record<string, [number, number][]>;
  pods: Series<'seen' | 'scheduled' | 'running'> | null;
  pending: Series<'total' | 'active' | 'backoff' | 'unschedulable'> | null;
  etcd: Series<'walFsyncP99' | 'backendCommitP99'> | null;
  harness: Series<'lagP99' | 'cpuPct'> | null;
  /** API Priority and Fairness per priority level (a real kube-apiserver). */
  apf: ApfSeries | null;
  apiP99: { key: string; p99: number; count: number }[];
  phases: { name: string; start: number; end: number }[];
  /** Why a chart has no data, by chart. */
  missing: Record<string, string>;
}

export interface Series<K extends string> {
  t: number[];
  values: Record<K, (number | null)[]>;
}

const CDF_POINTS = 300;
const SERIES_POINTS = 1500;

function cdf(samples: number[]): [number, number][] {
  if (samples.length === 0) return [];
  const s = Float64Array.from(samples).sort();
  const n = s.length;
  const points: [number, number][] = [];
  // Evenly spaced in probability, always with the first and the last pod.
  const step = Math.max(1, Math.floor(n / CDF_POINTS));
  for (let i = 0; i < n; i += step) points.push([round(s[i]!), (i + 1) / n]);
  if (points[points.length - 1]![1] !== 1) points.push([round(s[n - 1]!), 1]);
  return points;
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

/** A CSV's columns as numbers over elapsed seconds (empty cells are gaps, not zeros), thinned to SERIES_POINTS. */
function series<K extends string>(rows: CsvRow[], columns: Record<K, string>): Series<K> | null {
  if (rows.length === 0) return null;
  const every = Math.max(1, Math.ceil(rows.length / SERIES_POINTS));
  const kept = rows.filter((_, i) => i % every === 0 || i === rows.length - 1);
  const num = (v: string | undefined): number | null => (v === undefined || v === '' ? null : Number(v));
  const values = {} as Record<K, (number | null)[]>;
  let any = false;
  for (const key of Object.keys(columns) as K[]) {
    values[key] = kept.map((r) => num(r[columns[key]]));
    if (values[key].some((v) => v !== null)) any = true;
  }
  return any ? { t: kept.map((r) => Number(r.elapsed_s)), values } : null;
}

export function runSeries(r: ResultFolder, label: string): RunSeries {
  const missing: Record<string, string> = {};
  const phases = Object.keys(r.summary.pods?.phases ?? {});
  const cdfs = Object.fromEntries(phases.map((p) => [p, cdf(r.podSamples(p))]));
  if (Object.values(cdfs).every((c) => c.length === 0)) missing.cdf = 'no pod reached the phases measured (pods.csv is empty)';
  const timeseries = r.csv('timeseries.csv');
  const server = r.csv('server-timeseries.csv');
  const collectorsNote = r.summary.collectors ? 'the collectors could not read it (see summary.json collectors)' : 'collectors were off for this run (--no-collect)';
  const pods = series(timeseries, { seen: 'pods_seen', scheduled: 'pods_scheduled', running: 'pods_running' });
  if (!pods) missing.pods = 'timeseries.csv is empty';
  const pending = series(server, { total: 'sched_pending_total', active: 'sched_pending_active', backoff: 'sched_pending_backoff', unschedulable: 'sched_pending_unschedulable' });
  if (!pending) missing.pending = `scheduler_pending_pods was not measured: ${collectorsNote}`;
  const etcd = series(server, { walFsyncP99: 'etcd_wal_fsync_p99_ms', backendCommitP99: 'etcd_backend_commit_p99_ms' });
  if (!etcd) {
    const why = r.summary.collectors?.missing?.etcd;
    missing.etcd = `etcd was not measured: ${why ?? collectorsNote}`;
  }
  const harness = series(timeseries, { lagP99: 'harness_lag_p99_ms', cpuPct: 'harness_cpu_pct' });
  if (!harness) missing.harness = 'timeseries.csv is empty';
  const apf = apfSeries(r);
  if (!apf) missing.apf = apfMissing(r);
  const apiP99 = (r.summary.api ?? []).filter((k) => k.latencyMs).map((k) => ({ key: k.key, p99: k.latencyMs!.p99, count: k.count }));
  if (apiP99.length === 0) missing.api = 'the run made no API calls of its own';
  // Phase times are epoch ms; the series count seconds from their first row's origin.
  const first = timeseries[0] ? Date.parse(timeseries[0].time!) - Number(timeseries[0].elapsed_s) * 1000 : Date.parse(r.manifest.startedAt);
  return {
    label,
    title: `${r.name} (${r.manifest.startedAt.replace('T', ' ').slice(0, 16)} UTC)`,
    cdf: cdfs,
    pods,
    pending,
    etcd,
    harness,
    apf,
    apiP99,
    phases: r.summary.phases.map((p) => ({ name: p.name, start: round((p.startedAt - first) / 1000), end: round((p.endedAt - first) / 1000) })),
    missing,
  };
}
