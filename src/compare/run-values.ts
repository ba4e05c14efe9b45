import { known, POD_PHASE_NAMES } from '../results/format.js';
import type { ResultFolder } from '../results/reader.js';
import { podsPerSecond, QUANTILES, type Unit } from './compare.js';
import type { Group } from './settings.js';

/**
 * One value per measurement of one run: what a series comparison compares across runs.
 * The same measurements, ids, labels and units as the single-run comparison (compare.ts),
 * each reduced to the run's one number (its quantile, rate or server value).
 */
export interface RunValue {
  id: string;
  group: Group;
  label: string;
  unit: Unit;
  better: 'lower' | 'higher';
  value: number;
  /** Observations behind the value (pods, calls, histogram count). */
  samples?: number;
  /** Server histograms: their bucket bounds (a change within one bucket is resolution). */
  bucketsS?: number[];
}

export function runValues(r: ResultFolder): RunValue[] {
  const out: RunValue[] = [];
  const s = r.summary;
  for (const phase of POD_PHASE_NAMES) {
    const st = s.pods?.phases[phase];
    if (!st || st.count === 0) continue;
    const d = r.podDistribution(phase);
    for (const { q, name } of QUANTILES) {
      // Nearest rank over every pod, as the single-run comparison and summary.json take it.
      out.push({ id: `pods.${phase}.${name}`, group: 'pods', label: `${phase.replace(/_/g, ' ')} ${name}`, unit: 'ms', better: 'lower', value: d.at(Math.min(d.n, Math.max(1, Math.ceil(q * d.n)))), samples: d.n });
    }
  }
  let calls = 0;
  let failed = 0;
  let retried = 0;
  for (const k of s.api ?? []) {
    calls += k.count;
    failed += Object.values(k.failed).reduce((x, y) => x + y, 0);
    retried += k.retries;
    if (!k.latencyMs) continue;
    for (const { name } of QUANTILES.filter((x) => x.name !== 'p90')) {
      out.push({ id: `api.${k.key}.${name}`, group: 'api', label: `${k.key} ${name}`, unit: 'ms', better: 'lower', value: k.latencyMs[name], samples: k.count });
    }
  }
  if (calls > 0) {
    out.push({ id: 'errors.failed', group: 'errors', label: 'API calls failed', unit: 'pct', better: 'lower', value: (100 * failed) / calls, samples: calls });
    out.push({ id: 'errors.retried', group: 'errors', label: 'API calls retried (429, 5xx, timeouts)', unit: 'pct', better: 'lower', value: (100 * retried) / calls, samples: calls });
  }
  const pps = podsPerSecond(r);
  if (pps !== undefined) out.push({ id: 'throughput.pods', group: 'throughput', label: 'pods started per second', unit: 'per_s', better: 'higher', value: pps });
  if (s.durationS > 0 && calls > 0) out.push({ id: 'throughput.api', group: 'throughput', label: 'API calls per second', unit: 'per_s', better: 'higher', value: calls / s.durationS });
  const run = s.collectors?.run;
  if (run) {
    const p99 = (id: string, label: string, h: { p99Ms?: number; count: number; bucketsS?: number[] } | undefined, bounds = h?.bucketsS): void => {
      // Fewer than 100 observations: the p99 is their maximum, not a p99.
      if (h?.p99Ms !== undefined && h.count >= 100) out.push({ id, group: 'server', label, unit: 'ms', better: 'lower', value: h.p99Ms, samples: h.count, ...(bounds ? { bucketsS: bounds } : {}) });
    };
    p99('server.etcd_wal_fsync.p99', 'etcd WAL fsync p99', known(run.etcd.walFsync));
    p99('server.etcd_backend_commit.p99', 'etcd backend commit p99', known(run.etcd.backendCommit));
    const pending = known(run.scheduler.pendingMax)?.total;
    if (pending !== undefined) out.push({ id: 'server.scheduler_pending.max', group: 'server', label: 'scheduler pending pods, max', unit: 'pods', better: 'lower', value: pending });
    const binds = known(run.scheduler.bindsPerS);
    if (binds !== undefined) out.push({ id: 'server.scheduler_binds.per_s', group: 'server', label: 'scheduler binds per second', unit: 'per_s', better: 'higher', value: binds });
    const lat = known(run.apiserver.latency);
    for (const k of lat?.keys ?? []) p99(`server.api.${k.key}.p99`, `apiserver ${k.key} p99`, k, lat?.bucketsS);
  }
  return out;
}
