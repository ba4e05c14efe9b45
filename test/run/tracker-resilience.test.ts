import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simKubeconfig } from '../../src/sim/kubeconfig.js';
import { ChaosProxy } from '../helpers/chaos-proxy.js';
import { kbench, type CliResult } from '../helpers/cli.js';
import { startTestSim } from '../helpers/sim-fixture.js';
import type { TestClient } from '../helpers/sim-client.js';

const ROOT = new URL('../..', import.meta.url).pathname;

describe('pod tracker across broken watches and 410 Gone', () => {
  let dir: string;
  let stopSim: () => Promise<void>;
  let proxy: ChaosProxy;
  let client: TestClient;
  let res: CliResult;
  let out: string;

  beforeAll(async () => {
    // A short watch history: resuming after a blackout finds its resourceVersion gone.
    const t = await startTestSim({ storage: 'memory', nodes: 20, watchHistoryMax: 30, podStartupDelayMs: 1500, podStartupJitterMs: 1000 });
    stopSim = t.stop;
    client = t.client;
    proxy = new ChaosProxy(Number(new URL(t.sim.url).port), 1500, 400);
    const port = await proxy.listen();
    dir = mkdtempSync(path.join(os.tmpdir(), 'kbench-chaos-'));
    const kubeconfig = path.join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, simKubeconfig(`https://127.0.0.1:${port}`, t.sim.caPem, t.sim.token));
    out = path.join(dir, 'result');
    res = await kbench(['run', path.join(ROOT, 'test/fixtures/resilience.yaml'), '--kubeconfig', kubeconfig, '--out', out, '--keep'], {
      timeoutMs: 280_000,
      // The cuts start with the load: what is tested is the tracker across broken watches,
      // not kbench's first probe of the cluster (its retries fit inside one blackout).
      onStderr: (chunk) => {
        if (/phase 1\/\d+ \S+ \(\w+\) started/.test(chunk)) proxy.start();
      },
    });
  }, 300_000);

  afterAll(async () => {
    await proxy?.close();
    await stopSim?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reconnects, relists after 410, and loses or doubles no pod', async () => {
    expect(res.code === 0 || res.code === 3, res.stderr).toBe(true);
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(proxy.cuts).toBeGreaterThan(0);
    expect(summary.pods.watch.reconnects).toBeGreaterThan(0);
    expect(summary.pods.watch.relists).toBeGreaterThan(0);
    const rows = parse(readFileSync(path.join(out, 'pods.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    // What the cluster has (the run kept its objects) is exactly what the tracker recorded.
    const live = (await client.get(`/api/v1/pods?labelSelector=${encodeURIComponent(`kbench.io/run=${manifest.runId}`)}`)).body.items as { metadata: { uid: string } }[];
    const uids = rows.map((r) => r.uid);
    expect(new Set(uids).size).toBe(uids.length);
    expect(new Set(uids)).toEqual(new Set(live.map((p) => p.metadata.uid)));
    expect(rows).toHaveLength(260);
    expect(rows.every((r) => r.running_seen !== '')).toBe(true);
    expect(summary.pods.running).toBe(260);
  });
});
