import betaRandom from '@stdlib/random-base-beta';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import { type Distribution, nearestRank } from './distribution.js';

/** A 95% interval of B minus A. */
export interface Interval {
  low: number;
  high: number;
}

/**
 * The 95% bootstrap interval of quantile(B) - quantile(A), computed without resampling.
 * The r-th smallest of n values drawn with replacement from a sample is its
 * ceil(n * U)-th order statistic, where U is the r-th smallest of n uniforms and so
 * Beta(r, n - r + 1) distributed. Drawing U instead of whole resamples gives the exact
 * bootstrap distribution of the quantile at the same cost for 300 pods or 150,000.
 * Seeded: the same two result sets always give the same interval.
 */
export function quantileDifferenceInterval(a: Distribution, b: Distribution, q: number, draws = 4000, seed = 1): Interval {
  const drawA = quantileDraws(a, q, seed);
  const drawB = quantileDraws(b, q, seed + 1);
  const diffs = new Float64Array(draws);
  for (let i = 0; i < draws; i++) diffs[i] = drawB() - drawA();
  diffs.sort();
  const pick = (p: number): number => diffs[Math.min(draws - 1, Math.max(0, Math.floor(p * draws)))]!;
  return { low: pick(0.025), high: pick(0.975) };
}

function quantileDraws(d: Distribution, q: number, seed: number): () => number {
  const r = nearestRank(d.n, q);
  const u = betaRandom.factory(r, d.n - r + 1, { seed });
  return () => d.at(Math.max(1, Math.ceil(d.n * u())));
}

/**
 * Two-sided p-value that two error proportions differ (pooled two-proportion z-test).
 * 1 when neither side saw an error.
 */
export function proportionPValue(errorsA: number, nA: number, errorsB: number, nB: number): number {
  const pooled = (errorsA + errorsB) / (nA + nB);
  if (pooled === 0 || pooled === 1) return 1;
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / nA + 1 / nB));
  const z = Math.abs(errorsB / nB - errorsA / nA) / se;
  return 2 * (1 - normalCdf(z, 0, 1));
}
