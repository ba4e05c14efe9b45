import { Random } from '../util/random.js';

/**
 * E-Divisive with means (Matteson & James 2014, "A Nonparametric Approach for Multiple
 * Change Point Analysis of Multivariate Data"), for one series of numbers: split the
 * series where the energy statistic Q̂ is largest, keep the split when a permutation test
 * says a Q̂ that large is unlikely without a change, and repeat inside the segments, as
 * MongoDB's signal_processing_algorithms (which Hunter uses) does. By default, as there,
 * the second segment runs to the end of the segment being split (κ fixed), which gives
 * the most power to a change in the newest runs, the one a nightly check is for;
 * `searchEnd` also searches κ, as the paper does, which finds a block that went up and
 * came back down at some cost in power for the newest step (docs/history.md has figures).
 *
 * Q̂ follows the paper (exponent α = 1): for X = x[a..τ), Y = x[τ..κ), m = |X|, n = |Y|,
 *   Ê = 2/(mn) Σ|Xi − Yj| − Σ_{i<k}|Xi − Xk| / C(m,2) − Σ_{j<k}|Yj − Yk| / C(n,2)
 *   Q̂ = mn/(m+n) · Ê
 * With α = 1 a single far outlier adds the same amount to the cross term and to its own
 * side's within term, so it cancels: one bad run does not make a change point.
 */

export interface EDivisiveOptions {
  /** Significance level of the permutation test: a split is kept when p <= alpha. */
  alpha: number;
  /** Permutations per test; the smallest p-value possible is 1/(permutations + 1). */
  permutations: number;
  /** Fewest points a segment may have (>= 2: a within-segment distance needs a pair). */
  minSize: number;
  /** Seed of the permutations: the same series and options always give the same answer. */
  seed: number;
  /** Search the end κ of the second segment too (see bestSplit); default: κ at the segment's end. */
  searchEnd: boolean;
}

export const DEFAULT_EDIVISIVE: EDivisiveOptions = { alpha: 0.01, permutations: 499, minSize: 3, seed: 1, searchEnd: false };

/** A change point: the segment after it starts at `index`. */
export interface ChangePointFit {
  index: number;
  /** Q̂ of the split when it was found. */
  qhat: number;
  /** The permutation test's p-value, (1 + #permuted Q̂ >= Q̂) / (permutations + 1). */
  pValue: number;
}

/**
 * Q̂(τ) with κ at the end (X = x[0..τ), Y = x[τ..n)) for every τ in
 * [minSize, x.length − minSize]; NaN elsewhere. O(n²) time,
 * O(n) memory: moving τ by one moves one point from Y to X, so each sum changes by that
 * point's distances to the two sides.
 */
export function qhatValues(x: ArrayLike<number>, minSize = 2): Float64Array {
  const n = x.length;
  const out = new Float64Array(n + 1).fill(Number.NaN);
  if (minSize < 2) throw new RangeError(`minSize ${minSize}: a segment needs at least 2 points`);
  if (n < 2 * minSize) return out;
  // Start at τ = 0: everything in Y.
  let within = 0; // Σ over pairs in Y
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) within += Math.abs(x[i]! - x[j]!);
  let inX = 0; // Σ over pairs in X
  let inY = within;
  let cross = 0;
  for (let tau = 1; tau < n; tau++) {
    // Point tau − 1 moves from Y to X.
    const p = tau - 1;
    let toX = 0;
    for (let i = 0; i < p; i++) toX += Math.abs(x[i]! - x[p]!);
    let toY = 0;
    for (let j = p + 1; j < n; j++) toY += Math.abs(x[j]! - x[p]!);
    inX += toX;
    inY -= toY;
    cross += toY - toX;
    const m = tau;
    const k = n - tau;
    if (m < minSize || k < minSize) continue;
    const e = (2 * cross) / (m * k) - inX / ((m * (m - 1)) / 2) - inY / ((k * (k - 1)) / 2);
    out[tau] = ((m * k) / (m + k)) * e;
  }
  return out;
}

/**
 * The best split of x: the largest Q̂ of X = x[0..τ) against Y = x[τ..κ) for every τ
 * (each side at least minSize points), the earliest τ on a tie; κ is x's end, or with
 * searchEnd every κ > τ, as the paper defines it. Searching κ finds a block that goes up
 * and comes back down, whose first edge alone, against everything after it, can look
 * like noise; it also makes the maximum over many more splits, so a permutation test
 * needs a larger Q̂ to call any of them significant. O(n²) time and O(n) memory: with P(a, b) the
 * sum of distances over the pairs in x[a..b), the three sums are P(0, τ), P(τ, κ) and
 * P(0, κ) − P(0, τ) − P(τ, κ), and P(τ, ·) follows from P(τ + 1, ·) by one pass.
 */
export function bestSplit(x: ArrayLike<number>, minSize: number, searchEnd = false): { index: number; end: number; qhat: number } | undefined {
  const n = x.length;
  if (minSize < 2) throw new RangeError(`minSize ${minSize}: a segment needs at least 2 points`);
  if (n < 2 * minSize) return undefined;
  const fromStart = new Float64Array(n + 1); // P(0, b)
  for (let b = 1; b <= n; b++) {
    let d = 0;
    for (let i = 0; i < b - 1; i++) d += Math.abs(x[i]! - x[b - 1]!);
    fromStart[b] = fromStart[b - 1]! + d;
  }
  const fromTau = new Float64Array(n + 1); // P(τ, b), for the current τ
  let best: { index: number; end: number; qhat: number } | undefined;
  for (let tau = n - 1; tau >= minSize; tau--) {
    let toTau = 0; // Σ_{τ<j<b} |x_τ − x_j|
    for (let b = tau + 1; b <= n; b++) {
      fromTau[b] = fromTau[b]! + toTau;
      if (b < n) toTau += Math.abs(x[tau]! - x[b]!);
    }
    if (tau > n - minSize) continue;
    const m = tau;
    const inX = fromStart[tau]!;
    const wx = inX / ((m * (m - 1)) / 2);
    for (let kappa = searchEnd ? tau + minSize : n; kappa <= n; kappa++) {
      const k = kappa - tau;
      const inY = fromTau[kappa]!;
      const cross = fromStart[kappa]! - inX - inY;
      const q = ((m * k) / (m + k)) * ((2 * cross) / (m * k) - wx - inY / ((k * (k - 1)) / 2));
      // Scanning τ downwards, >= keeps the earliest τ of equal ones.
      if (best === undefined || q > best.qhat || (q === best.qhat && tau <= best.index)) best = { index: tau, end: kappa, qhat: q };
    }
  }
  return best;
}

/** Segment bounds [0, ...change points, n] as [start, end) pairs. */
function windows(n: number, cps: readonly number[]): [number, number][] {
  const edges = [0, ...cps, n];
  const out: [number, number][] = [];
  for (let i = 0; i + 1 < edges.length; i++) out.push([edges[i]!, edges[i + 1]!]);
  return out;
}

function shuffleInPlace(a: Float64Array, rnd: Random): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rnd.int(i + 1);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}

/**
 * The permutation test of a candidate: shuffle the points inside each current segment,
 * take the largest Q̂ over all segments, count how often that reaches the candidate's.
 * Stops early once the count alone rules significance out (the decision is the same).
 */
function permutationPValue(x: readonly number[], cps: readonly number[], observed: number, o: EDivisiveOptions, rnd: Random): number {
  const segs = windows(x.length, cps).map(([a, b]) => Float64Array.from(x.slice(a, b)));
  const giveUp = Math.floor(o.alpha * (o.permutations + 1)); // count + 1 > this means p > alpha
  let atLeast = 0;
  let done = 0;
  for (; done < o.permutations; done++) {
    let best = -Infinity;
    for (const s of segs) {
      shuffleInPlace(s, rnd);
      const b = bestSplit(s, o.minSize, o.searchEnd);
      if (b && b.qhat > best) best = b.qhat;
    }
    if (best >= observed) atLeast++;
    if (atLeast + 1 > giveUp) return (atLeast + 1) / (done + 2);
  }
  return (atLeast + 1) / (o.permutations + 1);
}

/** Every significant change point of the series, in order of index. */
export function eDivisive(series: readonly number[], options: Partial<EDivisiveOptions> = {}): ChangePointFit[] {
  const o = { ...DEFAULT_EDIVISIVE, ...options };
  if (!(o.alpha > 0 && o.alpha < 1)) throw new RangeError(`alpha ${o.alpha}: expected a number between 0 and 1`);
  if (!(Number.isInteger(o.permutations) && o.permutations >= 1)) throw new RangeError(`permutations ${o.permutations}: expected a whole number, 1 or more`);
  if (series.some((v) => !Number.isFinite(v))) throw new RangeError('the series has a value that is not a finite number');
  const rnd = new Random(o.seed);
  const found: ChangePointFit[] = [];
  // The best split of each segment, by its bounds: only the two new segments change per step.
  const memo = new Map<string, { index: number; end: number; qhat: number } | undefined>();
  for (;;) {
    const cps = found.map((c) => c.index).sort((a, b) => a - b);
    let candidate: { index: number; end: number; qhat: number } | undefined;
    for (const [a, b] of windows(series.length, cps)) {
      const key = `${a}:${b}`;
      if (!memo.has(key)) {
        const s = bestSplit(series.slice(a, b), o.minSize, o.searchEnd);
        memo.set(key, s ? { index: s.index + a, end: s.end + a, qhat: s.qhat } : undefined);
      }
      const c = memo.get(key);
      if (c && (candidate === undefined || c.qhat > candidate.qhat)) candidate = c;
    }
    // No split left, or every point equal within its segment: nothing to test.
    if (!candidate || !(candidate.qhat > 0)) break;
    const pValue = permutationPValue(series, cps, candidate.qhat, o, rnd);
    if (pValue > o.alpha) break;
    found.push({ index: candidate.index, qhat: candidate.qhat, pValue });
  }
  return found.sort((a, b) => a.index - b.index);
}
