/**
 * The measurements the history keeps for every run, their stable names, units and which
 * way is better. The names are the history's public interface (docs/history.md): a
 * series is the values of one name over the runs of one workload, so a name never changes
 * meaning.
 *
 *   <pod phase>.<stat>            pod_startup.p99, create_to_schedule.p50, ... (count, p50, p90, p99, max)
 *   api.<key>.<stat>              api.POST pods resource.p99 (client side; p50, p99)
 *   server.scheduler_pending_max  scheduler pending pods, max over the run
 *   server.scheduler_binds_per_s  scheduler binds per second
 *   server.etcd_wal_fsync.p99     etcd WAL fsync p99 over the run
 *   server.etcd_backend_commit.p99
 *   server.api.<key>.p99          the apiserver's own p99 per key
 */

export type MeasurementUnit = 'ms' | 'pods' | 'per_s' | 'count';
export type Better = 'lower' | 'higher';

/** One measured value of one run. */
export interface MeasurementValue {
  name: string;
  value: number;
  unit: MeasurementUnit;
  /** How many observations the value summarises (pods, calls, histogram count), when known. */
  samples?: number;
}

/** Stored for every pod-startup phase, besides its count. */
export const POD_QUANTILES = ['p50', 'p90', 'p99', 'max'] as const;
export const API_STATS = ['p50', 'p99'] as const;

/** The part of a run's summary the measurements come from (structural: any reader that has it will do). */
export interface MeasurementSource {
  podPhases: Record<string, { count: number; p50?: number; p90?: number; p99?: number; max?: number }>;
  api: { key: string; count: number; latencyMs?: { p50: number; p99: number } }[];
  server?: {
    pendingMax?: number;
    bindsPerS?: number;
    walFsync?: { count: number; p99Ms?: number };
    backendCommit?: { count: number; p99Ms?: number };
    apiKeys?: { key: string; count: number; p99Ms?: number }[];
  };
}

/** Every measurement a run has; one that was not taken is absent, never 0. */
export function measurementsOf(s: MeasurementSource): MeasurementValue[] {
  const out: MeasurementValue[] = [];
  const push = (name: string, value: number | undefined, unit: MeasurementUnit, samples?: number): void => {
    if (value !== undefined && Number.isFinite(value)) out.push({ name, value, unit, ...(samples !== undefined ? { samples } : {}) });
  };
  for (const [phase, st] of Object.entries(s.podPhases)) {
    if (st.count === 0) continue;
    push(`${phase}.count`, st.count, 'count');
    for (const q of POD_QUANTILES) push(`${phase}.${q}`, st[q], 'ms', st.count);
  }
  for (const k of s.api) {
    if (!k.latencyMs) continue;
    for (const q of API_STATS) push(`api.${k.key}.${q}`, k.latencyMs[q], 'ms', k.count);
  }
  const sv = s.server;
  if (sv) {
    push('server.scheduler_pending_max', sv.pendingMax, 'pods');
    push('server.scheduler_binds_per_s', sv.bindsPerS, 'per_s');
    push('server.etcd_wal_fsync.p99', sv.walFsync?.p99Ms, 'ms', sv.walFsync?.count);
    push('server.etcd_backend_commit.p99', sv.backendCommit?.p99Ms, 'ms', sv.backendCommit?.count);
    for (const k of sv.apiKeys ?? []) push(`server.api.${k.key}.p99`, k.p99Ms, 'ms', k.count);
  }
  return out;
}

/** Which way is better: latencies and queue lengths lower, rates and counts higher. */
export function betterOf(name: string): Better {
  if (name.endsWith('.count') || name.endsWith('_per_s')) return 'higher';
  return 'lower';
}

/**
 * The measurements `history check` watches by default: the median and tail of every pod
 * phase, the tail of every API key, and every server-side value. Counts, p90s and maxima
 * are kept but not watched: they add tests (and so false alarms) without adding news.
 */
export function isKeyMeasurement(name: string): boolean {
  if (name.startsWith('server.')) return true;
  if (name.startsWith('api.')) return name.endsWith('.p99');
  return name.endsWith('.p50') || name.endsWith('.p99');
}

/**
 * A pattern of measurement names: exact, or with `*` standing for any text
 * (`pod_startup.*`, `api.*.p99`).
 */
export function nameMatcher(patterns: readonly string[]): (name: string) => boolean {
  const res = patterns.map((p) => new RegExp(`^${p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`));
  return (name) => res.some((r) => r.test(name));
}
