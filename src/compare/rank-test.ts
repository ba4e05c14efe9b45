import normalCdf from '@stdlib/stats-base-dists-normal-cdf';

/**
 * Comparing two small sets of per-run values (a series of runs on each side) without
 * assuming a distribution: the Mann-Whitney (Wilcoxon rank-sum) test, the Hodges-Lehmann
 * estimate of the shift B - A (the median of all pairwise differences) and its
 * distribution-free confidence interval (Lehmann 1963; Hollander & Wolfe, ch. 4): with D the
 * m·n sorted differences b_j - a_i, the interval [D_(k), D_(mn+1-k)] covers the true shift
 * with probability 1 - 2·P(U <= k-1), U the Mann-Whitney statistic under no difference.
 * Exact for small series (computed, not tabulated), normal approximation beyond EXACT_MAX
 * runs a side. One far-off run moves a rank, not the estimate: a noisy night does not make a
 * regression.
 */

/** Beyond this many runs on a side, U's distribution is taken as normal. */
const EXACT_MAX = 40;

/** P(U <= u) for u = 0..m·n, U the Mann-Whitney count of pairs (a_i < b_j) when A and B do not differ (no ties). */
export function mannWhitneyCdf(m: number, n: number): Float64Array {
  // The largest of the i+j values is an a (probability i/(i+j); it is below no b, so no pair
  // is added) or a b (it is above all i a's: i pairs): P_{i,j}(u) = i/(i+j) P_{i-1,j}(u) + j/(i+j) P_{i,j-1}(u-i).
  let prev: Float64Array[] = [];
  for (let i = 0; i <= m; i++) {
    const row: Float64Array[] = [];
    for (let j = 0; j <= n; j++) {
      const p = new Float64Array(i * j + 1);
      if (i === 0 || j === 0) p[0] = 1;
      else {
        const fromA = prev[j]!;
        const fromB = row[j - 1]!;
        for (let u = 0; u <= i * j; u++) {
          const a = u < fromA.length ? fromA[u]! : 0;
          const b = u - i >= 0 && u - i < fromB.length ? fromB[u - i]! : 0;
          p[u] = (i / (i + j)) * a + (j / (i + j)) * b;
        }
      }
      row.push(p);
    }
    prev = row;
  }
  const pdf = prev[n]!;
  const cdf = new Float64Array(pdf.length);
  let s = 0;
  for (let u = 0; u < pdf.length; u++) cdf[u] = s += pdf[u]!;
  return cdf;
}

export interface ShiftEstimate {
  /** Hodges-Lehmann estimate of B - A. */
  shift: number;
  /** The distribution-free interval of B - A; undefined when the runs are too few for the confidence asked. */
  interval?: { low: number; high: number; confidence: number };
  /** Two-sided p-value of the Mann-Whitney test (ties counted as half). */
  pValue: number;
}

function median(sorted: ArrayLike<number>): number {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) >> 1]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

/** The shift of B against A: estimate, interval at (at least) `confidence`, and p-value. */
export function shiftEstimate(a: readonly number[], b: readonly number[], confidence = 0.95): ShiftEstimate {
  const m = a.length;
  const n = b.length;
  if (m === 0 || n === 0) throw new Error('shiftEstimate needs values on both sides');
  const d = new Float64Array(m * n);
  let u = 0;
  let k = 0;
  for (const x of a) {
    for (const y of b) {
      d[k++] = y - x;
      u += y > x ? 1 : y === x ? 0.5 : 0;
    }
  }
  d.sort();
  const shift = median(d);
  const alphaHalf = (1 - confidence) / 2;
  let cut: number;
  let level: number;
  let pValue: number;
  if (m <= EXACT_MAX && n <= EXACT_MAX) {
    const cdf = mannWhitneyCdf(m, n);
    cut = intervalCut(m, n, alphaHalf, cdf);
    level = cut > 0 ? 1 - 2 * cdf[cut - 1]! : 0;
    // U is symmetric about mn/2: the lower tail at min(u, mn-u) is the one-sided p.
    const low = Math.floor(Math.min(u, m * n - u) + 1e-9);
    pValue = Math.min(1, 2 * cdf[low]!);
  } else {
    const mean = (m * n) / 2;
    const sd = Math.sqrt((m * n * (m + n + 1)) / 12);
    cut = intervalCut(m, n, alphaHalf);
    level = cut > 0 ? 1 - 2 * normalCdf(cut - 0.5, mean, sd) : 0;
    pValue = Math.min(1, 2 * normalCdf(-Math.abs(u - mean) + 0.5, 0, sd));
  }
  const interval = cut > 0 ? { low: d[cut - 1]!, high: d[m * n - cut]!, confidence: level } : undefined;
  return { shift, ...(interval ? { interval } : {}), pValue };
}

/** Inverse of the standard normal CDF by bisection (a handful of calls per comparison). */
function quantileNormal(p: number): number {
  let lo = -10;
  let hi = 10;
  for (let i = 0; i < 80; i++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid, 0, 1) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** The smallest runs a side whose exact 95% interval exists (4 and 4; 3 and 5). */
export function fewestRunsForInterval(confidence = 0.95): number {
  for (let r = 2; r <= 10; r++) {
    if (mannWhitneyCdf(r, r)[0]! <= (1 - confidence) / 2) return r;
  }
  return 10;
}

/**
 * How many of the m·n sorted differences the interval leaves out at each end: the largest k
 * with P(U <= k-1) <= alpha/2 (exact up to EXACT_MAX runs a side, else the normal
 * approximation). 0: no interval at this confidence.
 */
function intervalCut(m: number, n: number, alphaHalf: number, cdf?: Float64Array): number {
  if (m <= EXACT_MAX && n <= EXACT_MAX) {
    const c = cdf ?? mannWhitneyCdf(m, n);
    let cut = 0;
    while (cut < c.length && c[cut]! <= alphaHalf) cut++;
    return cut;
  }
  const mean = (m * n) / 2;
  const sd = Math.sqrt((m * n * (m + n + 1)) / 12);
  return Math.max(0, Math.floor(mean - quantileNormal(1 - alphaHalf) * sd));
}

/** Whether m runs against n can give a `confidence` interval of the shift at all (3 and 5 can, 3 and 3 cannot). */
export function intervalPossible(m: number, n: number, confidence = 0.95): boolean {
  return m >= 1 && n >= 1 && intervalCut(m, n, (1 - confidence) / 2) > 0;
}

/**
 * About how many runs a side would give an interval narrow enough to tell `shift` from
 * `margin`, if the shift and the runs' spread (standard deviation `sd`) are what they seem:
 * the interval's half-width is about z·sd·√(2/n)·1.023 (the Hodges-Lehmann estimator's
 * efficiency against the mean, √(π/3), for normal values). Undefined when the shift is within
 * the margin (no number of runs makes it a finding).
 */
export function runsToDecide(shift: number, margin: number, sd: number, confidence = 0.95): number | undefined {
  const room = Math.abs(shift) - margin;
  if (!(room > 0)) return undefined;
  if (sd === 0) return fewestRunsForInterval(confidence);
  const z = quantileNormal(1 - (1 - confidence) / 2);
  return Math.max(fewestRunsForInterval(confidence), Math.ceil(2 * ((z * 1.023 * sd) / room) ** 2));
}

/** Sample standard deviation (n - 1); 0 for fewer than two values. */
export function standardDeviation(v: readonly number[]): number {
  if (v.length < 2) return 0;
  const mean = v.reduce((x, y) => x + y, 0) / v.length;
  return Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / (v.length - 1));
}

export { median as medianOfSorted };
