import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { marked, type Tokens } from 'marked';
import { afterAll, describe, expect, it } from 'vitest';
import { compareResults, DEFAULT_SETTINGS, type Row } from '../../src/compare/compare.js';
import { fromSamples } from '../../src/compare/distribution.js';
import { ResultFolder } from '../../src/results/reader.js';
import { quantileDifferenceInterval } from '../../src/compare/significance.js';
import { kbench } from '../helpers/cli.js';
import { writeSyntheticResult } from '../helpers/synthetic-result.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BASELINE = path.join(ROOT, 'results/baseline/smoke');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'kbench-compare-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const base = writeSyntheticResult(path.join(tmp, 'base'), { pods: 600, seed: 1 });
const rerun = writeSyntheticResult(path.join(tmp, 'rerun'), { pods: 600, seed: 2 });
const slower = writeSyntheticResult(path.join(tmp, 'slower'), { pods: 600, seed: 3, scale: 2 });
const few = writeSyntheticResult(path.join(tmp, 'few'), { pods: 3, seed: 4, scale: 2 });
const fewBase = writeSyntheticResult(path.join(tmp, 'few-base'), { pods: 3, seed: 5 });
const other = writeSyntheticResult(path.join(tmp, 'other'), { pods: 600, seed: 6, workload: 'density' });
const moreLoad = writeSyntheticResult(path.join(tmp, 'more-load'), { pods: 900, seed: 7 });
const plus2ms = writeSyntheticResult(path.join(tmp, 'plus2ms'), { pods: 600, seed: 1, apiMs: 5, apiShiftMs: 2 });
const fiveMs = writeSyntheticResult(path.join(tmp, 'five-ms'), { pods: 600, seed: 1, apiMs: 5 });

function rows(a: string, b: string): Row[] {
  return compareResults(ResultFolder.open(a), ResultFolder.open(b), DEFAULT_SETTINGS);
}

function row(rs: Row[], id: string): Row {
  const r = rs.find((x) => x.id === id);
  if (!r) throw new Error(`no row ${id} in ${rs.map((x) => x.id).join(', ')}`);
  return r;
}

describe('kbench compare', () => {
  it('finds a real result set unchanged against itself, every measurement, and exits 0 with --fail-on-regression', async () => {
    const res = await kbench(['compare', BASELINE, BASELINE, '--format', 'json', '--fail-on-regression']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout) as { rows: Row[]; counts: Record<string, number>; warnings: string[] };
    // Pod phases, API keys, errors, throughput and the server side all present.
    for (const g of ['pods', 'api', 'errors', 'throughput', 'server']) expect(out.rows.some((r) => r.group === g)).toBe(true);
    expect(out.rows.filter((r) => r.verdict !== 'unchanged')).toEqual([]);
    expect(out.counts.unchanged).toBe(out.rows.length);
    expect(out.warnings).toEqual([]);
  });

  it('reports a pod startup twice as slow as regressed, with the interval, and exits 3 only with --fail-on-regression', async () => {
    const rs = rows(base, slower);
    for (const q of ['p50', 'p90', 'p99']) {
      const r = row(rs, `pods.pod_startup.${q}`);
      expect(r.verdict).toBe('regressed');
      expect(r.changePct!).toBeGreaterThan(70);
      expect(r.test.interval!.low).toBeGreaterThan(0);
    }
    const plain = await kbench(['compare', base, slower]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/pod startup p99 .* regressed/);
    const failing = await kbench(['compare', base, slower, '--fail-on-regression']);
    expect(failing.code).toBe(3);
    // The other way round it is an improvement, not a regression.
    expect(row(rows(slower, base), 'pods.pod_startup.p50').verdict).toBe('improved');
  });

  it('calls a rerun of the same distribution unchanged, not regressed', () => {
    const rs = rows(base, rerun);
    expect(rs.filter((r) => r.verdict === 'regressed' || r.verdict === 'improved')).toEqual([]);
  });

  it('says inconclusive with only 3 samples, even for a 2x change', () => {
    const rs = rows(fewBase, few);
    const r = row(rs, 'pods.pod_startup.p50');
    expect(r.verdict).toBe('inconclusive');
    expect(r.evidence).toMatch(/3 vs 3 samples/);
  });

  it('does not call a 2 ms change in a 5 ms latency a regression', () => {
    const r = row(rows(fiveMs, plus2ms), 'api.POST pods resource.p50');
    expect(r.changePct!).toBeGreaterThan(30);
    expect(r.verdict).toBe('unchanged');
    expect(r.evidence).toMatch(/noise floor/);
  });

  it('judges the pending-queue max against --noise-floor-pods (default 25)', async () => {
    const busier = path.join(tmp, 'busier-queue');
    cpSync(BASELINE, busier, { recursive: true });
    const summaryFile = path.join(busier, 'summary.json');
    const summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
    expect(summary.collectors.run.scheduler.pendingMax.total).toBe(5);
    summary.collectors.run.scheduler.pendingMax.total = 40;
    writeFileSync(summaryFile, JSON.stringify(summary));
    const pending = (out: string): Row => (JSON.parse(out) as { rows: Row[] }).rows.find((r) => r.id === 'server.scheduler_pending.max')!;
    const byDefault = await kbench(['compare', BASELINE, busier, '--format', 'json']);
    expect(pending(byDefault.stdout)).toMatchObject({ a: 5, b: 40, verdict: 'regressed' });
    const wide = await kbench(['compare', BASELINE, busier, '--format', 'json', '--noise-floor-pods', '100']);
    expect(pending(wide.stdout)).toMatchObject({ verdict: 'unchanged', evidence: 'change within the noise floor (100)' });
    const bad = await kbench(['compare', BASELINE, busier, '--noise-floor-pods', '-1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--noise-floor-pods -1');
  });

  it('refuses result sets of different workloads unless --force, and warns about the difference then', async () => {
    const refused = await kbench(['compare', base, other]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/cannot compare .* A ran workload "synthetic" and B ran "density".*--force/s);
    expect(refused.stdout).toBe('');
    const differentLoad = await kbench(['compare', base, moreLoad]);
    expect(differentLoad.code).toBe(2);
    expect(differentLoad.stderr).toMatch(/different load \(`phases` differ/);
    const forced = await kbench(['compare', base, other, '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/warning: compared with --force/);
  });

  it('names what is wrong with a folder that is not a result set, and exits 2', async () => {
    const res = await kbench(['compare', path.join(tmp, 'nope'), base]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/A: .*nope is not a folder/);
    const killed = path.join(tmp, 'killed');
    writeSyntheticResult(killed, { pods: 10, seed: 9 });
    rmSync(path.join(killed, 'summary.json'));
    writeFileSync(path.join(killed, 'manifest.json'), JSON.stringify({ status: 'running' }));
    const res2 = await kbench(['compare', base, killed]);
    expect(res2.code).toBe(2);
    expect(res2.stderr).toMatch(/B: .*killed before it finished/);
    const badFlag = await kbench(['compare', base, rerun, '--threshold', 'latency=5']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/no group "latency"; groups: pods, api, errors, throughput, server/);
  });

  it('writes markdown that parses as GitHub tables with every row complete', async () => {
    const res = await kbench(['compare', base, slower, '--format', 'markdown']);
    expect(res.code).toBe(0);
    const tokens = marked.lexer(res.stdout, { gfm: true });
    const tables = tokens.filter((t): t is Tokens.Table => t.type === 'table');
    expect(tables.length).toBeGreaterThanOrEqual(3);
    const metricTables = tables.filter((t) => t.header[0]?.text === 'metric');
    expect(metricTables.length).toBeGreaterThanOrEqual(2);
    for (const t of metricTables) {
      expect(t.header.map((h) => h.text)).toEqual(['metric', 'A', 'B', 'change', 'verdict', 'evidence']);
      for (const r of t.rows) expect(r).toHaveLength(6);
    }
    const startup = metricTables.flatMap((t) => t.rows).find((r) => r[0]!.text === 'pod startup p99')!;
    expect(startup[4]!.text).toBe('**regressed**');
    expect(res.stdout).toMatch(/^### kbench compare: synthetic$/m);
    expect(res.stdout).toMatch(/\*\*\d+ regressed\*\*/);
  });
});

describe('kbench run --baseline', () => {
  it('refuses a baseline of another workload, and --fail-on-regression without a baseline, before starting anything', async () => {
    const out = path.join(tmp, 'never');
    const other = await kbench(['run', path.join(ROOT, 'workloads/smoke.yaml'), '--sim', '--baseline', base, '--out', out]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/--baseline .*base: A ran workload "synthetic" and B ran "smoke"\. A baseline must be a run of the same workload/);
    const alone = await kbench(['run', path.join(ROOT, 'workloads/smoke.yaml'), '--sim', '--fail-on-regression', '--out', out]);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/--fail-on-regression needs --baseline/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('the bootstrap interval of a quantile difference', () => {
  it('covers the true shift and excludes zero for a real one; includes zero for none', () => {
    const a = fromSamples(Array.from({ length: 2000 }, (_, i) => 100 + (i % 100)));
    const b = fromSamples(Array.from({ length: 2000 }, (_, i) => 130 + (i % 100)));
    const shifted = quantileDifferenceInterval(a, b, 0.5);
    expect(shifted.low).toBeLessThanOrEqual(30);
    expect(shifted.high).toBeGreaterThanOrEqual(30);
    expect(shifted.low).toBeGreaterThan(0);
    const same = quantileDifferenceInterval(a, a, 0.99);
    expect(same.low).toBeLessThanOrEqual(0);
    expect(same.high).toBeGreaterThanOrEqual(0);
    // Seeded: the same inputs give the same interval.
    expect(quantileDifferenceInterval(a, b, 0.5)).toEqual(shifted);
  });
});
