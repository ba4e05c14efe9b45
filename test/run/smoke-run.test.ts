import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeHistogram } from '../../src/measure/stats.js';
import { kbench, type CliResult } from '../helpers/cli.js';

const ROOT = new URL('../..', import.meta.url).pathname;

describe('kbench run workloads/smoke.yaml on the sim, end to end', () => {
  let dir: string;
  let out: string;
  let res: CliResult;
  let summary: any;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kbench-smoke-'));
    out = path.join(dir, 'result');
    // Against the committed baseline: the comparison and the report come with the run.
    res = await kbench(['run', path.join(ROOT, 'workloads/smoke.yaml'), '--sim', '--out', out, '--baseline', path.join(ROOT, 'results/baseline/smoke')], { timeoutMs: 280_000 });
    summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
  }, 300_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('completes and prints the verdict table; the exit code follows the verdicts', () => {
    expect(res.stderr).toMatch(/phase 1\/9 deployments \(create\) started/);
    expect(res.stdout).toMatch(/SLO verdicts \(300 pods tracked/);
    expect(res.stdout).toMatch(/verdict\s+side\s+slo\s+value\s+threshold/);
    const failed = summary.slo.filter((v: { verdict: string }) => v.verdict === 'fail').length;
    // A slow machine may miss an SLO: then the exit code says so (3), never anything else.
    expect(res.code).toBe(failed > 0 ? 3 : 0);
  });

  it('compares the run with the baseline and writes the comparison and the HTML report into the result set', () => {
    expect(res.stdout).toMatch(/Compared with the baseline .*results\/baseline\/smoke/);
    expect(res.stdout).toMatch(/pod startup p99 /);
    expect(readFileSync(path.join(out, 'comparison.md'), 'utf8')).toMatch(/^### kbench compare: smoke$/m);
    const json = JSON.parse(readFileSync(path.join(out, 'comparison.json'), 'utf8'));
    expect(json.rows.length).toBeGreaterThan(20);
    expect(json.a.dir).toMatch(/results\/baseline\/smoke$/);
    const html = readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html).toMatch(/<title>kbench report: smoke/);
    expect(res.stdout).toMatch(/report: .*report\.html/);
  });

  it('writes a complete manifest', () => {
    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(m.status).toBe('complete');
    expect(m.workload).toMatchObject({ name: 'smoke', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(m.workload.resolved.phases).toHaveLength(9);
    expect(m.target).toMatchObject({ kind: 'sim', serverVersion: 'v1.32.0-kbench-sim', nodes: 20, note: '--sim' });
    expect(m.target.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(m.seed).toBe(1);
    expect(m.runId).toMatch(/^\d{8}t\d{6}-[0-9a-f]{6}$/);
    // No credential in the result set.
    const all = readdirSync(out).filter((f) => f.endsWith('.json')).map((f) => readFileSync(path.join(out, f), 'utf8')).join('\n');
    expect(all).not.toMatch(/token|BEGIN CERTIFICATE|certificate-authority-data/i);
  });

  it('tracks every pod once, with phases that are ordered and never negative', () => {
    const rows = parse(readFileSync(path.join(out, 'pods.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(300);
    expect(new Set(rows.map((r) => r.uid)).size).toBe(300);
    expect(summary.pods).toMatchObject({ expected: 300, seen: 300, scheduled: 300, running: 300, deleted: 300 });
    for (const r of rows) {
      for (const k of ['create_to_schedule_ms', 'schedule_to_run_ms', 'pod_startup_ms', 'create_to_ready_ms']) expect(Number(r[k])).toBeGreaterThanOrEqual(0);
      expect(Date.parse(r.running_seen!)).toBeGreaterThanOrEqual(Date.parse(r.scheduled_seen!));
      expect(Date.parse(r.scheduled_seen!)).toBeGreaterThanOrEqual(Date.parse(r.first_seen!));
    }
    // Bare pods carry kbench's own create time; Deployment pods the server's.
    expect(rows.filter((r) => r.phase === 'pods').every((r) => r.create_sent !== '')).toBe(true);
    expect(rows.filter((r) => r.phase === 'deployments')).toHaveLength(200);
    for (const [name, p] of Object.entries(summary.pods.phases) as [string, any][]) {
      expect(p.count, name).toBe(300);
      expect(p.min).toBeLessThanOrEqual(p.p50);
      expect(p.p50).toBeLessThanOrEqual(p.p90);
      expect(p.p90).toBeLessThanOrEqual(p.p99);
      expect(p.p99).toBeLessThanOrEqual(p.max);
      expect(p.unit).toBe('ms');
    }
  });

  it('records API latency per key, with percentiles, counts and HDR histograms that decode', () => {
    const api = parse(readFileSync(path.join(out, 'api.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    const post = api.find((r) => r.key === 'POST pods resource')!;
    expect(Number(post.count)).toBe(100);
    expect(Number(post.threshold_ms)).toBe(1000);
    expect(Number(post.p50_ms)).toBeLessThanOrEqual(Number(post.p99_ms));
    expect(api.map((r) => r.key)).toEqual(expect.arrayContaining(['LIST pods namespace', 'GET pods resource', 'PATCH deployments resource', 'PATCH deployments/scale resource', 'DELETE pods resource']));
    const index = JSON.parse(readFileSync(path.join(out, 'histograms/index.json'), 'utf8'));
    const entry = index.histograms.find((h: { key?: string }) => h.key === 'POST pods resource');
    const h = decodeHistogram(readFileSync(path.join(out, 'histograms', entry.file), 'utf8').trim());
    expect(h.totalCount).toBe(100);
  });

  it('writes the time series, junit and clusterloader2 perfdata', () => {
    const ts = parse(readFileSync(path.join(out, 'timeseries.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(ts.length).toBeGreaterThan(2);
    // Besides the rows each second, a row ends every phase with its exact state.
    const lastOf = (phase: string): Record<string, string> => ts.filter((r) => r.phase === phase).at(-1)!;
    expect(Number(lastOf('running').pods_running)).toBe(300);
    expect(Math.max(...ts.map((r) => Number(r.pods_running)))).toBe(300);
    expect(Number(lastOf('all-gone').pods_seen)).toBe(0);
    const elapsed = ts.map((r) => Number(r.elapsed_s));
    expect(elapsed).toEqual([...elapsed].sort((a, b) => a - b));
    expect(ts.some((r) => Number(r.requests_per_s) > 0)).toBe(true);
    // kbench's own memory each second, never above the peak the summary reports.
    const rss = ts.map((r) => Number(r.harness_rss_mib));
    expect(rss.every((v) => v > 20)).toBe(true);
    expect(Math.max(...rss)).toBeLessThanOrEqual(summary.harness.peakRssMiB + 1);
    const junit = readFileSync(path.join(out, 'junit.xml'), 'utf8');
    expect(junit).toMatch(new RegExp(`<testsuite name="kbench-smoke" tests="${summary.slo.length}"`));
    expect(junit).toContain('name="pod_startup_p99"');
    const perf = readdirSync(out).filter((f) => /^(PodStartupLatency|APIResponsiveness)_smoke_.*\.json$/.test(f));
    expect(perf).toHaveLength(2);
    const pod = JSON.parse(readFileSync(path.join(out, perf.find((f) => f.startsWith('PodStartup'))!), 'utf8'));
    expect(pod.dataItems.find((d: any) => d.labels.Metric === 'pod_startup').data).toMatchObject({ Perc50: expect.any(Number), Perc99: expect.any(Number) });
  });

  it('reports harness health and the rate-limiter wait apart from API latency', () => {
    expect(summary.harness).toMatchObject({ lagP99Ms: expect.any(Number), cpuMeanPct: expect.any(Number), bottleneck: expect.any(Boolean) });
    expect(summary.limiterWaitMs.count).toBeGreaterThan(0);
    expect(existsSync(path.join(out, 'histograms/limiter-wait.hdr'))).toBe(true);
  });
});
