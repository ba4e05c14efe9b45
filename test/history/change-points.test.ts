import { describe, expect, it } from 'vitest';
import { findChangePoints, type Point } from '../../src/history/change-points.js';
import { betterOf } from '../../src/history/measurements.js';
import { day } from './fixtures.js';

/** Runs with the given values; a wobble of ±1 keeps means exact while the values differ. */
function points(...levels: [number, number][]): Point[] {
  const values = levels.flatMap(([level, n]) => Array.from({ length: n }, (_, i) => level + (i % 2 === 0 ? -1 : 1)));
  return values.map((value, i) => ({ runId: `r${i}`, startedAt: day(i), value }));
}

const o = { alpha: 0.01, permutations: 499, minSize: 3, seed: 1, minChangePct: 5 };

describe('change points of a measurement', () => {
  it('reports where a change began, its size from the means either side, and its p-value', () => {
    const cps = findChangePoints(points([100, 10], [150, 10]), 'lower', o);
    expect(cps).toHaveLength(1);
    expect(cps[0]).toMatchObject({ index: 10, runId: 'r10', startedAt: day(10), before: { mean: 100, count: 10 }, after: { mean: 150, count: 10 }, relativeChange: 0.5, direction: 'regression' });
    expect(cps[0]!.pValue).toBeLessThanOrEqual(0.01);
  });

  it('calls the direction by what is better: higher latency is a regression, higher throughput an improvement', () => {
    expect(findChangePoints(points([100, 10], [80, 10]), betterOf('pod_startup.p99'), o)[0]!.direction).toBe('improvement');
    expect(findChangePoints(points([100, 10], [150, 10]), betterOf('server.scheduler_binds_per_s'), o)[0]!.direction).toBe('improvement');
    expect(findChangePoints(points([100, 10], [60, 10]), betterOf('server.scheduler_binds_per_s'), o)).toMatchObject([{ direction: 'regression', relativeChange: -0.4 }]);
    expect(findChangePoints(points([300, 10], [200, 10]), betterOf('pod_startup.count'), o)[0]!.direction).toBe('regression');
  });

  it('has no relative size for a change from a mean of 0, and still a direction', () => {
    const cps = findChangePoints(points([1, 10], [40, 10]).map((p, i) => ({ ...p, value: i < 10 ? 0 : p.value })), 'lower', o);
    expect(cps).toMatchObject([{ index: 10, relativeChange: null, direction: 'regression', before: { mean: 0 } }]);
  });

  it('drops changes smaller than the minimum, smallest first, and re-measures the neighbours', () => {
    // 1000 -> 1020 (+2%) -> 1300: both steps are significant on a wobble of ±1.
    const series = points([1000, 8], [1020, 8], [1300, 8]);
    expect(findChangePoints(series, 'lower', { ...o, minChangePct: 0 }).map((c) => c.index)).toEqual([8, 16]);
    const kept = findChangePoints(series, 'lower', o);
    expect(kept).toHaveLength(1);
    // The 2% step is gone, so the one left is measured against everything before it.
    expect(kept[0]).toMatchObject({ index: 16, before: { mean: 1010, count: 16 }, after: { mean: 1300, count: 8 } });
    expect(kept[0]!.relativeChange).toBeCloseTo(1300 / 1010 - 1, 12);
    // A 3% step alone is not reported at the default 5%.
    expect(findChangePoints(points([1000, 10], [1030, 10]), 'lower', o)).toEqual([]);
  });

  it('reports nothing for a flat series or one too short to split', () => {
    expect(findChangePoints(points([100, 20]), 'lower', o)).toEqual([]);
    expect(findChangePoints(points([100, 2], [200, 2]), 'lower', o)).toEqual([]);
  });
});
