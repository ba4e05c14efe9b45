import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../src/compare/settings.js';
import { compareSeries, type SeriesRow } from '../../src/compare/series-compare.js';
import { ResultFolder } from '../../src/results/reader.js';
import { compareSeriesFolders } from '../../src/cli/compare.js';
import type { CompareFlags } from '../../src/cli/flags.js';
import { openRunOrSeries } from '../../src/results/series.js';
import { kbench } from '../helpers/cli.js';
import { writeSyntheticResult } from '../helpers/synthetic-result.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kbench-series-compare-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A series folder of synthetic runs: `scales` one per run (each run's pods log-normal around 2 s times its scale). */
function series(name: string, seed: number, scales: number[]): string {
  const dir = path.join(tmp, name);
  scales.forEach((scale, i) => writeSyntheticResult(path.join(dir, `run-${i + 1}`), { pods: 400, seed: seed + i, scale }));
  writeFileSync(path.join(dir, 'series.json'), JSON.stringify({ formatVersion: 1, kind: 'series', id: name, workload: { name: 'synthetic', sha256: 'f'.repeat(64) }, runs: scales.map((_, i) => `run-${i + 1}`) }));
  return dir;
}

// Between-run spread of a few percent, as on a quiet machine.
const A = series('a', 1, [1.0, 1.04, 0.97, 1.02, 0.99]);
const A2 = series('a2', 11, [1.01, 0.98, 1.03, 0.96, 1.0]);
const SLOWER = series('slower', 21, [1.3, 1.27, 1.33, 1.29, 1.31]);
// Wide spread: the same +30% is not tellable from noise with 4 runs.
const NOISY = series('noisy', 31, [0.7, 1.4, 1.0, 0.8]);
const NOISY_SLOWER = series('noisy-slower', 41, [1.6, 0.9, 1.5, 1.2]);
const THREE = series('three', 51, [1.0, 1.02, 0.98]);

function open(dir: string, n: number): ResultFolder[] {
  return Array.from({ length: n }, (_, i) => ResultFolder.open(path.join(dir, `run-${i + 1}`)));
}

function row(rows: SeriesRow[], id: string): SeriesRow {
  const r = rows.find((x) => x.id === id);
  if (!r) throw new Error(`no row ${id}`);
  return r;
}

describe('series against series', () => {
  it('finds nothing between two series of the same thing', () => {
    const rows = compareSeries(open(A, 5), open(A2, 5), DEFAULT_SETTINGS);
    expect(rows.filter((r) => r.verdict === 'regressed' || r.verdict === 'improved')).toEqual([]);
    const p50 = row(rows, 'pods.pod_startup.p50');
    expect(p50.series.a).toHaveLength(5);
    expect(p50.test.method).toBe('runs-rank-sum');
    expect(p50.verdict).toBe('unchanged');
  });

  it('finds a 30% slower series regressed, with its interval and spread', () => {
    const p50 = row(compareSeries(open(A, 5), open(SLOWER, 5), DEFAULT_SETTINGS), 'pods.pod_startup.p50');
    expect(p50.verdict).toBe('regressed');
    expect(p50.changePct!).toBeGreaterThan(20);
    expect(p50.series.confidence!).toBeGreaterThanOrEqual(0.95);
    expect(p50.test.interval!.low).toBeGreaterThan(0.1 * p50.a);
    expect(p50.evidence).toMatch(/97% interval of the shift .*runs 5 vs 5, spread ±\d+% vs ±\d+%/);
    // The other way round it is an improvement.
    expect(row(compareSeries(open(SLOWER, 5), open(A, 5), DEFAULT_SETTINGS), 'pods.pod_startup.p50').verdict).toBe('improved');
  });

  it('says inconclusive when the spread is too wide for the runs, and how many runs would decide', () => {
    const p50 = row(compareSeries(open(NOISY, 4), open(NOISY_SLOWER, 4), DEFAULT_SETTINGS), 'pods.pod_startup.p50');
    expect(p50.verdict).toBe('inconclusive');
    expect(p50.series.runsToDecide!).toBeGreaterThan(4);
    expect(p50.evidence).toMatch(new RegExp(`about ${p50.series.runsToDecide} runs a side would decide`));
  });

  it('warns of too few runs only when the two sides cannot give a 95% interval (3 against 5 can, as npm run regression compares; 3 against 3 cannot)', () => {
    const flags: CompareFlags = { threshold: [], failOnRegression: false, noiseFloorMs: DEFAULT_SETTINGS.noiseFloorMs, noiseFloorPods: DEFAULT_SETTINGS.noiseFloorPods, minSamples: DEFAULT_SETTINGS.minSamples, force: false };
    const fewWarning = /complete runs?: a verdict on runs needs at least 4 a side/;
    const threeFive = compareSeriesFolders(openRunOrSeries(A), openRunOrSeries(THREE), { a: A, b: THREE }, flags);
    expect(threeFive.warnings.filter((w) => fewWarning.test(w))).toEqual([]);
    expect(row(threeFive.rows, 'pods.pod_startup.p50').test?.interval).toBeDefined();
    const threeThree = compareSeriesFolders(openRunOrSeries(THREE), openRunOrSeries(THREE), { a: THREE, b: THREE }, flags);
    expect(threeThree.warnings.filter((w) => fewWarning.test(w))).toHaveLength(2);
  });

  it('says inconclusive for one run against a series: no 95% interval exists for 1 against 5', () => {
    const p50 = row(compareSeries(open(A, 1), open(SLOWER, 5), DEFAULT_SETTINGS), 'pods.pod_startup.p50');
    expect(p50.verdict).toBe('inconclusive');
    expect(p50.evidence).toMatch(/too few runs for a 95% interval/);
  });

  it('kbench compare takes series folders, prints each side as runs, and fails on a regression with --fail-on-regression', async () => {
    const same = await kbench(['compare', A, A2, '--fail-on-regression']);
    expect(same.stderr).toBe('');
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/series of 5 complete runs/);
    const slower = await kbench(['compare', A, SLOWER, '--fail-on-regression', '--format', 'json']);
    expect(slower.code).toBe(3);
    const out = JSON.parse(slower.stdout) as { kind: string; rows: SeriesRow[] };
    expect(out.kind).toBe('series');
    expect(out.rows.find((r) => r.id === 'pods.pod_startup.p50')!.verdict).toBe('regressed');
    // A single run against a series: compared as a series of one, with the warning.
    const one = await kbench(['compare', path.join(A, 'run-1'), SLOWER, '--format', 'markdown']);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/A has 1 complete run: a verdict on runs needs at least 4 a side/);
  });

  it('kbench report of a series writes one page: every run\'s values, the typical run\'s charts', async () => {
    const out = path.join(tmp, 'series-report.html');
    const r = await kbench(['report', SLOWER, '--compare', A, '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const html = (await import('node:fs')).readFileSync(out, 'utf8');
    expect(html).toContain('Runs of the series');
    expect(html).toMatch(/the charts show run-\d \(\*\)/);
    expect(html).toContain('Comparison');
  });

  it('refuses a damaged series.json as bad input (exit 2)', async () => {
    const dir = path.join(tmp, 'damaged');
    (await import('node:fs')).mkdirSync(dir);
    writeFileSync(path.join(dir, 'series.json'), JSON.stringify({ formatVersion: 1, kind: 'series', workload: { name: 'x' }, runs: [] }));
    const r = await kbench(['compare', dir, A]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/series\.json: workload needs a name and a sha256/);
  });
});
