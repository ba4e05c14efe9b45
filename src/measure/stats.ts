import * as hdr from 'hdr-histogram-js';
import type { Stats } from '../results/format.js';

export type { Stats };

/**
 * Percentiles of exact samples by the nearest-rank method: p is the smallest sample with
 * at least p% of the samples at or below it. Undefined when there are none.
 */
export function exactStats(samples: ArrayLike<number>): Stats | undefined {
  if (samples.length === 0) return undefined;
  // A typed copy sorts numerically in place, and its values live outside V8's heap.
  const s = Float64Array.from(samples).sort();
  const rank = (p: number): number => s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)]!;
  // Microsecond resolution is more than any clock here gives.
  const r = (v: number): number => Math.round(v * 1000) / 1000;
  return {
    count: s.length,
    min: r(s[0]!),
    p50: r(rank(50)),
    p90: r(rank(90)),
    p99: r(rank(99)),
    max: r(s[s.length - 1]!),
    mean: r(s.reduce((a, b) => a + b, 0) / s.length),
  };
}

/** Microsecond latency histograms: 1 µs to 1 h at 3 significant digits (0.1% precision). */
export function newLatencyHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
}

/** Stats of a microsecond histogram, in milliseconds. */
export function histogramStatsMs(h: hdr.Histogram): Stats | undefined {
  if (h.totalCount === 0) return undefined;
  const ms = (us: number): number => Math.round(us) / 1000;
  return {
    count: h.totalCount,
    min: ms(h.getValueAtPercentile(0)),
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    max: ms(h.maxValue),
    mean: ms(histogramMean(h)),
  };
}

/**
 * The histogram's mean as hdr-histogram-js computes it (each recorded bucket at its median
 * equivalent value), in one pass over the counts. The library's `mean` steps an iterator
 * object through every bucket up to the largest value, 5-16 ms per histogram: a tenth of a
 * short run's CPU went there (npm run bench:harness, 2026-12-04).
 */
export function histogramMean(h: hdr.Histogram): number {
  if (!(h instanceof hdr.JsHistogram)) return h.mean;
  const total = h.totalCount;
  if (total === 0) return 0;
  let seen = 0;
  let sum = 0;
  for (let i = 0; i < h.countsArrayLength && seen < total; i++) {
    const c = h.getCountAtIndex(i);
    if (c === 0) continue;
    seen += c;
    sum += h.medianEquivalentValue(h.valueFromIndex(i)) * c;
  }
  return sum / total;
}

export function encodeHistogram(h: hdr.Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(encoded: string): hdr.Histogram {
  return hdr.decodeFromCompressedBase64(encoded);
}
