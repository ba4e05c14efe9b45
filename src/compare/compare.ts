import type { Distribution } from './distribution.js';
import { quantile } from './distribution.js';
import { type HistogramSummary, known, POD_PHASE_NAMES } from '../results/format.js';
import type { ResultFolder } from '../results/reader.js';
import { type Interval, proportionPValue, quantileDifferenceInterval } from './significance.js';

export type Verdict = 'improved' | 'regressed' | 'unchanged' | 'inconclusive';
export { type CompareSettings, DEFAULT_SETTINGS, type Group, GROUPS } from './settings.js';
import { type CompareSettings, DEFAULT_SETTINGS, type Group } from './settings.js';
export { formatChange, formatValue, signed, type Unit } from './display.js';
import { formatValue, signed, type Unit } from './display.js';
/**
 * The width (ms) of the histogram bucket a value falls in, from the bounds the scraped
 * component reported (recorded in the result set): a change within one bucket is the
 * histogram's resolution, not a finding. Unknown bounds give no floor.
 */
export function bucketWidthMs(boundsS: readonly number[] | undefined, valueMs: number): number | undefined {
  if (!boundsS || boundsS.length === 0) return undefined;
  const v = valueMs / 1000;
  for (let i = 0; i < boundsS.length; i++) if (v <= boundsS[i]!) return 1000 * (boundsS[i]! - (i === 0 ? 0 : boundsS[i - 1]!));
  return Infinity;
}

/** The wider of two result sets' bucket widths at a value (they may come from different components). */
export function widest(a: readonly number[] | undefined, b: readonly number[] | undefined, valueMs: number): number | undefined {
  const wa = bucketWidthMs(a, valueMs);
  const wb = bucketWidthMs(b, valueMs);
  return wa === undefined ? wb : wb === undefined ? wa : Math.max(wa, wb);
}

/** Noise floors of the units without a setting: a change this small is never a finding. */
export const FLOOR: Record<Exclude<Unit, 'ms' | 'pods'>, number> = { per_s: 0, pct: 0.1 };

/** One measurement of both runs, before and after it is judged. */
interface Measurement {
  id: string;
  group: Group;
  label: string;
  unit: Unit;
  /** Which way is better. */
  better: 'lower' | 'higher';
  a: number;
  b: number;
}

export interface Row extends Measurement {
  /** (B - A) / A in percent; null when A is 0. */
  changePct: number | null;
  verdict: Verdict;
  /** Why: the interval, the sample counts, or the rule that decided. */
  evidence: string;
  test: {
    method: 'bootstrap-quantile' | 'two-proportion-z' | 'threshold-only' | 'runs-rank-sum';
    nA?: number;
    nB?: number;
    /** 95% interval of B - A. */
    interval?: Interval;
    pValue?: number;
  };
}

interface Candidate extends Measurement {
  nA?: number;
  nB?: number;
  minN?: number;
  /** Bucketed values (server histograms): a change within one bucket is resolution, not a finding. */
  bucketFloor?: number;
  method: Row['test']['method'];
  interval?: Interval;
  pValue?: number;
}

export const QUANTILES = [
  { q: 0.5, name: 'p50' },
  { q: 0.9, name: 'p90' },
  { q: 0.99, name: 'p99' },
] as const;

/** Every measurement both result sets have, A against B, each with its verdict. */
export function compareResults(a: ResultFolder, b: ResultFolder, settings: CompareSettings = DEFAULT_SETTINGS): Row[] {
  const out: Candidate[] = [];
  podCandidates(a, b, settings, out);
  apiCandidates(a, b, settings, out);
  errorCandidates(a, b, out);
  throughputCandidates(a, b, out);
  serverCandidates(a, b, out);
  return out.map((c) => judge(c, settings));
}

function podCandidates(a: ResultFolder, b: ResultFolder, s: CompareSettings, out: Candidate[]): void {
  for (const phase of POD_PHASE_NAMES) {
    const sa = a.summary.pods?.phases[phase];
    const sb = b.summary.pods?.phases[phase];
    if (!sa || !sb || sa.count === 0 || sb.count === 0) continue;
    const da = a.podDistribution(phase);
    const db = b.podDistribution(phase);
    for (const { q, name } of QUANTILES) {
      out.push(quantileCandidate(`pods.${phase}.${name}`, 'pods', `${phase.replace(/_/g, ' ')} ${name}`, da, db, q, s));
    }
  }
}

function apiCandidates(a: ResultFolder, b: ResultFolder, s: CompareSettings, out: Candidate[]): void {
  const bKeys = new Map((b.summary.api ?? []).map((k) => [k.key, k]));
  for (const ka of a.summary.api ?? []) {
    const kb = bKeys.get(ka.key);
    if (!kb?.latencyMs || !ka.latencyMs) continue;
    const da = a.apiDistribution(ka.key);
    const db = b.apiDistribution(ka.key);
    for (const { q, name } of QUANTILES.filter((x) => x.name !== 'p90')) {
      if (da && db) {
        out.push(quantileCandidate(`api.${ka.key}.${name}`, 'api', `${ka.key} ${name}`, da, db, q, s));
      } else {
        // A result set without its histograms: only the summary's value is left.
        out.push({ id: `api.${ka.key}.${name}`, group: 'api', label: `${ka.key} ${name}`, unit: 'ms', better: 'lower', a: ka.latencyMs[name], b: kb.latencyMs[name], method: 'threshold-only' });
      }
    }
  }
}

function quantileCandidate(id: string, group: Group, label: string, da: Distribution, db: Distribution, q: number, s: CompareSettings): Candidate {
  const minN = Math.max(s.minSamples, Math.ceil(1 / (1 - q) - 1e-9));
  const c: Candidate = { id, group, label, unit: 'ms', better: 'lower', a: quantile(da, q), b: quantile(db, q), nA: da.n, nB: db.n, minN, method: 'bootstrap-quantile' };
  if (da.n >= minN && db.n >= minN) c.interval = quantileDifferenceInterval(da, db, q, 4000, s.seed);
  return c;
}

function sum(o: Record<string, number>): number {
  return Object.values(o).reduce((x, y) => x + y, 0);
}

function errorCandidates(a: ResultFolder, b: ResultFolder, out: Candidate[]): void {
  const totals = (r: ResultFolder) => {
    let calls = 0;
    let failed = 0;
    let retried = 0;
    for (const k of r.summary.api ?? []) {
      calls += k.count;
      failed += sum(k.failed);
      retried += k.retries;
    }
    return { calls, failed, retried };
  };
  const ta = totals(a);
  const tb = totals(b);
  if (ta.calls === 0 || tb.calls === 0) return;
  const rate = (id: string, label: string, ea: number, na: number, eb: number, nb: number): Candidate => ({
    id,
    group: 'errors',
    label,
    unit: 'pct',
    better: 'lower',
    a: (100 * ea) / na,
    b: (100 * eb) / nb,
    nA: na,
    nB: nb,
    method: 'two-proportion-z',
    pValue: proportionPValue(ea, na, eb, nb),
  });
  out.push(rate('errors.failed', 'API calls failed', ta.failed, ta.calls, tb.failed, tb.calls));
  out.push(rate('errors.retried', 'API calls retried (429, 5xx, timeouts)', ta.retried, ta.calls, tb.retried, tb.calls));
  const bKeys = new Map((b.summary.api ?? []).map((k) => [k.key, k]));
  for (const ka of a.summary.api ?? []) {
    const kb = bKeys.get(ka.key);
    if (!kb || ka.count === 0 || kb.count === 0) continue;
    const fa = sum(ka.failed);
    const fb = sum(kb.failed);
    if (fa + fb === 0) continue;
    out.push(rate(`errors.${ka.key}`, `${ka.key} failed`, fa, ka.count, fb, kb.count));
  }
}

/** Pods that reached Running per second, from the first create sent (or first seen) to the last Running seen. */
export function podsPerSecond(r: ResultFolder): number | undefined {
  if (!r.has('pods.csv')) return undefined;
  const { create_sent: sent, first_seen: seen, running_seen: running } = r.podColumns('create_sent', 'first_seen', 'running_seen');
  let first = Infinity;
  let last = -Infinity;
  let n = 0;
  for (let i = 0; i < running.length; i++) {
    const start = Number.isNaN(sent[i]!) ? seen[i]! : sent[i]!;
    if (!Number.isNaN(start)) first = Math.min(first, start);
    if (!Number.isNaN(running[i]!)) {
      last = Math.max(last, running[i]!);
      n++;
    }
  }
  return n >= 2 && last > first ? (1000 * n) / (last - first) : undefined;
}

function throughputCandidates(a: ResultFolder, b: ResultFolder, out: Candidate[]): void {
  const pa = podsPerSecond(a);
  const pb = podsPerSecond(b);
  if (pa !== undefined && pb !== undefined) {
    out.push({ id: 'throughput.pods', group: 'throughput', label: 'pods started per second', unit: 'per_s', better: 'higher', a: pa, b: pb, method: 'threshold-only' });
  }
  const calls = (r: ResultFolder): number => (r.summary.api ?? []).reduce((x, k) => x + k.count, 0);
  if (a.summary.durationS > 0 && b.summary.durationS > 0 && calls(a) > 0 && calls(b) > 0) {
    out.push({ id: 'throughput.api', group: 'throughput', label: 'API calls per second', unit: 'per_s', better: 'higher', a: calls(a) / a.summary.durationS, b: calls(b) / b.summary.durationS, method: 'threshold-only' });
  }
}

function serverCandidates(a: ResultFolder, b: ResultFolder, out: Candidate[]): void {
  const ra = a.summary.collectors?.run;
  const rb = b.summary.collectors?.run;
  if (!ra || !rb) return;
  const scalar = (id: string, label: string, unit: Unit, better: 'lower' | 'higher', va: number | undefined, vb: number | undefined): void => {
    if (va !== undefined && vb !== undefined) out.push({ id, group: 'server', label, unit, better, a: va, b: vb, method: 'threshold-only' });
  };
  // A p99 from a histogram: needs 100 observations a side, and a change of more than a bucket.
  const p99 = (id: string, label: string, ha: HistogramSummary | undefined, hb: HistogramSummary | undefined, boundsA = ha?.bucketsS, boundsB = hb?.bucketsS): void => {
    if (ha?.p99Ms === undefined || hb?.p99Ms === undefined) return;
    const floor = widest(boundsA, boundsB, Math.max(ha.p99Ms, hb.p99Ms));
    out.push({ id, group: 'server', label, unit: 'ms', better: 'lower', a: ha.p99Ms, b: hb.p99Ms, nA: ha.count, nB: hb.count, minN: 100, ...(floor !== undefined ? { bucketFloor: floor } : {}), method: 'threshold-only' });
  };
  p99('server.etcd_wal_fsync.p99', 'etcd WAL fsync p99', known(ra.etcd.walFsync), known(rb.etcd.walFsync));
  p99('server.etcd_backend_commit.p99', 'etcd backend commit p99', known(ra.etcd.backendCommit), known(rb.etcd.backendCommit));
  scalar('server.scheduler_pending.max', 'scheduler pending pods, max', 'pods', 'lower', known(ra.scheduler.pendingMax)?.total, known(rb.scheduler.pendingMax)?.total);
  scalar('server.scheduler_binds.per_s', 'scheduler binds per second', 'per_s', 'higher', known(ra.scheduler.bindsPerS), known(rb.scheduler.bindsPerS));
  const la = known(ra.apiserver.latency);
  const lb = known(rb.apiserver.latency);
  const keysB = new Map((lb?.keys ?? []).map((k) => [k.key, k]));
  for (const ka of la?.keys ?? []) {
    p99(`server.api.${ka.key}.p99`, `apiserver ${ka.key} p99`, ka, keysB.get(ka.key), la?.bucketsS, lb?.bucketsS);
  }
}

function judge(c: Candidate, s: CompareSettings): Row {
  const diff = c.b - c.a;
  const changePct = c.a === 0 ? (c.b === 0 ? 0 : null) : (100 * diff) / Math.abs(c.a);
  const row: Row = {
    id: c.id,
    group: c.group,
    label: c.label,
    unit: c.unit,
    better: c.better,
    a: c.a,
    b: c.b,
    changePct,
    verdict: 'unchanged',
    evidence: '',
    test: { method: c.method, ...(c.nA !== undefined ? { nA: c.nA, nB: c.nB } : {}), ...(c.interval ? { interval: c.interval } : {}), ...(c.pValue !== undefined ? { pValue: c.pValue } : {}) },
  };
  const threshold = s.groupThresholdPct[c.group] ?? s.thresholdPct;
  const floor = Math.max(c.unit === 'ms' ? s.noiseFloorMs : c.unit === 'pods' ? s.noiseFloorPods : FLOOR[c.unit], c.bucketFloor ?? 0);
  const floorText = c.bucketFloor !== undefined && c.bucketFloor >= (c.unit === 'ms' ? s.noiseFloorMs : 0) ? `one histogram bucket (${formatValue(floor, c.unit)})` : `the noise floor (${formatValue(floor, c.unit)})`;
  // A change too small to matter is `unchanged` however few the samples; a larger one needs enough of them to be a finding.
  if (Math.abs(diff) <= floor) return { ...row, evidence: `change within ${floorText}` };
  if (changePct !== null && Math.abs(changePct) < threshold) return { ...row, evidence: `change within ±${threshold}%` };
  if (c.minN !== undefined && (c.nA! < c.minN || c.nB! < c.minN)) {
    return { ...row, verdict: 'inconclusive', evidence: `${c.nA} vs ${c.nB} samples; a ${c.label.split(' ').pop()} needs at least ${c.minN} on each side` };
  }
  const better = c.better === 'lower' ? diff < 0 : diff > 0;
  const direction: Verdict = better ? 'improved' : 'regressed';
  if (c.interval) {
    // A finding needs the whole interval beyond the threshold and the floor: confident the change is at least that large, not merely not zero.
    const margin = Math.max(floor, (threshold / 100) * Math.abs(c.a));
    const range = `95% interval of the change ${signed(c.interval.low, c.unit)} .. ${signed(c.interval.high, c.unit)}`;
    const beyond = diff > 0 ? c.interval.low > margin : c.interval.high < -margin;
    return { ...row, verdict: beyond ? direction : 'inconclusive', evidence: beyond ? range : `${range}: could be within ±${threshold}%` };
  }
  if (c.pValue !== undefined) {
    const p = `p = ${c.pValue < 0.001 ? '< 0.001' : c.pValue.toFixed(3)} (two-proportion test, ${c.nA} vs ${c.nB} calls)`;
    return { ...row, verdict: c.pValue < 0.05 ? direction : 'inconclusive', evidence: c.pValue < 0.05 ? p : `${p}: could be chance` };
  }
  return { ...row, verdict: direction, evidence: `beyond ±${threshold}% and ${floorText} (one value per run: nothing to test)` };
}
