import type { Histogram } from 'hdr-histogram-js';

/**
 * A measured distribution seen through its order statistics: `at(k)` is the k-th smallest
 * of `n` values (1-based). Exact samples (pods.csv) and HDR histograms (API latency) both
 * answer it, so one significance test serves both.
 */
export interface Distribution {
  readonly n: number;
  at(rank: number): number;
}

/** The nearest-rank quantile, as summary.json reports it: the smallest value with q of the values at or below it. */
export function quantile(d: Distribution, q: number): number {
  return d.at(nearestRank(d.n, q));
}

export function nearestRank(n: number, q: number): number {
  return Math.min(n, Math.max(1, Math.ceil(q * n)));
}

export function fromSamples(values: readonly number[]): Distribution {
  const sorted = Float64Array.from(values).sort();
  return { n: sorted.length, at: (k) => sorted[Math.min(sorted.length, Math.max(1, k)) - 1]! };
}

/** A histogram in microseconds, read as milliseconds; each bucket's values are its highest equivalent value, as getValueAtPercentile reports. */
export function fromHistogramUs(h: Histogram): Distribution {
  const values: number[] = [];
  const cumulative: number[] = [];
  // The JS implementation (what decodeFromCompressedBase64 returns without WebAssembly) iterates its buckets.
  const js = h as unknown as {
    recordedValuesIterator: { reset(): void; hasNext(): boolean; next(): { valueIteratedTo: number; countAtValueIteratedTo: number } };
    highestEquivalentValue(v: number): number;
  };
  const it = js.recordedValuesIterator;
  it.reset();
  let total = 0;
  while (it.hasNext()) {
    const v = it.next();
    if (v.countAtValueIteratedTo <= 0) continue;
    total += v.countAtValueIteratedTo;
    values.push(js.highestEquivalentValue(v.valueIteratedTo) / 1000);
    cumulative.push(total);
  }
  return {
    n: total,
    at: (k) => {
      // The first bucket whose cumulative count reaches k.
      let lo = 0;
      let hi = cumulative.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cumulative[mid]! >= k) hi = mid;
        else lo = mid + 1;
      }
      return values[lo] ?? Number.NaN;
    },
  };
}
