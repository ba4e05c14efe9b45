import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadWorkload } from '../../src/spec/load.js';
import { type ResolvedWorkload, resolveWorkload } from '../../src/spec/resolve.js';
import { evenPart, ownCount, parseShard, shardProblems, shardWorkload } from '../../src/spec/shard.js';

const ROOT = new URL('../..', import.meta.url).pathname;

function workload(file: string, sets: string[] = []): ResolvedWorkload {
  const r = loadWorkload(path.join(ROOT, file), sets);
  if (!r.ok) throw new Error(`${file} invalid`);
  return resolveWorkload(r.workload);
}

describe('parseShard', () => {
  it('reads i/N and refuses what is not one, saying why', () => {
    expect(parseShard('0/4')).toEqual({ index: 0, count: 4 });
    expect(parseShard(' 3/4 ')).toEqual({ index: 3, count: 4 });
    expect(parseShard('4/4')).toMatch(/i must be 0 to 3/);
    expect(parseShard('0/0')).toMatch(/N must be 1 to/);
    expect(parseShard('1-4')).toMatch(/not i\/N/);
    expect(parseShard('-1/4')).toMatch(/not i\/N/);
  });
});

describe('whole-number splits', () => {
  it('evenPart and ownCount add up to the whole for every N', () => {
    for (const total of [0, 1, 7, 10, 100, 101]) {
      for (const n of [1, 2, 3, 7, 13]) {
        let parts = 0;
        let owned = 0;
        for (let s = 0; s < n; s++) {
          parts += evenPart(total, n, s);
          owned += ownCount(total, n, s);
        }
        expect(parts).toBe(total);
        expect(owned).toBe(total);
      }
    }
  });
});

describe('shardWorkload', () => {
  const smoke = workload('workloads/smoke.yaml');
  const big = workload('workloads/150k-pods.yaml');

  it.each([1, 2, 3, 4, 7])('smoke in %i shards: every operation of every phase exactly once, under its single-run index', (n) => {
    const plans = Array.from({ length: n }, (_, s) => shardWorkload(smoke, { index: s, count: n }));
    for (const phase of smoke.phases) {
      const all = plans.flatMap((p) => p.workload.phases[phase.index]!.share!.indices).sort((a, b) => a - b);
      expect(all).toEqual(Array.from({ length: phase.operations }, (_, k) => k));
      expect(plans.reduce((t, p) => t + p.workload.phases[phase.index]!.operations, 0)).toBe(phase.operations);
    }
    expect(plans.reduce((t, p) => t + p.workload.expectedPods, 0)).toBe(smoke.expectedPods);
  });

  it('rates are divided, whole-number pacing split evenly (at least 1)', () => {
    const plans = Array.from({ length: 3 }, (_, s) => shardWorkload(smoke, { index: s, count: 3 }));
    const pods = smoke.phases.find((p) => p.name === 'pods')!;
    for (const p of plans) {
      const share = p.workload.phases[pods.index]!;
      expect(share.pacing.arrivalRate).toBeCloseTo(pods.pacing.arrivalRate! / 3, 10);
      expect(share.pacing.qps).toBeCloseTo(pods.pacing.qps / 3, 10);
    }
    const deployments = smoke.phases.find((p) => p.name === 'deployments')!;
    expect(plans.map((p) => p.workload.phases[deployments.index]!.pacing.workers)).toEqual([4, 3, 3]);
    expect(plans.reduce((t, p) => t + p.workload.phases[deployments.index]!.pacing.burst, 0)).toBe(deployments.pacing.burst);
    const many = shardWorkload(smoke, { index: 15, count: 16 }).workload.phases[deployments.index]!.pacing;
    expect(many.workers).toBe(1);
  });

  it("batches: each shard's part of every batch, empty parts kept so the pauses line up", () => {
    // smoke: 10 Deployments in batches of 5.
    const d = smoke.phases.find((p) => p.name === 'deployments')!;
    expect(d.pacing.batch).toEqual({ size: 5, intervalMs: 1000 });
    const of3 = [0, 1, 2].map((s) => shardWorkload(smoke, { index: s, count: 3 }).workload.phases[d.index]!.share!.batchLengths);
    // indices 0..4 -> shards 0,1,2,0,1; 5..9 -> 2,0,1,2,0
    expect(of3).toEqual([
      [2, 2],
      [2, 1],
      [1, 2],
    ]);
    const of7 = shardWorkload(smoke, { index: 6, count: 7 }).workload.phases[d.index]!.share!.batchLengths;
    expect(of7).toEqual([0, 1]);
  });

  it('namespaces: n belongs to shard n mod N; the 150k-pods test in 4 shards', () => {
    const plans = Array.from({ length: 4 }, (_, s) => shardWorkload(big, { index: s, count: 4 }));
    expect(plans.map((p) => p.namespaces.length)).toEqual([13, 13, 12, 12]);
    expect(plans[1]!.namespaces.slice(0, 3)).toEqual([1, 5, 9]);
    expect(plans.map((p) => p.workload.expectedPods)).toEqual([37_500, 37_500, 37_500, 37_500]);
    // The plan keeps the whole run's namespace count: objects go where a single run puts them.
    expect(plans.every((p) => p.workload.namespaceCount === big.namespaceCount)).toBe(true);
  });

  it('a shard deletes its own share of the pods', () => {
    const plans = Array.from({ length: 3 }, (_, s) => shardWorkload(smoke, { index: s, count: 3 }));
    const del = smoke.phases.find((p) => p.name === 'delete-pods')!;
    expect(plans.map((p) => p.workload.phases[del.index]!.expectedPods)).toEqual([-34, -33, -33]);
  });
});

describe('shardProblems', () => {
  it('refuses a split that gives a shard operations on objects it has none of, naming phase and shard', () => {
    // smoke's get-pods gets 100 times from the `pods` phase: with 2 pods, a third shard would get nothing to get.
    const w = workload('workloads/smoke.yaml', ['phases[1].create.count=2']);
    expect(shardProblems(w, 2)).toEqual([]);
    const p = shardProblems(w, 3);
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^phase get-pods: shard 2 of 3 has 33 get operations on the objects of phase pods, but phase pods creates too few objects \(2\)/);
    // A phase over all of an earlier phase's objects (scale, delete by default) always splits.
    expect(shardProblems(workload('workloads/api-mix.yaml'), 40)).toEqual([]);
  });
});
