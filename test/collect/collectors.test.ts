import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheusText } from '../../src/collect/prom-text.js';
import { kbench, type CliResult } from '../helpers/cli.js';
import { requireEtcd } from '../helpers/sim-fixture.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const FIXTURES = path.join(ROOT, 'test/fixtures/collect');

type Json = any;

function readResult(out: string): { summary: Json; series: Record<string, string>[] } {
  const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as Json;
  const series = parse(readFileSync(path.join(out, 'server-timeseries.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  return { summary, series };
}

function verdict(summary: Json, id: string): Json {
  const v = summary.slo.find((x: { id: string }) => x.id === id);
  expect(v, `verdict ${id}`).toBeDefined();
  return v;
}

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('collectors on the sim with etcd storage: a burst of pods', () => {
  let dir: string;
  let out: string;
  let res: CliResult;
  let summary: Json;
  let series: Record<string, string>[];

  beforeAll(async () => {
    requireEtcd();
    dir = mkdtempSync(path.join(os.tmpdir(), 'kbench-collect-'));
    out = path.join(dir, 'result');
    res = await kbench(['run', path.join(FIXTURES, 'burst.yaml'), '--sim', '--set', 'sim.storage=etcd', '--out', out], { timeoutMs: 280_000 });
    ({ summary, series } = readResult(out));
  }, 300_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('completes with the sim sources found from its discovery file', () => {
    expect(res.stderr).toMatch(/metrics: scraping apiserver .*scheduler \(https:\/\/127\.0\.0\.1:\d+\/metrics\), etcd \(http:\/\/127\.0\.0\.1:\d+\/metrics\); every 1 s/);
    expect(summary.status).toBe('complete');
    expect([0, 3]).toContain(res.code);
    const sources = summary.collectors.sources.map((s: Json) => [s.name, s.component, s.failures]);
    expect(sources).toEqual([
      ['apiserver', 'apiserver', 0],
      ['scheduler', 'scheduler', 0],
      ['etcd', 'etcd', 0],
    ]);
  });

  it('has WAL fsync and backend commit quantiles from the real etcd, run-long and per phase', () => {
    const etcd = summary.collectors.run.etcd;
    for (const h of [etcd.walFsync, etcd.backendCommit]) {
      // 300 pods, their bindings, status updates, events and deletions: hundreds of writes.
      expect(h.count).toBeGreaterThan(100);
      expect(h.p50Ms).toBeGreaterThan(0);
      expect(h.p50Ms).toBeLessThanOrEqual(h.p90Ms);
      expect(h.p90Ms).toBeLessThanOrEqual(h.p99Ms);
    }
    expect(etcd.dbSizeBytes.max).toBeGreaterThan(0);
    const burst = summary.collectors.phases.burst.etcd.walFsync;
    expect(burst.count).toBeGreaterThan(0);
    expect(burst.count).toBeLessThanOrEqual(etcd.walFsync.count);
    for (const id of ['etcd_wal_fsync_p99', 'etcd_backend_commit_p99']) {
      const v = verdict(summary, id);
      expect(v.side).toBe('server');
      expect(['pass', 'fail']).toContain(v.verdict);
      expect(typeof v.value).toBe('number');
    }
    expect(readdirSync(out)).toEqual(expect.arrayContaining([expect.stringMatching(/^EtcdMetrics_collect-burst_.*\.json$/)]));
  });

  it('records the pods that fit nowhere as pending while they wait, and 0 once room is freed', () => {
    const pending = (phase: string): number[] =>
      series.filter((r) => r.phase === phase && r.sched_pending_total !== '').map((r) => Number(r.sched_pending_total));
    // 5 nodes of 40 pods hold the 200 of `fill`; the 100 of `burst` wait Unschedulable.
    // Every row of the hold is at most the 100 that fit nowhere, and the scheduler has queued
    // them all before it ends (how soon within the hold depends on the machine's speed).
    const held = pending('hold');
    expect(held.length).toBeGreaterThanOrEqual(2);
    expect(held.every((v) => v <= 100)).toBe(true);
    expect(held[held.length - 1]).toBe(100);
    const quiet = pending('quiet');
    expect(quiet.length).toBeGreaterThan(0);
    expect(quiet.every((v) => v === 0)).toBe(true);
    expect(summary.collectors.run.scheduler.pendingMax.total).toBe(100);
    expect(summary.collectors.phases.hold.scheduler.pendingMax.total).toBe(100);
    // The SLO is a queue kept under 100: 100 waiting is a violation, and the run says so.
    const v = verdict(summary, 'scheduler_pending_max');
    expect(v).toMatchObject({ value: 100, verdict: 'fail' });
    expect(res.code).toBe(3);
    // Binds over the run: every pod was bound once, the 100 only after the room was freed.
    expect(summary.collectors.run.scheduler.binds).toBe(300);
    // The scheduler's counters are read once a second, so a phase's binds may be counted in a
    // neighbouring phase on a loaded machine; kbench's own watch says exactly when each pod
    // of the burst was seen bound: after the room was freed.
    const freeAt = summary.phases.find((p: Json) => p.name === 'free').startedAt as number;
    const pods = parse(readFileSync(path.join(out, 'pods.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    const burst = pods.filter((r) => r.phase === 'burst');
    expect(burst).toHaveLength(100);
    expect(burst.filter((r) => !(Date.parse(r.scheduled_seen!) >= freeAt))).toEqual([]);
  });

  it('has server-side API latency per key, the burst in its phase, and perfdata for it', () => {
    const keys = summary.collectors.run.apiserver.latency.keys as Json[];
    expect(summary.collectors.run.apiserver.latency.histogram).toBe('apiserver_request_sli_duration_seconds');
    const post = keys.find((k) => k.key === 'POST pods resource');
    expect(post.count).toBeGreaterThanOrEqual(300);
    expect(post.p99Ms).toBeGreaterThan(0);
    expect(post.thresholdMs).toBe(1000);
    expect(keys.find((k) => k.key === 'POST pods/binding resource').count).toBe(300);
    const burst = summary.collectors.phases.burst.apiserver.latency.keys.find((k: Json) => k.key === 'POST pods resource');
    expect(burst.count).toBeGreaterThanOrEqual(100);
    expect(burst.count).toBeLessThan(200);
    expect(summary.collectors.phases.quiet.apiserver.latency.keys.find((k: Json) => k.key === 'POST pods resource')).toBeUndefined();
    expect(verdict(summary, 'server_api_p99 mutating').description).toMatch(/worst of \d+: /);
    const junit = readFileSync(path.join(out, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<testcase classname="kbench.slo.server" name="etcd_wal_fsync_p99"/);
  });

  it('keeps the raw start and end scrapes of every source, and a series row per interval', () => {
    // A family each source has from its start (labelled families with no series yet are left
    // out, as client_golang does: the scheduler's attempt counters appear with the first pod).
    const always: Record<string, string> = { apiserver: 'apiserver_request_total', scheduler: 'scheduler_pending_pods', etcd: 'etcd_disk_wal_fsync_duration_seconds' };
    for (const source of ['apiserver', 'scheduler', 'etcd']) {
      for (const when of ['start', 'end']) {
        const file = path.join(out, 'metrics', `${source}-${when}.prom`);
        expect(existsSync(file), file).toBe(true);
        const parsed = parsePrometheusText(readFileSync(file, 'utf8'));
        expect(parsed.errors).toEqual([]);
        expect(parsed.families.has(always[source]!), `${always[source]} in ${file}`).toBe(true);
      }
      // The burst scheduled pods: by the end every source has more to say than at the start.
      const end = parsePrometheusText(readFileSync(path.join(out, 'metrics', `${source}-end.prom`), 'utf8'));
      expect(end.families.size, `${source}-end.prom`).toBeGreaterThan(3);
    }
    expect(readFileSync(path.join(out, 'metrics/etcd-end.prom'), 'utf8')).toMatch(/^etcd_disk_wal_fsync_duration_seconds_count \d+/m);
    const rows = series.filter((r) => r.phase === 'hold' || r.phase === 'running' || r.phase === 'quiet');
    expect(rows.length).toBeGreaterThan(3);
    // Rates and interval quantiles are present once there is a previous sample.
    expect(series.slice(1).some((r) => Number(r.api_requests_per_s) > 0)).toBe(true);
    expect(series.some((r) => r.etcd_wal_fsync_p99_ms !== '')).toBe(true);
  });
});

describe('collectors on the sim with memory storage', () => {
  let dir: string;
  let out: string;
  let res: CliResult;
  let summary: Json;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kbench-collect-mem-'));
    out = path.join(dir, 'result');
    res = await kbench(['run', path.join(FIXTURES, 'pod-proxy.yaml'), '--sim', '--out', out], { timeoutMs: 200_000 });
    ({ summary } = readResult(out));
  }, 220_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('says the etcd measurements are unavailable because storage is memory', () => {
    expect(summary.status).toBe('complete');
    expect(summary.collectors.run.etcd.walFsync).toEqual({ unavailable: 'storage is memory' });
    expect(summary.collectors.run.etcd.backendCommit).toEqual({ unavailable: 'storage is memory' });
    for (const id of ['etcd_wal_fsync_p99', 'etcd_backend_commit_p99']) {
      expect(verdict(summary, id)).toMatchObject({ verdict: 'unavailable', reason: 'storage is memory' });
      expect(verdict(summary, id).value).toBeUndefined();
    }
    expect(res.stdout).toMatch(/N\/A\s+server\s+etcd WAL fsync p99\s+unavailable \[1\]/);
    expect(res.stdout).toMatch(/^\[1\] storage is memory$/m);
  });

  it('reads the scheduler through the pod proxy, from the kube-scheduler Lease holder', () => {
    const src = summary.collectors.sources.find((s: Json) => s.name === 'scheduler-proxy');
    expect(src).toMatchObject({ type: 'pod-proxy', component: 'scheduler', where: 'kube-system/<holder of lease kube-scheduler>:10259', failures: 0 });
    expect(src.scrapes).toBeGreaterThan(2);
    // The listed source covers the scheduler: the sim's direct URL is not added.
    expect(summary.collectors.sources.map((s: Json) => s.name)).toEqual(['apiserver', 'scheduler-proxy']);
    expect(summary.collectors.run.scheduler.binds).toBe(20);
    expect(typeof summary.collectors.run.scheduler.pendingMax.total).toBe('number');
    expect(readFileSync(path.join(out, 'metrics/scheduler-proxy-end.prom'), 'utf8')).toMatch(/^scheduler_pending_pods\{queue="active"\} \d+/m);
  });
});

describe('sources that fail: an unreachable URL and a Prometheus that refuses a query', () => {
  let dir: string;
  let out: string;
  let res: CliResult;
  let summary: Json;
  let prometheus: Server;
  let promUrl: string;
  let port: number;
  const promRequests: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kbench-collect-fail-'));
    out = path.join(dir, 'result');
    port = await closedPort();
    // A stand-in for Prometheus's HTTP API: answers in its JSON shapes, refuses a query it cannot parse.
    prometheus = createServer((req, resp) => {
      const u = new URL(req.url ?? '/', 'http://x');
      const query = u.searchParams.get('query') ?? '';
      promRequests.push(`${u.pathname} ${query}`);
      resp.setHeader('content-type', 'application/json');
      if (query.includes('rate(((')) {
        resp.statusCode = 400;
        resp.end(JSON.stringify({ status: 'error', errorType: 'bad_data', error: '1:6: parse error: unexpected left parenthesis' }));
        return;
      }
      const t = Number(u.searchParams.get('time') ?? u.searchParams.get('end') ?? Date.now() / 1000);
      if (u.pathname === '/api/v1/query_range') {
        const start = Number(u.searchParams.get('start'));
        const values: [number, string][] = [];
        for (let x = start; x <= Number(u.searchParams.get('end')); x += Number(u.searchParams.get('step'))) values.push([x, '7']);
        resp.end(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values }] } }));
      } else {
        resp.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [t, '7'] }] } }));
      }
    });
    await new Promise<void>((r) => prometheus.listen(0, '127.0.0.1', r));
    promUrl = `http://127.0.0.1:${(prometheus.address() as AddressInfo).port}`;
    const template = path.join(ROOT, 'workloads/templates/pod.yaml');
    const workload = path.join(dir, 'failing.yaml');
    writeFileSync(
      workload,
      `name: collect-failing
timeout: 3m
sim: {nodes: 5, storage: memory}
collect:
  interval: 1s
  sources:
    - name: scheduler
      type: url
      component: scheduler
      url: http://127.0.0.1:${port}/metrics
    - name: prom
      type: prometheus
      url: ${promUrl}
      queries:
        scheduler_pending_total: sum(scheduler_pending_pods)
        broken: sum(rate(((apiserver_request_total[$window]))
phases:
  - name: pods
    create:
      template: ${template}
      count: 10
      vars: {image: registry.k8s.io/pause:3.9, cpu: 10m, memory: 16Mi}
  - name: running
    wait: {for: running, timeout: 2m}
`,
    );
    res = await kbench(['run', workload, '--sim', '--out', out], { timeoutMs: 200_000 });
    ({ summary } = readResult(out));
  }, 220_000);

  afterAll(async () => {
    await new Promise<void>((r) => (prometheus ? prometheus.close(() => r()) : r()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('completes, and says once why the URL source is unavailable', () => {
    expect(summary.status).toBe('complete');
    expect([0, 3]).toContain(res.code);
    const said = res.stderr.split('\n').filter((l) => l.includes(`source scheduler (http://127.0.0.1:${port}/metrics) unavailable`));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+\/metrics: ECONNREFUSED/);
    expect(summary.collectors.run.scheduler.binds).toEqual({ unavailable: expect.stringMatching(/^source scheduler: cannot reach .*ECONNREFUSED/) });
    expect(summary.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/metrics source scheduler could not be scraped/)]));
    // Not a zero standing in for "unknown": the pending cells are empty.
    const rows = parse(readFileSync(path.join(out, 'server-timeseries.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.every((r) => r.sched_pending_total === '')).toBe(true);
  });

  it('gives the refused query its reason and uses the good one where the scrape failed', () => {
    const prom = summary.collectors.prometheus.prom;
    expect(prom.broken.unavailable).toMatch(/Prometheus refused the query \(bad_data\): 1:6: parse error/);
    expect(prom.broken.run).toEqual({ unavailable: prom.broken.unavailable });
    expect(prom.scheduler_pending_total.run).toEqual([{ labels: {}, value: 7 }]);
    const v = verdict(summary, 'scheduler_pending_max');
    expect(v).toMatchObject({ verdict: 'pass', value: 7 });
    expect(v.description).toMatch(/from Prometheus/);
    expect(res.stderr).toMatch(/Prometheus prom query broken unavailable: Prometheus refused the query \(bad_data\)/);
    expect(promRequests.some((r) => r.startsWith('/api/v1/query_range sum(scheduler_pending_pods)'))).toBe(true);
    const csv = readFileSync(path.join(out, 'prometheus-timeseries.csv'), 'utf8');
    expect(csv.split('\n')[0]).toBe('time,elapsed_s,source,query,labels,value');
    expect(csv).toMatch(/,prom,scheduler_pending_total,,7\n/);
  });
});
