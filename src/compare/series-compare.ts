import type { ResultFolder } from '../results/reader.js';
import { FLOOR, formatValue, type Row, signed, widest } from './compare.js';
import { fewestRunsForInterval, medianOfSorted, runsToDecide, shiftEstimate, standardDeviation } from './rank-test.js';
import { type RunValue, runValues } from './run-values.js';
import type { CompareSettings } from './settings.js';

/**
 * Series against series: each measurement is one value per run, and the verdict rests on
 * the spread between runs, which is wider than anything inside one run. For each
 * measurement: the Hodges-Lehmann shift of B against A and its exact distribution-free 95%
 * interval (rank-test.ts). As in the single-run comparison, a finding needs the whole
 * interval beyond the threshold and the noise floor; a change within them is unchanged;
 * anything between is inconclusive, with about how many runs a side would decide it.
 */

export interface SeriesRow extends Row {
  series: {
    /** Each run's value, in series order (complete runs that measured it). */
    a: number[];
    b: number[];
    /** Between-run spread of each side: standard deviation over mean, percent. */
    cvPctA: number;
    cvPctB: number;
    /** The Hodges-Lehmann estimate of B - A. */
    shift: number;
    /** The interval's confidence (at least 95%: the exact levels are discrete). */
    confidence?: number;
    /** About how many runs a side would decide an inconclusive row. */
    runsToDecide?: number;
  };
}

function sortedMedian(v: readonly number[]): number {
  return medianOfSorted(Float64Array.from(v).sort());
}

function cvPct(v: readonly number[]): number {
  const mean = v.reduce((x, y) => x + y, 0) / v.length;
  return mean === 0 ? 0 : (100 * standardDeviation(v)) / Math.abs(mean);
}

/** Each measurement's values over the runs, keyed by id, in the order first seen. */
export function valuesByMeasurement(runs: readonly ResultFolder[]): Map<string, { info: RunValue; values: (number | null)[] }> {
  const out = new Map<string, { info: RunValue; values: (number | null)[] }>();
  runs.forEach((r, i) => {
    for (const v of runValues(r)) {
      let e = out.get(v.id);
      if (!e) out.set(v.id, (e = { info: v, values: new Array<number | null>(runs.length).fill(null) }));
      e.values[i] = v.value;
    }
  });
  return out;
}

export function compareSeries(a: readonly ResultFolder[], b: readonly ResultFolder[], s: CompareSettings): SeriesRow[] {
  const va = valuesByMeasurement(a);
  const vb = valuesByMeasurement(b);
  const rows: SeriesRow[] = [];
  for (const [id, ea] of va) {
    const eb = vb.get(id);
    if (!eb) continue;
    const xa = ea.values.filter((x): x is number => x !== null);
    const xb = eb.values.filter((x): x is number => x !== null);
    if (xa.length === 0 || xb.length === 0) continue;
    rows.push(judgeSeries(ea.info, xa, xb, eb.info.bucketsS, s));
  }
  return rows;
}

function judgeSeries(m: RunValue, xa: number[], xb: number[], bucketsB: number[] | undefined, s: CompareSettings): SeriesRow {
  const medA = sortedMedian(xa);
  const medB = sortedMedian(xb);
  const est = shiftEstimate(xa, xb);
  const changePct = medA === 0 ? (medB === 0 ? 0 : null) : (100 * (medB - medA)) / Math.abs(medA);
  const threshold = s.groupThresholdPct[m.group] ?? s.thresholdPct;
  const bucket = m.bucketsS || bucketsB ? widest(m.bucketsS, bucketsB, Math.max(medA, medB)) : undefined;
  const settingFloor = m.unit === 'ms' ? s.noiseFloorMs : m.unit === 'pods' ? s.noiseFloorPods : FLOOR[m.unit];
  const floor = Math.max(settingFloor, bucket ?? 0);
  const floorText = bucket !== undefined && bucket >= settingFloor ? `one histogram bucket (${formatValue(floor, m.unit)})` : `the noise floor (${formatValue(floor, m.unit)})`;
  const margin = Math.max(floor, (threshold / 100) * Math.abs(medA));
  const cvA = cvPct(xa);
  const cvB = cvPct(xb);
  // The pooled between-run standard deviation, for the runs a decision would take.
  const sd = Math.sqrt(((xa.length - 1) * standardDeviation(xa) ** 2 + (xb.length - 1) * standardDeviation(xb) ** 2) / Math.max(1, xa.length + xb.length - 2));
  const spread = `runs ${xa.length} vs ${xb.length}, spread ±${cvA.toFixed(0)}% vs ±${cvB.toFixed(0)}%`;
  const row: SeriesRow = {
    id: m.id,
    group: m.group,
    label: m.label,
    unit: m.unit,
    better: m.better,
    a: medA,
    b: medB,
    changePct,
    verdict: 'unchanged',
    evidence: '',
    test: { method: 'runs-rank-sum', nA: xa.length, nB: xb.length, pValue: est.pValue, ...(est.interval ? { interval: { low: est.interval.low, high: est.interval.high } } : {}) },
    series: { a: xa, b: xb, cvPctA: cvA, cvPctB: cvB, shift: est.shift, ...(est.interval ? { confidence: est.interval.confidence } : {}) },
  };
  const shiftText = `shift ${signed(est.shift, m.unit)}`;
  if (Math.abs(est.shift) <= floor) return { ...row, evidence: `${shiftText} within ${floorText}; ${spread}` };
  if (Math.abs(est.shift) < (threshold / 100) * Math.abs(medA)) return { ...row, evidence: `${shiftText} within ±${threshold}%; ${spread}` };
  const better = m.better === 'lower' ? est.shift < 0 : est.shift > 0;
  const direction = better ? 'improved' : 'regressed';
  const need = runsToDecide(est.shift, margin, sd);
  const needText = (have: number): string =>
    need === undefined ? '' : need > 100 ? '; more than 100 runs a side would be needed at this spread' : need > have ? `; about ${need} runs a side would decide` : '; more runs would decide';
  if (!est.interval) {
    const fewest = fewestRunsForInterval();
    return {
      ...row,
      verdict: 'inconclusive',
      evidence: `${shiftText}; ${spread}: too few runs for a 95% interval (at least ${fewest} a side, or 3 and 5)${needText(Math.min(xa.length, xb.length))}`,
      series: { ...row.series, ...(need !== undefined ? { runsToDecide: Math.max(need, fewestRunsForInterval()) } : {}) },
    };
  }
  const iv = est.interval;
  const range = `${(100 * iv.confidence).toFixed(0)}% interval of the shift ${signed(iv.low, m.unit)} .. ${signed(iv.high, m.unit)}`;
  const beyond = est.shift > 0 ? iv.low > margin : iv.high < -margin;
  if (beyond) return { ...row, verdict: direction, evidence: `${range}; ${spread}` };
  return {
    ...row,
    verdict: 'inconclusive',
    evidence: `${range}: could be within ±${threshold}%; ${spread}${needText(Math.min(xa.length, xb.length))}`,
    series: { ...row.series, ...(need !== undefined ? { runsToDecide: need } : {}) },
  };
}
