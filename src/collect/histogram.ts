import type { MetricFamily } from './prom-text.js';

/** One cumulative bucket: observations <= le. */
export interface Bucket {
  le: number;
  count: number;
}

/** A Prometheus histogram for one label set (the labels exclude `le`). */
export interface Histogram {
  labels: Record<string, string>;
  buckets: Bucket[];
  sum: number;
  count: number;
}

function labelKey(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

/** The histograms of a family, one per label set, buckets sorted by upper bound. */
export function histogramsOf(family: MetricFamily | undefined): Histogram[] {
  if (!family) return [];
  const byKey = new Map<string, Histogram>();
  const get = (labels: Record<string, string>): Histogram => {
    const key = labelKey(labels);
    let h = byKey.get(key);
    if (!h) byKey.set(key, (h = { labels, buckets: [], sum: 0, count: 0 }));
    return h;
  };
  for (const s of family.samples) {
    if (s.name === `${family.name}_bucket`) {
      const { le, ...rest } = s.labels;
      if (le === undefined) continue;
      get(rest).buckets.push({ le: le === '+Inf' ? Infinity : Number(le), count: s.value });
    } else if (s.name === `${family.name}_sum`) {
      get(s.labels).sum = s.value;
    } else if (s.name === `${family.name}_count`) {
      get(s.labels).count = s.value;
    }
  }
  for (const h of byKey.values()) h.buckets.sort((a, b) => a.le - b.le);
  return [...byKey.values()];
}

/**
 * What happened between two snapshots: end minus start, bucket by bucket. A counter that
 * went down (the component restarted) is taken as counted from zero, as PromQL's increase().
 */
export function subtract(end: Histogram, start: Histogram | undefined): Histogram {
  if (!start) return end;
  const reset = end.count < start.count;
  if (reset) return end;
  const before = new Map(start.buckets.map((b) => [b.le, b.count]));
  return {
    labels: end.labels,
    buckets: end.buckets.map((b) => ({ le: b.le, count: Math.max(0, b.count - (before.get(b.le) ?? 0)) })),
    sum: end.sum - start.sum,
    count: end.count - start.count,
  };
}

/** Adds histograms with the same buckets (as `sum by (le)` does). */
export function mergeHistograms(hs: Histogram[], labels: Record<string, string> = {}): Histogram | undefined {
  if (hs.length === 0) return undefined;
  const counts = new Map<number, number>();
  let sum = 0;
  let count = 0;
  for (const h of hs) {
    for (const b of h.buckets) counts.set(b.le, (counts.get(b.le) ?? 0) + b.count);
    sum += h.sum;
    count += h.count;
  }
  return {
    labels,
    buckets: [...counts.entries()].sort(([a], [b]) => a - b).map(([le, c]) => ({ le, count: c })),
    sum,
    count,
  };
}

/**
 * The q-quantile of a cumulative histogram, computed as PromQL's histogram_quantile: linear
 * interpolation inside the bucket the rank falls in (from 0 for the first bucket), the
 * highest finite bound when it falls in +Inf. NaN when there is nothing to go on.
 */
export function histogramQuantile(q: number, buckets: readonly Bucket[]): number {
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  // Buckets with the same bound (from merged series) are one bucket, as PromQL coalesces them.
  const byLe = new Map<number, number>();
  for (const b of buckets) byLe.set(b.le, (byLe.get(b.le) ?? 0) + b.count);
  const bs = [...byLe.entries()].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
  if (bs.length < 2 || bs[bs.length - 1]!.le !== Infinity) return NaN;
  // Counts must not decrease with the bound; scrapes racing an update can break that.
  let max = 0;
  const fixed = bs.map((b) => ({ le: b.le, count: (max = Math.max(max, b.count)) }));
  const observations = fixed[fixed.length - 1]!.count;
  if (observations === 0) return NaN;
  let rank = q * observations;
  const i = fixed.findIndex((b) => b.count >= rank);
  if (i === fixed.length - 1) return fixed[fixed.length - 2]!.le;
  if (i === 0 && fixed[0]!.le <= 0) return fixed[0]!.le;
  let start = 0;
  const end = fixed[i]!.le;
  let count = fixed[i]!.count;
  if (i > 0) {
    start = fixed[i - 1]!.le;
    count -= fixed[i - 1]!.count;
    rank -= fixed[i - 1]!.count;
  }
  return start + (end - start) * (rank / count);
}
