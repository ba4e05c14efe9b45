import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kbench, type CliResult } from '../helpers/cli.js';
import { eventually, startTestSim } from '../helpers/sim-fixture.js';
import type { TestClient } from '../helpers/sim-client.js';

type Json = any;

function pod(name: string): Json {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'someone-else' } },
    spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.9', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
  };
}

describe('kbench collect: measure a sim someone else loads', () => {
  let dir: string;
  let out: string;
  let res: CliResult;
  let summary: Json;
  let stopSim: (() => Promise<void>) | undefined;
  let client: TestClient;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kbench-collect-cmd-'));
    out = path.join(dir, 'result');
    const kubeconfig = path.join(dir, 'kubeconfig');
    const t = await startTestSim({ storage: 'memory', nodes: 3, kubeconfigOut: kubeconfig });
    stopSim = t.stop;
    client = t.client;
    await client.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'load' } });
    // There before collection starts: not this collection's pod.
    await client.request('POST', '/api/v1/namespaces/load/pods', pod('before'));
    let loaded: Promise<void> | undefined;
    res = await kbench(['collect', '--kubeconfig', kubeconfig, '--duration', '6s', '--collect-interval', '1s', '--selector', 'app=someone-else', '--out', out], {
      timeoutMs: 120_000,
      onStderr: (chunk) => {
        // The load starts once the collection phase has.
        if (!loaded && /phase 1\/1 collect \(sleep\) started/.test(chunk)) {
          loaded = (async () => {
            for (let i = 0; i < 20; i++) await client.request('POST', '/api/v1/namespaces/load/pods', pod(`p-${i}`));
          })();
        }
      },
    });
    await loaded;
    summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
  }, 150_000);

  afterAll(async () => {
    await stopSim?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('watches for the duration and writes a result set, creating nothing', () => {
    expect([0, 3]).toContain(res.code);
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ mode: 'collect', podSelector: 'app=someone-else', status: 'complete', cleanup: { action: 'none', message: 'none needed: nothing was created', namespaces: [] } });
    expect(manifest.target.sim.startedBy).toBe('kbench sim, separately');
    expect(summary.phases.map((p: Json) => [p.name, p.action])).toEqual([['collect', 'sleep']]);
    expect(summary.phases[0].durationMs).toBeGreaterThanOrEqual(6000);
  });

  it('tracks only the pods created while it watched', async () => {
    await eventually(() => client.request('GET', '/api/v1/namespaces/load/pods'), (r) => r.body.items.length === 21, 10_000, '21 pods');
    const rows = parse(readFileSync(path.join(out, 'pods.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    const names = rows.map((r) => r.name).sort();
    expect(names).not.toContain('before');
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((n) => /^p-\d+$/.test(n))).toBe(true);
    expect(summary.pods.seen).toBe(names.length);
  });

  it("finds the separately started sim's scheduler from its discovery file and measures the load server-side", () => {
    const names = summary.collectors.sources.map((s: Json) => `${s.name}:${s.failures}`);
    expect(names).toEqual(['apiserver:0', 'scheduler:0']);
    expect(summary.collectors.run.etcd.walFsync).toEqual({ unavailable: 'storage is memory' });
    const post = summary.collectors.run.apiserver.latency.keys.find((k: Json) => k.key === 'POST pods resource');
    // Every tracked pod was created while the collector watched, so its POST is in the difference.
    expect(post.count).toBeGreaterThanOrEqual(summary.pods.seen);
    expect(summary.pods.seen).toBeGreaterThan(0);
    expect(typeof summary.collectors.run.scheduler.binds).toBe('number');
    expect(existsSync(path.join(out, 'metrics/scheduler-end.prom'))).toBe(true);
    expect(existsSync(path.join(out, 'server-timeseries.csv'))).toBe(true);
  });
});

describe('bad collection settings are bad input (exit 2, one clear paragraph)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kbench-collect-bad-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('names the source and the field of a workload source missing what its type needs', async () => {
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(
      file,
      `name: bad-sources
collect:
  sources:
    - name: etcd
      type: url
    - name: sched
      type: pod-proxy
      component: scheduler
      port: 10259
phases:
  - name: nap
    sleep: 1s
`,
    );
    const r = await kbench(['validate', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml:4:\d+.*collect\.sources\[0\].*needs url/);
    expect(r.stderr).toMatch(/collect\.sources\[0\].*needs component/);
    expect(r.stderr).toMatch(/bad\.yaml:6:\d+.*collect\.sources\[1\].*needs pod, or lease/);
  });

  it('refuses a malformed --metrics-url and a credential file that is not there, leaving no result folder', async () => {
    const out = path.join(dir, 'never');
    const workload = new URL('../fixtures/collect/pod-proxy.yaml', import.meta.url).pathname;
    const a = await kbench(['run', workload, '--sim', '--out', out, '--metrics-url', 'etcd:http://x'], { timeoutMs: 120_000 });
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--metrics-url etcd:http:\/\/x: expected component=URL with component one of apiserver, scheduler, etcd, controller-manager/);
    const b = await kbench(['run', workload, '--sim', '--out', out, '--metrics-url', 'etcd=https://127.0.0.1:2379/metrics', '--metrics-ca-file', path.join(dir, 'nope.crt')], { timeoutMs: 120_000 });
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/caFile .*nope\.crt: ENOENT/);
    expect(existsSync(out)).toBe(false);
    const c = await kbench(['collect', '--duration', 'soon', '--sim']);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/--duration soon/);
  });
});
