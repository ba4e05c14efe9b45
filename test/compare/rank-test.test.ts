import { describe, expect, it } from 'vitest';
import { fewestRunsForInterval, intervalPossible, mannWhitneyCdf, runsToDecide, shiftEstimate, standardDeviation } from '../../src/compare/rank-test.js';

describe('Mann-Whitney distribution', () => {
  it('counts the orderings of 5 and 5 values exactly (C(10,5) = 252 equally likely)', () => {
    const cdf = mannWhitneyCdf(5, 5);
    expect(cdf.length).toBe(26);
    // U = 0, 1, 2, 3, 4 occur in 1, 1, 2, 3, 5 of the 252 orderings.
    expect([...cdf.slice(0, 5)].map((p) => Math.round(p * 252))).toEqual([1, 2, 4, 7, 12]);
    expect(cdf[25]).toBeCloseTo(1, 12);
    // Symmetric about mn/2.
    for (let u = 0; u < 25; u++) expect(cdf[u]!).toBeCloseTo(1 - cdf[24 - u]!, 12);
  });

  it('handles unequal sides (3 and 5: C(8,3) = 56)', () => {
    const cdf = mannWhitneyCdf(3, 5);
    expect(Math.round(cdf[0]! * 56)).toBe(1);
    expect(Math.round(cdf[1]! * 56)).toBe(2);
    expect(mannWhitneyCdf(1, 1)[0]).toBeCloseTo(0.5, 12);
  });
});

describe('shift of B against A', () => {
  it('estimates the shift as the median pairwise difference, with its exact interval and p-value', () => {
    const r = shiftEstimate([1, 2, 3, 4, 5], [11, 12, 13, 14, 15]);
    expect(r.shift).toBe(10);
    // k = 3: P(U <= 2) = 4/252, so the interval is [D(3), D(23)] at 1 - 8/252.
    expect(r.interval).toEqual({ low: 7, high: 13, confidence: 1 - 8 / 252 });
    expect(r.pValue).toBeCloseTo(2 / 252, 12);
  });

  it('puts no difference inside the interval when the sides overlap', () => {
    const r = shiftEstimate([1, 2, 3, 4, 5], [1.5, 2.5, 3.5, 4.5, 5.5]);
    expect(r.shift).toBe(0.5);
    expect(r.interval!.low).toBeLessThan(0);
    expect(r.interval!.high).toBeGreaterThan(0);
    expect(r.pValue).toBeGreaterThan(0.5);
  });

  it('gives no interval when the runs are too few for 95% (3 and 3, or one run against five)', () => {
    expect(shiftEstimate([1, 2, 3], [10, 11, 12]).interval).toBeUndefined();
    expect(shiftEstimate([1], [10, 11, 12, 13, 14]).interval).toBeUndefined();
    expect(shiftEstimate([1, 2, 3, 4], [10, 11, 12, 13]).interval).toBeDefined();
    expect(fewestRunsForInterval()).toBe(4);
  });

  it('knows which run counts give an interval, as shiftEstimate finds (3 and 5 do: npm run regression\'s 3 runs against its 5-run baseline)', () => {
    for (let m = 1; m <= 8; m++) {
      for (let n = 1; n <= 8; n++) {
        const a = Array.from({ length: m }, (_, i) => i);
        const b = Array.from({ length: n }, (_, i) => 100 + i);
        expect([m, n, intervalPossible(m, n)]).toEqual([m, n, shiftEstimate(a, b).interval !== undefined]);
      }
    }
    expect(intervalPossible(3, 5)).toBe(true);
    expect(intervalPossible(3, 3)).toBe(false);
    // Beyond 40 runs a side, the normal approximation, as shiftEstimate uses it.
    expect(intervalPossible(45, 50)).toBe(shiftEstimate(Array.from({ length: 45 }, (_, i) => i), Array.from({ length: 50 }, (_, i) => 100 + i)).interval !== undefined);
    expect(intervalPossible(45, 50)).toBe(true);
  });

  it('is not moved by one far-off run', () => {
    const a = [100, 102, 98, 101, 99];
    const b = [100, 103, 97, 101, 5000];
    const r = shiftEstimate(a, b);
    expect(Math.abs(r.shift)).toBeLessThan(3);
    expect(r.interval!.low).toBeLessThan(0);
  });

  it('uses the normal approximation for long series, agreeing with the exact interval where both apply', () => {
    const a = Array.from({ length: 50 }, (_, i) => i);
    const r = shiftEstimate(a, a.map((x) => x + 5));
    expect(r.shift).toBe(5);
    expect(r.interval!.confidence).toBeGreaterThanOrEqual(0.95);
    expect(r.interval!.low).toBeLessThan(5);
    expect(r.interval!.high).toBeGreaterThan(5);
  });
});

describe('runs to decide', () => {
  it('grows with the spread and shrinks with the room between the shift and the margin', () => {
    expect(runsToDecide(5, 10, 3)).toBeUndefined();
    const narrow = runsToDecide(25, 10, 4)!;
    const wide = runsToDecide(25, 10, 12)!;
    expect(narrow).toBeGreaterThanOrEqual(4);
    expect(wide).toBeGreaterThan(narrow);
    // 2·(1.96·1.023·12/15)² = 5.13...
    expect(wide).toBe(6);
    expect(runsToDecide(25, 10, 0)).toBe(4);
  });

  it('computes the sample standard deviation', () => {
    expect(standardDeviation([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(2.138, 3);
    expect(standardDeviation([3])).toBe(0);
  });
});
