import { DEFAULT_EDIVISIVE, eDivisive, type EDivisiveOptions } from './e-divisive.js';
import type { Better } from './measurements.js';

export interface ChangePointOptions extends EDivisiveOptions {
  /**
   * Change points whose relative change of the mean is smaller than this (percent) are
   * dropped, smallest first, and their neighbours re-measured (as Hunter's min_magnitude):
   * a significant 1% shift is real but not news.
   */
  minChangePct: number;
}

export const DEFAULT_CHANGE_OPTIONS: ChangePointOptions = { ...DEFAULT_EDIVISIVE, minChangePct: 5 };

export type Direction = 'regression' | 'improvement' | 'none';

export interface Segment {
  mean: number;
  count: number;
}

/** A change point of one measurement's series. */
export interface ChangePoint {
  /** Index of the first point after the change. */
  index: number;
  /** The run where the change began (the first run at the new level). */
  runId: string;
  startedAt: string;
  before: Segment;
  after: Segment;
  /** after.mean / before.mean − 1; null when the mean before is 0. */
  relativeChange: number | null;
  direction: Direction;
  pValue: number;
}

export interface Point {
  runId: string;
  startedAt: string;
  value: number;
}

function segment(values: readonly number[], a: number, b: number): Segment {
  let sum = 0;
  for (let i = a; i < b; i++) sum += values[i]!;
  return { mean: sum / (b - a), count: b - a };
}

function relative(before: Segment, after: Segment): number | null {
  if (before.mean === 0) return after.mean === 0 ? 0 : null;
  return after.mean / before.mean - 1;
}

/** Size for the min-change rule: a change from 0 to anything is as large as it gets. */
function magnitude(rel: number | null): number {
  return rel === null ? Infinity : Math.abs(rel);
}

export function directionOf(rel: number | null, before: Segment, after: Segment, better: Better): Direction {
  if (after.mean === before.mean) return 'none';
  const up = rel === null ? after.mean > before.mean : rel > 0;
  return up === (better === 'lower') ? 'regression' : 'improvement';
}

/** The change points of a series of runs (in run order), with their sizes and directions. */
export function findChangePoints(points: readonly Point[], better: Better, options: Partial<ChangePointOptions> = {}): ChangePoint[] {
  const o = { ...DEFAULT_CHANGE_OPTIONS, ...options };
  const values = points.map((p) => p.value);
  const fits = eDivisive(values, o);
  const kept = [...fits];
  const describe = (): ChangePoint[] =>
    kept.map((f, i) => {
      const before = segment(values, i === 0 ? 0 : kept[i - 1]!.index, f.index);
      const after = segment(values, f.index, i + 1 < kept.length ? kept[i + 1]!.index : values.length);
      const rel = relative(before, after);
      const p = points[f.index]!;
      return { index: f.index, runId: p.runId, startedAt: p.startedAt, before, after, relativeChange: rel, direction: directionOf(rel, before, after, better), pValue: f.pValue };
    });
  for (;;) {
    const cps = describe();
    let weakest = -1;
    for (let i = 0; i < cps.length; i++) if (weakest < 0 || magnitude(cps[i]!.relativeChange) < magnitude(cps[weakest]!.relativeChange)) weakest = i;
    if (weakest < 0 || magnitude(cps[weakest]!.relativeChange) >= o.minChangePct / 100) return cps;
    kept.splice(weakest, 1);
  }
}
