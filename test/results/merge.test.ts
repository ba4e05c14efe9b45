import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeHistogram, exactStats } from '../../src/measure/stats.js';
import type { Manifest } from '../../src/results/format.js';
import { MergeRefused, mergeShards, openShard, planMerge } from '../../src/results/merge.js';
import { mergeTimeseries } from '../../src/results/merge-series.js';
import { ResultFolder } from '../../src/results/reader.js';
import { markAbandoned } from '../../src/results/writer.js';
import { kbench } from '../helpers/cli.js';
import { readJson, writeSyntheticResult } from '../helpers/synthetic-result.js';

const RUN = '20261201t130000-5e1e55';

describe('kbench merge', () => {
  let dir: string;
  const d = (name: string): string => path.join(dir, name);

  /** A synthetic result set turned into shard `index` of `count` of run `runId`. */
  function shard(name: string, index: number, count: number, o: { seed: number; runId?: string; workload?: string; pods?: number; scale?: number } = { seed: index + 1 }): string {
    const folder = writeSyntheticResult(d(name), { pods: o.pods ?? 200, seed: o.seed, ...(o.workload ? { workload: o.workload } : {}), ...(o.scale ? { scale: o.scale } : {}) });
    const m = readJson<Manifest>(path.join(folder, 'manifest.json'));
    m.runId = o.runId ?? RUN;
    m.shard = { index, count, coordination: 'configmap default/kbench-run-x', onLoss: 'fail', lost: [], collector: index === 0 };
    writeFileSync(path.join(folder, 'manifest.json'), JSON.stringify(m));
    const s = readJson<Record<string, unknown>>(path.join(folder, 'summary.json'));
    s.runId = m.runId;
    writeFileSync(path.join(folder, 'summary.json'), JSON.stringify(s));
    return folder;
  }

  /** A timeseries.csv for a shard: rows `[iso time, elapsed_s, pods_seen, pods_created_per_s]`. */
  function series(folder: string, rows: [string, number, number, number][]): void {
    const lines = ['time,elapsed_s,phase,pods_seen,pods_created_per_s', ...rows.map(([t, e, seen, rate]) => `${t},${e},pods,${seen},${rate}`)];
    writeFileSync(path.join(folder, 'timeseries.csv'), lines.join('\n') + '\n');
  }

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kbench-merge-'));
    series(shard('a0', 0, 2), [
      ['2026-11-22T00:00:01.000Z', 1, 50, 50],
      ['2026-11-22T00:00:02.000Z', 2, 120, 70],
    ]);
    // Shard 1 started its clock 0.25 s later: both its rows end within the run's second 2.
    series(shard('a1', 1, 2), [
      ['2026-11-22T00:00:01.250Z', 1, 40, 40],
      ['2026-11-22T00:00:02.000Z', 1.75, 100, 80],
    ]);
    writeSyntheticResult(d('plain'), { pods: 10, seed: 9 });
    shard('other-run', 1, 2, { seed: 3, runId: '20261201t130000-0ther0' });
    shard('other-workload', 1, 2, { seed: 4, workload: 'different' });
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('pods.csv concatenated, pod phases and their verdict recomputed on all pods, API histograms added exactly', async () => {
    const m = await mergeShards(planMerge([openShard(d('a0')), openShard(d('a1'))], { allowMissing: false }), d('m'), ['merge']);
    expect(m.status).toBe('complete');
    const merged = ResultFolder.open(d('m'));
    const parts = [ResultFolder.open(d('a0')), ResultFolder.open(d('a1'))];
    expect(merged.podRows()).toEqual([...parts[0]!.podRows(), ...parts[1]!.podRows()]);
    const union = exactStats([...parts[0]!.podSamples('pod_startup'), ...parts[1]!.podSamples('pod_startup')])!;
    expect(merged.summary.pods!.phases.pod_startup).toMatchObject({ count: 400, p50: union.p50, p99: union.p99, max: union.max });
    expect(merged.summary.slo.find((v) => v.id === 'pod_startup_p99')?.value).toBe(union.p99);
    // HDR histograms add without loss: the merged file is the sum of the two.
    const sum = decodeHistogram(readFileSync(d('a0/histograms/api-post-pods-resource.hdr'), 'utf8').trim());
    sum.add(decodeHistogram(readFileSync(d('a1/histograms/api-post-pods-resource.hdr'), 'utf8').trim()));
    const mh = merged.histogram('api-post-pods-resource.hdr');
    expect(mh.totalCount).toBe(400);
    for (const p of [50, 90, 99, 100]) expect(mh.getValueAtPercentile(p)).toBe(sum.getValueAtPercentile(p));
    const post = merged.summary.api!.find((k) => k.key === 'POST pods resource')!;
    expect(post.count).toBe(400);
    expect(post.latencyMs!.p99).toBe(Math.round(sum.getValueAtPercentile(99)) / 1000);
    expect(merged.manifest.shards?.map((s) => [s.index, s.status, s.from])).toEqual([
      [0, 'complete', 'a0'],
      [1, 'complete', 'a1'],
    ]);
    expect(merged.manifest.shard).toBeUndefined();
    // Time series: one row per second, states summed, rates as counts per second summed.
    expect(merged.csv('timeseries.csv').map((r) => [r.elapsed_s, r.pods_seen, r.pods_created_per_s])).toEqual([
      ['1', '50', '50'],
      // Created: a0's 70, a1's 40/s over 1 s and 80/s over 0.75 s; seen: each shard's latest.
      ['2', '220', '170'],
    ]);
    // compare reads it as any result set.
    const cmp = await kbench(['compare', d('a0'), d('m'), '--force']);
    expect(cmp.code, cmp.stderr).toBe(0);
  });

  it('refuses, naming why: not a shard, another run, another workload, a shard twice, a missing shard', () => {
    const plan = (names: string[]): unknown => planMerge(names.map((n) => openShard(d(n))), { allowMissing: false });
    expect(() => plan(['a0', 'plain'])).toThrow(/is not the result set of a shard/);
    expect(() => plan(['a0', 'other-run'])).toThrow(/is of run 20261201t130000-5e1e55: only the shards of one run merge/);
    expect(() => plan(['a0', 'other-workload'])).toThrow(/ran different workloads/);
    expect(() => plan(['a0', 'a0'])).toThrow(/two result sets of shard 0/);
    expect(() => plan(['a0'])).toThrow(MergeRefused);
    expect(() => plan(['a0'])).toThrow(/shard 1 of 2 of run 20261201t130000-5e1e55 is missing/);
  });

  it('judges the SLOs again on the merged pods, not on what the shards\' summaries said', async () => {
    // Both shards slow (p99 near 7 s against 5 s), their summaries doctored to say pass.
    for (const [name, index] of [['s0', 0], ['s1', 1]] as const) shard(name, index, 2, { seed: 20 + index, runId: '20261201t130000-510w00', scale: 2 });
    for (const name of ['s0', 's1']) {
      const s = readJson<{ slo: { value: number; verdict: string }[] }>(d(`${name}/summary.json`));
      s.slo[0]!.value = 1;
      s.slo[0]!.verdict = 'pass';
      writeFileSync(d(`${name}/summary.json`), JSON.stringify(s));
    }
    const m = await mergeShards(planMerge([openShard(d('s0')), openShard(d('s1'))], { allowMissing: false }), d('m-slow'), ['merge']);
    const merged = ResultFolder.open(d('m-slow'));
    const union = exactStats(merged.podSamples('pod_startup'))!;
    expect(union.count).toBe(400);
    expect(union.p99).toBeGreaterThan(5000);
    const v = m.verdicts.find((x) => x.id === 'pod_startup_p99')!;
    expect(v).toMatchObject({ value: union.p99, threshold: 5000, verdict: 'fail' });
    expect(merged.summary.slo.find((x) => x.id === 'pod_startup_p99')?.verdict).toBe('fail');
    expect(readFileSync(d('m-slow/junit.xml'), 'utf8')).toMatch(/<failure/);
    // The CLI says so with exit 3.
    const res = await kbench(['merge', d('s0'), d('s1'), '--out', d('m-slow-cli')]);
    expect(res.code, res.stderr).toBe(3);
    expect(res.stdout).toMatch(/1 SLO violated/);
  });

  it('the CLI refuses shards of another run or workload with exit 2, one clear paragraph, no folder written', async () => {
    for (const [other, why] of [
      ['other-run', /only the shards of one run merge/],
      ['other-workload', /ran different workloads/],
    ] as const) {
      const res = await kbench(['merge', d('a0'), d(other), '--out', d(`m-${other}`)]);
      expect(res.code, res.stderr).toBe(2);
      expect(res.stderr).toMatch(why);
      expect(res.stderr).not.toMatch(/\n\s+at /);
      expect(() => readFileSync(d(`m-${other}/manifest.json`))).toThrow();
    }
  });

  it('--allow-missing merges the others into a result set marked failed, naming the missing shard', async () => {
    const res = await kbench(['merge', d('a0'), '--out', d('m-missing'), '--allow-missing']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/the merged run is failed: 1 of 2 shards did not complete: shard 1: no result set/);
    const m = ResultFolder.open(d('m-missing'));
    expect(m.summary.status).toBe('failed');
    expect(m.manifest.shards?.[1]).toMatchObject({ index: 1, status: 'failed', from: '', missing: 'no result set' });
    // A shard given up by a second Ctrl-C: interrupted, no summary; named, nothing of it merged.
    const stopped = shard('a1-stopped', 1, 2, { seed: 2 });
    rmSync(path.join(stopped, 'summary.json'));
    writeFileSync(path.join(stopped, 'manifest.json'), JSON.stringify({ ...readJson<Manifest>(path.join(stopped, 'manifest.json')), status: 'running', endedAt: '' }));
    expect(markAbandoned(stopped, 'SIGINT while stopping')).toBe('no results');
    const res2 = await kbench(['merge', d('a0'), stopped, '--out', d('m-stopped')]);
    expect(res2.code, res2.stderr).toBe(1);
    const ms = ResultFolder.open(d('m-stopped'));
    expect(ms.summary.status).toBe('interrupted');
    expect(ms.manifest.shards?.[1]).toMatchObject({ index: 1, status: 'interrupted', missing: 'stopped before it wrote its results (SIGINT while stopping: kbench exited at once, without writing the results or cleaning up; it has no summary.json): nothing of it is merged' });
    expect(ms.podRows()).toHaveLength(ResultFolder.open(d('a0')).podRows().length);
    const bad = await kbench(['merge', d('a0'), d('plain'), '--out', d('m-bad')]);
    expect(bad.code).toBe(2);
    // Nothing half-done: the refused merge wrote no folder.
    expect(() => readFileSync(d('m-bad/manifest.json'))).toThrow();
  });
});

describe('mergeTimeseries', () => {
  it('sums rates as counts per second, states as each shard\'s latest, takes the worst harness', () => {
    const row = (t: string, elapsed: number, seen: number, created: number, lag: number): Record<string, string> => ({
      time: `2026-12-01T00:00:0${t}Z`,
      elapsed_s: String(elapsed),
      phase: 'p',
      pods_seen: String(seen),
      pods_created_per_s: String(created),
      harness_lag_p99_ms: String(lag),
    });
    const origin = Date.parse('2026-12-01T00:00:00Z');
    const a = [row('1.000', 1, 10, 10, 5), row('2.000', 2, 30, 20, 7)];
    // Shard b's rows fall mid-second, one of them after a short (0.5 s) interval: a phase's last row.
    const b = [row('1.500', 1, 4, 4, 50), row('2.000', 1.5, 6, 4, 3)];
    const { columns, rows } = mergeTimeseries([a, b], origin);
    expect(columns).toEqual(['time', 'elapsed_s', 'phase', 'pods_seen', 'pods_created_per_s', 'harness_lag_p99_ms']);
    expect(rows.map((r) => r.slice(1))).toEqual([
      [1, 'p', 10, 10, 5],
      // second 2: a's 20 created, b's 4 (1 s) + 2 (0.5 s); states: 30 + 6; lag: the worst.
      [2, 'p', 36, 26, 50],
    ]);
  });
});
