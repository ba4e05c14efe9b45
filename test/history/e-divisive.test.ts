import { describe, expect, it } from 'vitest';
import { bestSplit, eDivisive, qhatValues } from '../../src/history/e-divisive.js';
import { Random } from '../../src/util/random.js';
import { normal } from './fixtures.js';

/** Q̂ straight from its definition, O(n³): the reference the incremental version must match. */
function qhatByDefinition(x: number[], tau: number): number {
  const X = x.slice(0, tau);
  const Y = x.slice(tau);
  const m = X.length;
  const n = Y.length;
  let cross = 0;
  for (const a of X) for (const b of Y) cross += Math.abs(a - b);
  let inX = 0;
  for (let i = 0; i < m; i++) for (let k = i + 1; k < m; k++) inX += Math.abs(X[i]! - X[k]!);
  let inY = 0;
  for (let i = 0; i < n; i++) for (let k = i + 1; k < n; k++) inY += Math.abs(Y[i]! - Y[k]!);
  return ((m * n) / (m + n)) * ((2 * cross) / (m * n) - inX / ((m * (m - 1)) / 2) - inY / ((n * (n - 1)) / 2));
}

function noise(seed: number, n: number, mean = 100, sd = 5): number[] {
  const r = new Random(seed);
  return Array.from({ length: n }, () => mean + sd * normal(r));
}

describe('the energy statistic Q̂', () => {
  it('is 16 for [1, 2, 10, 11] split in the middle (worked by hand)', () => {
    // cross: |1-10|+|1-11|+|2-10|+|2-11| = 36 -> 2*36/(2*2) = 18; within X: 1/C(2,2) = 1; within Y: 1. Ê = 16, mn/(m+n) = 1.
    const q = qhatValues([1, 2, 10, 11], 2);
    expect(Array.from(q)).toEqual([NaN, NaN, 16, NaN, NaN]);
  });

  it('is 0 or below when the halves are no further apart than their own points', () => {
    // X = {0, 4}, Y = {2, 2}: cross 2+2+2+2 = 8 -> 2*8/4 = 4; within X 4; within Y 0: Ê = 0.
    expect(qhatValues([0, 4, 2, 2], 2)[2]).toBe(0);
    // X = {1, 2}, Y = {1, 2}: cross 0+1+1+0 = 2 -> 1; within 1 and 1: Ê = -1.
    expect(qhatValues([1, 2, 1, 2], 2)[2]).toBe(-1);
    // X = {0, 6}, Y = {2, 4}: cross 2+4+4+2 = 12 -> 6; within 6 and 2: Ê = -2.
    expect(qhatValues([0, 6, 2, 4], 2)[2]).toBe(-2);
  });

  it('weighs unequal sides by mn/(m+n): [0, 0, 0, 3, 3] at τ = 3 is 6/5 · (2·18/6 − 0 − 0) = 7.2', () => {
    const q = qhatValues([0, 0, 0, 3, 3], 2);
    expect(q[3]).toBeCloseTo(7.2, 12);
    expect(q[2]).toBeCloseTo(qhatByDefinition([0, 0, 0, 3, 3], 2), 12);
  });

  it('matches its definition at every split of random series', () => {
    for (const seed of [1, 2, 3]) {
      const x = noise(seed, 17);
      const q = qhatValues(x, 2);
      for (let t = 2; t <= 15; t++) expect(q[t]).toBeCloseTo(qhatByDefinition(x, t), 9);
    }
  });

  it('searches both ends of the second segment: the best split is the largest Q̂ over every τ and κ', () => {
    for (const seed of [4, 5]) {
      const x = noise(seed, 14);
      let best = -Infinity;
      for (let t = 3; t <= 11; t++) for (let k = t + 3; k <= 14; k++) best = Math.max(best, qhatByDefinition(x.slice(0, k), t));
      expect(bestSplit(x, 3, true)!.qhat).toBeCloseTo(best, 9);
      // Without searchEnd, the largest Q̂ with κ at the end.
      const atEnd = Math.max(...Array.from(qhatValues(x, 3)).filter((v) => !Number.isNaN(v)));
      expect(bestSplit(x, 3)).toMatchObject({ end: 14 });
      expect(bestSplit(x, 3)!.qhat).toBeCloseTo(atEnd, 12);
    }
    // A block that goes up and comes back: the best split ends where the block does.
    expect(bestSplit([1, 1, 1, 9, 9, 9, 1, 1, 1, 1], 3, true)).toMatchObject({ index: 3, end: 6 });
  });

  it('leaves splits that would make a segment shorter than minSize out', () => {
    const q = qhatValues([1, 2, 3, 4, 5, 6, 7], 3);
    expect([...q].map((v) => !Number.isNaN(v))).toEqual([false, false, false, true, true, false, false, false]);
    expect(bestSplit([1, 2, 3, 4, 5], 3)).toBeUndefined();
    expect(() => qhatValues([1, 2, 3], 1)).toThrow(/at least 2/);
  });

  it('does not move for one far outlier: with exponent 1 its distances cancel between the cross and within terms', () => {
    const x = [10, 11, 10, 12, 11, 10, 11, 12];
    const y = [...x];
    y[6] = 10_000;
    const far = [...x];
    far[6] = 1_000_000;
    // Any split with the outlier inside a side of at least 2 points: the same Q̂ whether it is 10,000 or 1,000,000.
    for (const t of [2, 3, 4, 5]) expect(qhatValues(y, 2)[t]).toBeCloseTo(qhatValues(far, 2)[t]!, 4);
  });
});

describe('E-Divisive change points', () => {
  const o = { alpha: 0.05, permutations: 199, minSize: 3, seed: 1 };

  it('finds a step where it is, with a small p-value', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const x = noise(seed, 40).map((v, i) => (i >= 25 ? v + 15 : v)); // a 3-sd step at run 25
      const cps = eDivisive(x, { ...o, seed });
      expect(cps.length).toBe(1);
      expect(Math.abs(cps[0]!.index - 25)).toBeLessThanOrEqual(1);
      expect(cps[0]!.pValue).toBeLessThanOrEqual(0.01);
    }
  });

  it('finds both steps of a series that goes up twice', () => {
    for (const seed of [1, 2, 3]) {
      const x = noise(seed, 45, 100, 3).map((v, i) => (i >= 30 ? v + 40 : i >= 15 ? v + 20 : v));
      expect(eDivisive(x, { ...o, alpha: 0.01, permutations: 499, seed }).map((c) => c.index)).toEqual([15, 30]);
    }
  });

  it('finds both edges of a block that goes up and comes back down when it searches the end too', () => {
    let whole = 0;
    let wholeAtEnd = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const x = noise(seed, 45, 100, 6).map((v, i) => (i >= 15 && i < 30 ? v + 20 : v)); // 3.3 sd for 15 runs
      const found = (cps: { index: number }[]): boolean => cps.some((c) => Math.abs(c.index - 15) <= 1) && cps.some((c) => Math.abs(c.index - 30) <= 1);
      if (found(eDivisive(x, { ...o, alpha: 0.01, permutations: 499, seed, searchEnd: true }))) whole++;
      if (found(eDivisive(x, { ...o, alpha: 0.01, permutations: 499, seed }))) wholeAtEnd++;
    }
    // With κ at the end, the up edge against everything after it is diluted by the way back down.
    expect(whole).toBeGreaterThanOrEqual(18);
    expect(wholeAtEnd).toBeLessThan(whole);
  });

  it('keeps the false-alarm rate on pure noise near alpha: a permutation test is exact, not conservative to zero', () => {
    // 400 series of independent noise at alpha 0.05: each has a 5% chance of a (false) change point.
    let alarms = 0;
    for (let seed = 1; seed <= 400; seed++) if (eDivisive(noise(seed * 7919, 30), { ...o, seed }).length > 0) alarms++;
    const rate = alarms / 400;
    // Binomial(400, 0.05) has mean 20, sd 4.4: 8..34 is about ±3 sd.
    expect(rate).toBeGreaterThanOrEqual(0.02);
    expect(rate).toBeLessThanOrEqual(0.085);
  });

  it('does not count a single outlier, wherever it is', () => {
    for (const pos of [0, 14, 29]) {
      let near = 0;
      let any = 0;
      for (let seed = 1; seed <= 40; seed++) {
        const x = noise(seed * 131, 30, 100, 1);
        x[pos] = 130; // 30 standard deviations out
        const cps = eDivisive(x, { ...o, seed });
        if (cps.length > 0) any++;
        if (cps.some((c) => Math.abs(c.index - pos) <= o.minSize)) near++;
      }
      // As often as on noise alone (about alpha), never systematically at the outlier.
      expect(any).toBeLessThanOrEqual(5);
      expect(near).toBeLessThanOrEqual(3);
    }
  });

  it('turns a slow drift into a few spread-out steps up, not a burst', () => {
    // 0.1 sd per run over 40 runs (4 sd in all): what a slowly leaking cache looks like.
    const counts: number[] = [];
    for (let seed = 1; seed <= 20; seed++) {
      const x = noise(seed * 31, 40, 100, 3).map((v, i) => v + 0.3 * i);
      const cps = eDivisive(x, { ...o, seed });
      counts.push(cps.length);
      const edges = [0, ...cps.map((c) => c.index), x.length];
      const means = edges.slice(1).map((b, i) => x.slice(edges[i], b).reduce((s, v) => s + v, 0) / (b - edges[i]!));
      for (let i = 1; i < cps.length; i++) expect(cps[i]!.index - cps[i - 1]!.index).toBeGreaterThanOrEqual(5);
      // A staircase: every step goes the way the drift goes.
      for (let i = 1; i < means.length; i++) expect(means[i]!).toBeGreaterThan(means[i - 1]!);
    }
    expect(Math.max(...counts)).toBeLessThanOrEqual(3);
    // It is found: a drift this size is a change, just not a sudden one.
    expect(counts.filter((c) => c > 0).length).toBeGreaterThanOrEqual(15);
  });

  it('is deterministic for a seed, and says nothing of series too short or flat', () => {
    const x = noise(9, 30).map((v, i) => (i >= 20 ? v + 6 : v));
    expect(eDivisive(x, { ...o, seed: 4 })).toEqual(eDivisive(x, { ...o, seed: 4 }));
    expect(eDivisive([1, 2, 3, 4, 5], o)).toEqual([]);
    expect(eDivisive(Array(20).fill(7), o)).toEqual([]);
  });

  it('refuses options and values it cannot use', () => {
    expect(() => eDivisive([1, 2, 3, 4, 5, 6], { alpha: 0 })).toThrow(/alpha/);
    expect(() => eDivisive([1, 2, 3, 4, 5, 6], { permutations: 0 })).toThrow(/permutations/);
    expect(() => eDivisive([1, 2, Number.NaN, 4, 5, 6])).toThrow(/finite/);
  });
});
