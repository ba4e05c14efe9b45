import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderInChromium } from '../helpers/browser.js';
import { kbench } from '../helpers/cli.js';
import { writeSyntheticResult } from '../helpers/synthetic-result.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BASELINE = path.join(ROOT, 'results/baseline/smoke');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'kbench-report-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const TIME_CHARTS = ['chart-pods', 'chart-pending', 'chart-etcd', 'chart-api', 'chart-harness'];

describe('kbench report, rendered in headless Chromium with the network cut off', () => {
  it('draws every chart of a real run, A and B overlaid, with no script error and no outside request', async () => {
    const out = path.join(tmp, 'compare.html');
    const res = await kbench(['report', BASELINE, '--compare', BASELINE, '--out', out]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
    const shot = process.env.KBENCH_REPORT_SCREENSHOT;
    const page = await renderInChromium(out, shot);
    expect(page.errors).toEqual([]);
    expect(page.requests).toEqual([]);
    expect(page.rendered).toBe(true);
    // The committed baseline (2026-11-22) predates kbench's API Priority and Fairness readings:
    // its three APF charts say so, and nothing else is missing.
    expect(page.missingNotes).toEqual(Array(3).fill('this result set has no API Priority and Fairness readings'));
    for (const id of TIME_CHARTS) {
      const c = page.canvases.find((x) => x.id === id);
      expect(c, id).toBeDefined();
      expect(c!.inkedPixels, id).toBeGreaterThan(2000);
    }
    // One CDF per pod startup phase the run measured.
    const phases = Object.keys((JSON.parse(readFileSync(path.join(BASELINE, 'summary.json'), 'utf8')) as { pods: { phases: object } }).pods.phases);
    const cdfs = page.canvases.filter((c) => c.id === 'chart-cdf');
    expect(cdfs).toHaveLength(phases.length);
    for (const c of cdfs) expect(c.inkedPixels).toBeGreaterThan(1000);
    expect(page.text).toMatch(/Comparison/);
    expect(page.text).toMatch(/\d+ unchanged/);
    expect(page.text).toMatch(/SLO verdicts/);
  });

  it('explains in place of a chart what a run did not measure', async () => {
    const dir = writeSyntheticResult(path.join(tmp, 'bare'), { pods: 200, seed: 1 });
    const res = await kbench(['report', dir]);
    expect(res.code).toBe(0);
    const file = path.join(dir, 'report.html');
    expect(existsSync(file)).toBe(true);
    const page = await renderInChromium(file);
    expect(page.errors).toEqual([]);
    expect(page.rendered).toBe(true);
    expect(page.missingNotes.join('\n')).toMatch(/scheduler_pending_pods was not measured: collectors were off/);
    expect(page.canvases.filter((c) => c.id === 'chart-cdf')[0]!.inkedPixels).toBeGreaterThan(1000);
    expect(page.canvases.find((c) => c.id === 'chart-api')!.inkedPixels).toBeGreaterThan(1000);
  });

  it('refuses a folder that is not a result set, writing nothing', async () => {
    const res = await kbench(['report', path.join(tmp, 'missing')]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/missing is not a folder/);
  });
});
