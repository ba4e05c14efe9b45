import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { betterOf, isKeyMeasurement, nameMatcher } from '../../src/history/measurements.js';
import { readHistoryInput } from '../../src/history/result-input.js';
import { BASELINE, baselineRun, baselineWorkload, day, syntheticRun, writeSeriesFile } from './fixtures.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kbench-history-input-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const summary = JSON.parse(readFileSync(path.join(BASELINE, 'summary.json'), 'utf8')) as {
  pods: { phases: Record<string, { p50: number; p99: number; count: number }> };
  slo: unknown[];
  collectors: { run: { scheduler: { pendingMax: { total: number }; bindsPerS: number }; etcd: { walFsync: { p99Ms: number; count: number } } } };
};

describe('reading a result set into the history', () => {
  it('takes the identity, SLO verdicts and every measurement of a real result set, by stable names', () => {
    const input = readHistoryInput(BASELINE);
    expect(input.series).toBeUndefined();
    expect(input.runs).toHaveLength(1);
    const r = input.runs[0]!;
    expect(r.identity).toMatchObject({
      runId: '20261122t055042-1ec9f6',
      workload: 'smoke',
      workloadSha256: baselineWorkload().sha256,
      status: 'complete',
      mode: 'run',
      startedAt: '2026-11-22T05:50:42.151Z',
      endedAt: '2026-11-22T05:50:49.392Z',
      targetKind: 'sim',
      serverVersion: 'v1.32.0-kbench-sim',
      nodes: 20,
      kbenchVersion: '0.1.0',
      seed: 1,
      source: BASELINE,
    });
    expect(r.slo).toHaveLength(summary.slo.length);
    const m = new Map(r.measurements.map((x) => [x.name, x]));
    expect(m.get('pod_startup.p99')).toEqual({ name: 'pod_startup.p99', value: summary.pods.phases.pod_startup!.p99, unit: 'ms', samples: 300 });
    expect(m.get('create_to_schedule.p50')?.value).toBe(summary.pods.phases.create_to_schedule!.p50);
    expect(m.get('pod_startup.count')).toMatchObject({ value: 300, unit: 'count' });
    for (const q of ['p90', 'max']) expect(m.has(`schedule_to_run.${q}`)).toBe(true);
    expect(m.get('api.POST pods resource.p99')).toMatchObject({ value: 263.423, unit: 'ms', samples: 100 });
    expect(m.has('api.POST pods resource.p50')).toBe(true);
    expect(m.get('server.scheduler_pending_max')).toMatchObject({ value: summary.collectors.run.scheduler.pendingMax.total, unit: 'pods' });
    expect(m.get('server.scheduler_binds_per_s')).toMatchObject({ value: summary.collectors.run.scheduler.bindsPerS, unit: 'per_s' });
    expect(m.get('server.etcd_wal_fsync.p99')).toMatchObject({ value: summary.collectors.run.etcd.walFsync.p99Ms, samples: summary.collectors.run.etcd.walFsync.count });
    expect(m.has('server.etcd_backend_commit.p99')).toBe(true);
    expect(m.get('server.api.POST pods/binding resource.p99')?.unit).toBe('ms');
  });

  it('leaves out what a run did not measure instead of writing 0', () => {
    const dir = syntheticRun(path.join(tmp, 'synthetic'), { seed: 3, runId: 'syn-3', startedAt: day(3) });
    const names = readHistoryInput(dir).runs[0]!.measurements.map((x) => x.name);
    expect(names.filter((n) => n.startsWith('server.'))).toEqual([]);
    expect(names).toContain('pod_startup.p99');
    expect(names).toContain('api.POST pods resource.p99');
    expect(names.some((n) => n.startsWith('create_to_schedule.'))).toBe(false);
  });

  it('keeps an interrupted run with its status, and a killed one (no summary) as unfinished with no values', () => {
    const interrupted = baselineRun(path.join(tmp, 'interrupted'), { runId: 'int-1', startedAt: day(1), status: 'interrupted' });
    expect(readHistoryInput(interrupted).runs[0]!.identity.status).toBe('interrupted');
    const killed = path.join(tmp, 'killed');
    mkdirSync(killed);
    const m = JSON.parse(readFileSync(path.join(BASELINE, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(path.join(killed, 'manifest.json'), JSON.stringify({ ...m, runId: 'killed-1', status: 'running' }));
    const r = readHistoryInput(killed).runs[0]!;
    expect(r.identity).toMatchObject({ runId: 'killed-1', status: 'unfinished' });
    expect(r.measurements).toEqual([]);
    expect(r.slo).toEqual([]);
  });

  it('reads every run of a series folder, under one series id that is the same each time', () => {
    const dir = path.join(tmp, 'series');
    for (let i = 1; i <= 3; i++) baselineRun(path.join(dir, `run-${i}`), { runId: `s-${i}`, startedAt: day(10 + i), factor: 1 + i / 100 });
    writeSeriesFile(dir, baselineWorkload(), ['run-1', 'run-2', 'run-3']);
    const a = readHistoryInput(dir);
    expect(a.runs.map((r) => r.identity.runId)).toEqual(['s-1', 's-2', 's-3']);
    expect(a.series).toMatchObject({ workload: 'smoke', workloadSha256: baselineWorkload().sha256 });
    expect(a.series!.id).toMatch(/^series-[0-9a-f]{12}$/);
    expect(readHistoryInput(dir).series!.id).toBe(a.series!.id);
    writeSeriesFile(dir, baselineWorkload(), ['run-1', 'run-2', 'run-3'], { id: 'nightly-2026-11-14' });
    expect(readHistoryInput(dir).series!.id).toBe('nightly-2026-11-14');
  });

  it('puts a run whose manifest names its series into that series, alone or in its folder', () => {
    const dir = path.join(tmp, 'manifest-series');
    for (let i = 1; i <= 2; i++) baselineRun(path.join(dir, `run-${i}`), { runId: `m-${i}`, startedAt: day(20 + i), series: { id: 'nightly-21', index: i, of: 2 } });
    const alone = readHistoryInput(path.join(dir, 'run-2'));
    expect(alone.series).toEqual({ id: 'nightly-21', workload: 'smoke', workloadSha256: baselineWorkload().sha256, size: 2, whole: false });
    expect(alone.runs[0]!.seriesIndex).toBe(2);
    writeSeriesFile(dir, baselineWorkload(), ['run-1', 'run-2']);
    expect(readHistoryInput(dir).series).toMatchObject({ id: 'nightly-21', size: 2, whole: true });
  });

  it('refuses a series file it cannot trust, naming the file and what is wrong', () => {
    const dir = path.join(tmp, 'bad-series');
    baselineRun(path.join(dir, 'run-1'), { runId: 'b-1', startedAt: day(1) });
    baselineRun(path.join(dir, 'run-2'), { runId: 'b-1', startedAt: day(2) });
    const file = path.join(dir, 'series.json');
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ formatVersion: 2 }, /formatVersion 2 is not one this kbench reads \(it reads 1\)/],
      [{ kind: 'run' }, /kind "run" is not "series"/],
      [{ runs: [] }, /runs must be a non-empty list/],
      [{ runs: ['../run-1'] }, /outside the series folder/],
      [{ runs: ['run-1', 'run-2'] }, /two of its runs have the same run id b-1/],
      [{ runs: ['run-9'] }, /run-9 is not a folder/],
      [{ workload: { name: 'density', sha256: baselineWorkload().sha256 } }, /is a run of workload smoke .* but .* says the series is of density/],
    ];
    for (const [patch, message] of cases) {
      writeFileSync(file, JSON.stringify({ formatVersion: 1, kind: 'series', workload: baselineWorkload(), runs: ['run-1'], ...patch }));
      expect(() => readHistoryInput(dir)).toThrow(message);
    }
    writeFileSync(file, '{"formatVersion": 1,');
    expect(() => readHistoryInput(dir)).toThrow(/series.json is not readable JSON/);
  });

  it('refuses folders that are not result sets', () => {
    expect(() => readHistoryInput(path.join(tmp, 'nowhere'))).toThrow(/is not a folder/);
    const empty = path.join(tmp, 'empty');
    mkdirSync(empty);
    expect(() => readHistoryInput(empty)).toThrow(/no manifest.json/);
    const bad = path.join(tmp, 'bad-manifest');
    cpSync(BASELINE, bad, { recursive: true });
    writeFileSync(path.join(bad, 'manifest.json'), JSON.stringify({ runId: 'x' }));
    expect(() => readHistoryInput(bad)).toThrow(/manifest.json does not match the result-set format/);
  });
});

describe('measurement names', () => {
  it('know which way is better and which are watched by default', () => {
    expect(betterOf('pod_startup.p99')).toBe('lower');
    expect(betterOf('server.scheduler_pending_max')).toBe('lower');
    expect(betterOf('server.scheduler_binds_per_s')).toBe('higher');
    expect(betterOf('pod_startup.count')).toBe('higher');
    expect(['pod_startup.p99', 'create_to_schedule.p50', 'api.POST pods resource.p99', 'server.etcd_wal_fsync.p99', 'server.scheduler_pending_max'].every(isKeyMeasurement)).toBe(true);
    expect(['pod_startup.p90', 'pod_startup.max', 'pod_startup.count', 'api.POST pods resource.p50'].some(isKeyMeasurement)).toBe(false);
  });

  it('match patterns with * and nothing else special', () => {
    const m = nameMatcher(['api.*.p99', 'pod_startup.p50']);
    expect(m('api.POST pods resource.p99')).toBe(true);
    expect(m('api.POST pods resource.p50')).toBe(false);
    expect(m('pod_startup.p50')).toBe(true);
    expect(m('pod_startupXp50')).toBe(false);
  });
});
