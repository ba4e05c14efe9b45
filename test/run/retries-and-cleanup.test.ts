import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimHandle } from '../../src/sim/index.js';
import { kbench } from '../helpers/cli.js';
import type { TestClient } from '../helpers/sim-client.js';
import { eventually, startTestSim } from '../helpers/sim-fixture.js';

const ROOT = new URL('../..', import.meta.url).pathname;

describe('429 from the apiserver are retried and counted', () => {
  let stop: () => Promise<void>;
  let sim: SimHandle;
  let dir: string;

  beforeAll(async () => {
    // etcd storage: each write waits on etcd, so concurrent writes really overlap.
    // The legacy max-inflight filter refuses at once (API Priority and Fairness would queue first).
    const t = await startTestSim({ storage: 'etcd', nodes: 0, maxMutatingRequestsInflight: 1, maxRequestsInflight: 2, enablePriorityAndFairness: false });
    stop = t.stop;
    sim = t.sim;
    dir = mkdtempSync(path.join(os.tmpdir(), 'kbench-429-'));
  }, 60_000);

  afterAll(async () => {
    await stop?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('every create succeeds after retries; the 429s are in the summary and api.csv', async () => {
    const out = path.join(dir, 'r');
    const res = await kbench(['run', path.join(ROOT, 'test/fixtures/retries.yaml'), '--kubeconfig', sim.kubeconfigPath, '--out', out], { timeoutMs: 170_000 });
    expect(res.code === 0 || res.code === 3, res.stderr).toBe(true);
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    const post = summary.api.find((k: { key: string }) => k.key === 'POST configmaps resource');
    // Every create is accounted for: done after its retries, or counted failed with its final 429
    // (how many run out of retries depends on how slow the machine is; none is lost).
    const failed429 = post.failed['429'] ?? 0;
    expect(post.count + failed429).toBe(100);
    expect(Object.keys(post.failed).filter((c) => c !== '429')).toEqual([]);
    expect(post.errors['429']).toBeGreaterThan(0);
    expect(post.retries).toBeGreaterThanOrEqual(post.errors['429'] - failed429);
    expect(summary.phases[0].operations).toMatchObject({ planned: 100, succeeded: post.count, failed: failed429 });
    // A retried call's latency includes its retries: each waited at least one Retry-After.
    expect(post.latencyMs.max).toBeGreaterThan(post.lastAttemptMs.max);
    expect(readFileSync(path.join(out, 'api.csv'), 'utf8')).toMatch(/POST configmaps resource,.*429:\d+/);
  }, 180_000);
});

describe('interrupting a run, and cleanup', () => {
  let stop: () => Promise<void>;
  let sim: SimHandle;
  let c: TestClient;
  let dir: string;

  beforeAll(async () => {
    const t = await startTestSim({ storage: 'memory', nodes: 20 });
    stop = t.stop;
    sim = t.sim;
    c = t.client;
    dir = mkdtempSync(path.join(os.tmpdir(), 'kbench-cleanup-'));
    // What someone else owns: a namespace with objects, and an unlabelled object next to kbench's.
    await c.post('/api/v1/namespaces', { metadata: { name: 'not-kbench' } });
    await c.post('/api/v1/namespaces/not-kbench/configmaps', { metadata: { name: 'precious' }, data: { a: 'b' } });
    await c.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'unlabelled' }, data: {} });
    await c.post('/api/v1/namespaces', { metadata: { name: 'other-label', labels: { 'kbench.io/workload': 'smoke' } } });
  }, 60_000);

  afterAll(async () => {
    await stop?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function foreignObjectsIntact(): Promise<void> {
    expect((await c.get('/api/v1/namespaces/not-kbench')).body.status.phase).toBe('Active');
    expect((await c.get('/api/v1/namespaces/not-kbench/configmaps/precious')).status).toBe(200);
    expect((await c.get('/api/v1/namespaces/default/configmaps/unlabelled')).status).toBe(200);
    expect((await c.get('/api/v1/namespaces/other-label')).body.status.phase).toBe('Active');
  }

  async function runNamespaces(runId: string): Promise<string[]> {
    const items = (await c.get(`/api/v1/namespaces?labelSelector=${encodeURIComponent(`kbench.io/run=${runId}`)}`)).body.items as { metadata: { name: string }; status: { phase: string } }[];
    return items.filter((n) => n.status.phase === 'Active').map((n) => n.metadata.name);
  }

  it('Ctrl-C stops the load, leaves a partial result set marked interrupted, and cleans up', async () => {
    const out = path.join(dir, 'interrupted');
    let sent = false;
    const res = await kbench(['run', path.join(ROOT, 'workloads/pod-batches.yaml'), '--kubeconfig', sim.kubeconfigPath, '--out', out], {
      timeoutMs: 120_000,
      onStderr: (chunk, child) => {
        if (!sent && /phase 2\/\d+ running-5/.test(chunk)) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(sent).toBe(true);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/interrupted/);
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.status).toBe('interrupted');
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(summary.status).toBe('interrupted');
    expect(summary.pods.seen).toBeGreaterThan(0);
    for (const f of ['pods.csv', 'api.csv', 'timeseries.csv', 'junit.xml']) expect(existsSync(path.join(out, f)), f).toBe(true);
    await eventually(() => runNamespaces(manifest.runId), (l) => l.length === 0, 30_000, 'the run namespaces to go');
    await foreignObjectsIntact();
  });

  it('Ctrl-C while the cleanup waits for the namespaces ends the wait, and the run says they were still terminating', async () => {
    // A ConfigMap that keeps a finalizer holds its namespace in Terminating for as long as it is there.
    const template = path.join(dir, 'held-configmap.yaml');
    writeFileSync(template, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "{{name}}"\n  finalizers: [kbench.io/test-hold]\ndata: {}\n');
    const fixture = path.join(dir, 'held.yaml');
    writeFileSync(fixture, `name: held\nphases:\n  - name: configmaps\n    create: {template: ${template}, count: 2}\n`);
    const out = path.join(dir, 'held');
    let sent = false;
    const res = await kbench(['run', fixture, '--kubeconfig', sim.kubeconfigPath, '--out', out, '--cleanup-wait', '30m'], {
      timeoutMs: 170_000,
      onStderr: (chunk, child) => {
        if (!sent && /cleanup: deleting the run's 1 namespace\(s\); waiting up to 1800 s/.test(chunk)) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(sent, res.stderr).toBe(true);
    // The run itself was complete: the signal only ended the wait (well before its 30 minutes).
    expect(res.code === 0 || res.code === 3, res.stderr).toBe(true);
    expect(res.stderr).toMatch(/SIGINT: no longer waiting for the run's namespaces to go/);
    expect(res.stdout).toMatch(/1 were still terminating when the wait for them was stopped at \d+ s \(`kbench cleanup --run /);
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.status).toBe('complete');
    expect(manifest.cleanup.namespaces).toEqual([{ name: `kbench-${manifest.runId}-0`, result: 'terminating' }]);
    // Let the namespace go, so the tests after this one see only their own.
    const ns = `kbench-${manifest.runId}-0`;
    for (const cm of (await c.get(`/api/v1/namespaces/${ns}/configmaps`)).body.items as { metadata: { name: string } }[]) {
      await c.patch(`/api/v1/namespaces/${ns}/configmaps/${cm.metadata.name}`, { metadata: { finalizers: null } }, 'application/merge-patch+json');
    }
    await eventually(async () => (await c.get(`/api/v1/namespaces/${ns}`)).status, (st) => st === 404, 30_000, 'the held namespace to go');
  }, 180_000);

  it('the end-of-run cleanup, --keep, and kbench cleanup --run / --all-runs remove only kbench runs', async () => {
    const fixture = path.join(dir, 'tiny.yaml');
    writeFileSync(
      fixture,
      `name: tiny\nphases:\n  - name: pods\n    create: {template: ${path.join(ROOT, 'workloads/templates/pod.yaml')}, count: 5, vars: {image: pause, cpu: 10m, memory: 8Mi}}\n  - name: running\n    wait: {for: running, timeout: 1m}\n`,
    );
    const normal = await kbench(['run', fixture, '--kubeconfig', sim.kubeconfigPath, '--out', path.join(dir, 'normal')]);
    expect(normal.code === 0 || normal.code === 3, normal.stderr).toBe(true);
    const normalRun = JSON.parse(readFileSync(path.join(dir, 'normal/manifest.json'), 'utf8')).runId;
    await eventually(() => runNamespaces(normalRun), (l) => l.length === 0, 30_000, 'cleanup at the end of the run');
    await foreignObjectsIntact();

    const kept1 = await kbench(['run', fixture, '--kubeconfig', sim.kubeconfigPath, '--out', path.join(dir, 'kept1'), '--keep']);
    const kept2 = await kbench(['run', fixture, '--kubeconfig', sim.kubeconfigPath, '--out', path.join(dir, 'kept2'), '--keep']);
    expect([kept1.code, kept2.code].every((x) => x === 0 || x === 3)).toBe(true);
    const run1 = JSON.parse(readFileSync(path.join(dir, 'kept1/manifest.json'), 'utf8')).runId;
    const run2 = JSON.parse(readFileSync(path.join(dir, 'kept2/manifest.json'), 'utf8')).runId;
    expect(await runNamespaces(run1)).toHaveLength(1);

    // --keep says what it left, with the command that removes it.
    expect(kept1.stdout).toMatch(new RegExp(`cleanup: kept \\(--keep\\).*kbench cleanup --run ${run1}`));
    const keptManifest = JSON.parse(readFileSync(path.join(dir, 'kept1/manifest.json'), 'utf8'));
    expect(keptManifest.cleanup).toMatchObject({ action: 'keep', namespaces: [{ name: `kbench-${run1}-0`, result: 'kept' }] });

    const one = await kbench(['cleanup', '--run', run1, '--kubeconfig', sim.kubeconfigPath]);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toMatch(new RegExp(`namespace kbench-${run1}-0: deleted`));
    expect(await runNamespaces(run1)).toHaveLength(0);
    expect(await runNamespaces(run2)).toHaveLength(1);

    // A namespace whose run label is not a kbench run id is not kbench's: --all-runs leaves it.
    await c.post('/api/v1/namespaces', { metadata: { name: 'not-a-run', labels: { 'kbench.io/run': 'production' } } });
    const unconfirmed = await kbench(['cleanup', '--all-runs', '--kubeconfig', sim.kubeconfigPath]);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toMatch(/confirm with --yes/);
    expect(await runNamespaces(run2)).toHaveLength(1);
    const all = await kbench(['cleanup', '--all-runs', '--yes', '--kubeconfig', sim.kubeconfigPath]);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/left alone: 1 namespace/);
    expect(await runNamespaces(run2)).toHaveLength(0);
    expect((await c.get('/api/v1/namespaces/not-a-run')).body.status.phase).toBe('Active');
    await foreignObjectsIntact();

    const bad = await kbench(['cleanup', '--kubeconfig', sim.kubeconfigPath]);
    expect(bad.code).toBe(2);
  }, 240_000);
});
