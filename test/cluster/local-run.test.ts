import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, kbench } from '../helpers/cli.js';
import { buildComponents, ClusterUp, realComponentsGate, Sandbox } from './real-components.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const gate = realComponentsGate('test/cluster/local-run.test.ts');

interface Verdict {
  id: string;
  side: string;
  verdict: string;
  reason?: string;
}

/** Every file of a result set as text, to look for secrets. */
function allText(dir: string): string {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(path.join(e.parentPath, e.name), 'utf8'))
    .join('\n');
}

describe.runIf(gate !== 'skip')('kbench on a real control plane', () => {
  const box = new Sandbox();
  let res: CliResult;
  let out: string;
  let summary: { slo: Verdict[]; collectors: Record<string, any>; pods: Record<string, number> };

  beforeAll(async () => {
    if (gate === 'fail') throw new Error('Go is missing: in CI the real control-plane tests must run (install Go 1.26+; see README)');
    await buildComponents();
    out = path.join(box.root, 'smoke');
    res = await kbench(['run', path.join(ROOT, 'workloads/smoke.yaml'), '--local-cluster', '--out', out], { env: box.env, timeoutMs: 600_000 });
    summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
  }, 90 * 60_000);

  afterAll(async () => {
    await box.destroy();
  }, 180_000);

  it('run --local-cluster runs the smoke workload to the end and stops the cluster', () => {
    expect(res.stderr).toMatch(/target: a local control plane \(--local-cluster\), 20 kwok nodes; nodes=20 -> kwok fake nodes; podStartupDelay=800ms -> kwok's pod-ready stage delay/);
    expect(res.stderr).toMatch(/target: local control plane https:\/\/127\.0\.0\.1:\d+ \(v1\.37\.2, 20 nodes\)/);
    const failed = summary.slo.filter((v) => v.verdict === 'fail').length;
    expect(res.code, res.stderr.slice(-3000)).toBe(failed > 0 ? 3 : 0);
    expect(summary.pods).toMatchObject({ expected: 300, seen: 300, running: 300, deleted: 300 });
    expect(box.processes()).toEqual([]);
    expect(readdirSync(box.tmp)).toEqual([]);
  });

  it('every SLO verdict has a value: the collectors read the real apiserver, scheduler and etcd', () => {
    const unavailable = summary.slo.filter((v) => v.verdict === 'unavailable');
    expect(unavailable, JSON.stringify(unavailable)).toEqual([]);
    const sources = summary.collectors.sources as { name: string; component: string; scrapes: number; failures: number }[];
    expect(sources.map((s) => s.component).sort()).toEqual(['apiserver', 'controller-manager', 'etcd', 'scheduler']);
    for (const s of sources) expect(s.failures, s.name).toBe(0);
    const run = summary.collectors.run;
    expect(run.apiserver.latency.histogram).toBe('apiserver_request_sli_duration_seconds');
    expect(run.etcd.walFsync.count).toBeGreaterThan(0);
    expect(run.etcd.backendCommit.count).toBeGreaterThan(0);
    expect(run.scheduler.binds).toBeGreaterThanOrEqual(300);
    expect(run.scheduler.pendingMax.total).toBeGreaterThanOrEqual(0);
  });

  it("records API Priority and Fairness per priority level: kbench's own traffic in global-default", () => {
    const levels = summary.collectors.run.apiserver.flowControl.levels as { priorityLevel: string; dispatched: number; waitMs: { count: number } }[];
    const apf = Object.fromEntries(levels.map((l) => [l.priorityLevel, l]));
    expect(Object.keys(apf)).toEqual(expect.arrayContaining(['exempt', 'global-default', 'leader-election', 'node-high', 'system', 'workload-high']));
    // kbench-admin is bound to cluster-admin, not in system:masters: its calls are classified, not exempt.
    expect(apf['global-default']!.dispatched).toBeGreaterThan(300);
    expect(apf['global-default']!.waitMs.count).toBeGreaterThan(300);
    const rows = parse(readFileSync(path.join(out, 'apf-timeseries.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(new Set(rows.map((r) => r.priority_level)).has('global-default')).toBe(true);
    expect(rows.some((r) => r.priority_level === 'global-default' && Number(r.dispatched_per_s) > 0)).toBe(true);
    const html = readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html).toContain('API Priority and Fairness, per priority level');
    expect(html).toMatch(/<td>global-default<\/td><td class="num">\d+<\/td>/);
  });

  it('the manifest names the real components and how each sim: setting was applied, and no secret', () => {
    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(m.target).toMatchObject({ kind: 'local-cluster', serverVersion: 'v1.37.2', nodes: 20, note: '--local-cluster' });
    expect(m.target.sim.versions).toEqual({ kubernetes: 'v1.37.2', etcd: 'v3.7.0', kwok: 'v0.8.0' });
    expect(m.target.sim.settings).toContainEqual({ key: 'schedulerQps', value: 200, real: 'kube-scheduler --kube-api-qps: KubeSchedulerConfiguration clientConnection.qps (the flag is ignored with --config)' });
    expect(allText(out)).not.toMatch(/BEGIN (CERTIFICATE|PRIVATE KEY)|client-key-data|eyJhbGciOi/);
  });

  it('collect and compare work on a cluster started by `kbench cluster up`', async () => {
    const kubeconfig = path.join(box.root, 'kubeconfig');
    const up = new ClusterUp(['--nodes', '5', '--kubeconfig-out', kubeconfig], box.env);
    try {
      await up.ready;
      const dir = path.join(box.root, 'collect');
      const c = await kbench(['collect', '--kubeconfig', kubeconfig, '--duration', '3s', '--out', dir], { env: box.env, timeoutMs: 120_000 });
      expect(c.stderr).toMatch(/metrics: scraping apiserver .*scheduler \(https:\/\/127\.0\.0\.1:\d+\/metrics\).*controller-manager.*etcd \(http:\/\/127\.0\.0\.1:\d+\/metrics\)/);
      const s = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as { slo: Verdict[]; collectors: Record<string, any> };
      // Nothing was loaded: pod startup has no samples; the server side is all measured.
      const server = s.slo.filter((v) => v.side === 'server');
      expect(server.length).toBeGreaterThanOrEqual(4);
      expect(server.filter((v) => v.verdict === 'unavailable'), JSON.stringify(server)).toEqual([]);
      expect(JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')).target).toMatchObject({ kind: 'local-cluster', sim: { startedBy: 'kbench cluster up, separately' } });
      const cmp = await kbench(['compare', out, out, '--format', 'json']);
      expect(cmp.code, cmp.stderr).toBe(0);
      expect((JSON.parse(cmp.stdout) as { rows: unknown[] }).rows.length).toBeGreaterThan(20);
    } finally {
      await up.kill();
    }
    expect(existsSync(kubeconfig)).toBe(false);
  });
});
