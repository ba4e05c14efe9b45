import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AbFile, Manifest, SeriesFile, SeriesSummary } from '../../src/results/format.js';
import { kbench, type CliResult } from '../helpers/cli.js';

const WORKLOAD = path.resolve(import.meta.dirname, '../fixtures/series.yaml');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'kbench-series-run-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function json<T>(...p: string[]): T {
  return JSON.parse(readFileSync(path.join(...p), 'utf8')) as T;
}

/** A slow shared machine may miss an SLO: exit 3 then, never anything else. */
function ranOk(r: CliResult): void {
  if (r.code !== 0 && r.code !== 3) throw new Error(`exit ${r.code}: ${r.stderr.slice(-2000)}`);
}

describe('kbench run --repeat', () => {
  const out = path.join(tmp, 'fresh');
  const one = path.join(tmp, 'one-sim');
  let fresh: CliResult;
  let same: CliResult;
  beforeAll(async () => {
    fresh = await kbench(['run', WORKLOAD, '--sim', '--repeat', '2', '--out', out], { timeoutMs: 280_000 });
    same = await kbench(['run', WORKLOAD, '--sim', '--repeat', '2', '--one-sim', '--out', one], { timeoutMs: 280_000 });
  }, 600_000);

  it('writes a series folder: run-1, run-2, series.json naming them, each manifest with its place in the series', () => {
    ranOk(fresh);
    const s = json<SeriesFile>(out, 'series.json');
    expect(s).toMatchObject({ formatVersion: 1, kind: 'series', workload: { name: 'series' }, runs: ['run-1', 'run-2'] });
    expect(s.id).toMatch(/^series-/);
    const m = [1, 2].map((i) => json<Manifest>(out, `run-${i}`, 'manifest.json'));
    expect(m.map((x) => x.series)).toEqual([{ id: s.id, index: 1, of: 2 }, { id: s.id, index: 2, of: 2 }]);
    expect(m[0]!.workload.sha256).toBe(s.workload.sha256);
    // Fresh namespaces (a run id each) on a fresh sim each time (another port).
    expect(m[0]!.runId).not.toBe(m[1]!.runId);
    expect(m[0]!.target.server).not.toBe(m[1]!.target.server);
    expect(fresh.stdout).toMatch(/run 1 of 2 -> .*run-1/);
    expect(fresh.stdout).toMatch(/series series-\S+: 2 of 2 runs complete; pod startup p50 over the runs: median \d+ ms/);
  });

  it('writes the series summary (every measurement per run, their spread) and a series report', () => {
    const sum = json<SeriesSummary>(out, 'series-summary.json');
    expect(sum.status).toBe('complete');
    expect(sum.runs.map((r) => r.folder)).toEqual(['run-1', 'run-2']);
    const p50 = sum.measurements.find((x) => x.id === 'pods.pod_startup.p50')!;
    expect(p50.values).toHaveLength(2);
    expect(p50.values.every((v) => typeof v === 'number' && v > 0)).toBe(true);
    expect(p50.min).toBeLessThanOrEqual(p50.median);
    expect(readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('Runs of the series');
  });

  it('--one-sim runs every repeat on one sim, deleting each run\'s namespaces', () => {
    ranOk(same);
    const m = [1, 2].map((i) => json<Manifest>(one, `run-${i}`, 'manifest.json'));
    expect(m[0]!.target.server).toBe(m[1]!.target.server);
    expect(m.map((x) => x.cleanup?.action)).toEqual(['delete', 'delete']);
  });

  it('the history stores the series as one series of two runs', async () => {
    const r = await kbench(['history', 'add', out, '--db', path.join(tmp, 'h.db')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const list = await kbench(['history', 'list', '--db', path.join(tmp, 'h.db'), '--format', 'json']);
    const runs = JSON.parse(list.stdout) as { runs?: { seriesId?: string }[] } | { seriesId?: string }[];
    const rows = Array.isArray(runs) ? runs : (runs.runs ?? []);
    expect(rows).toHaveLength(2);
    expect(new Set(rows.map((x) => x.seriesId)).size).toBe(1);
  });

  it('refuses bad repeat flags as bad input, before anything runs', async () => {
    const zero = await kbench(['run', WORKLOAD, '--sim', '--repeat', '0', '--out', path.join(tmp, 'zero')]);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/--repeat 0: expected a whole number of runs from 1 to 1000/);
    expect(existsSync(path.join(tmp, 'zero'))).toBe(false);
    const noSim = await kbench(['run', WORKLOAD, '--repeat', '2', '--one-sim', '--out', path.join(tmp, 'nosim')]);
    expect(noSim.code).toBe(2);
    expect(noSim.stderr).toMatch(/--one-sim .* needs --sim/);
    const noRepeat = await kbench(['run', WORKLOAD, '--sim', '--one-sim', '--out', path.join(tmp, 'norepeat')]);
    expect(noRepeat.code).toBe(2);
  });
});

describe('kbench ab', () => {
  const out = path.join(tmp, 'ab');
  let res: CliResult;
  beforeAll(async () => {
    res = await kbench(['ab', WORKLOAD, '--a', 'sim.podStartupDelay=100ms', '--b', 'sim.podStartupDelay=400ms', '--repeat', '1', '--out', out], { timeoutMs: 280_000 });
  }, 300_000);

  it('runs A then B into one folder: two series, ab.json with the order, the comparison and its report', () => {
    ranOk(res);
    const ab = json<AbFile>(out, 'ab.json');
    expect(ab).toMatchObject({ kind: 'ab', a: { dir: 'a', set: ['sim.podStartupDelay=100ms'] }, b: { dir: 'b', set: ['sim.podStartupDelay=400ms'] }, order: ['a/run-1', 'b/run-1'] });
    expect(json<SeriesFile>(out, 'a', 'series.json').runs).toEqual(['run-1']);
    const mb = json<Manifest>(out, 'b', 'run-1', 'manifest.json');
    expect((mb.workload.resolved.sim as Record<string, unknown>).podStartupDelay).toBe('400ms');
    expect(readFileSync(path.join(out, 'comparison.md'), 'utf8')).toMatch(/runs against runs/);
    expect(existsSync(path.join(out, 'report.html'))).toBe(true);
    // One run a side: nothing can be decided, and the output says so.
    expect(res.stdout).toMatch(/A has 1 complete run: a verdict on runs needs at least 4 a side/);
  });

  it('refuses a cluster it cannot reconfigure, and a call without --a or --b', async () => {
    const kc = await kbench(['ab', WORKLOAD, '--a', 'sim.nodes=5', '--kubeconfig', '/nonexistent', '--out', path.join(tmp, 'ab-kc')]);
    expect(kc.code).toBe(2);
    expect(kc.stderr).toMatch(/cannot reconfigure/);
    const none = await kbench(['ab', WORKLOAD, '--out', path.join(tmp, 'ab-none')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/needs what differs/);
  });
});
