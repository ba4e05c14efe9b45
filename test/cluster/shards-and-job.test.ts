import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kbench } from '../helpers/cli.js';
import { buildComponents, ClusterUp, kubectl, realComponentsGate, Sandbox } from './real-components.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const gate = realComponentsGate('test/cluster/shards-and-job.test.ts');
/** test/fixtures/sharded.yaml's pods: 6 Deployments of 10, and 60 bare pods. */
const PODS = 120;

describe.runIf(gate !== 'skip')('shards and kbench job on the real control plane', () => {
  const box = new Sandbox();
  let up: ClusterUp | undefined;
  let kubeconfig: string;

  beforeAll(async () => {
    if (gate === 'fail') throw new Error('Go is missing: in CI the real control-plane tests must run (install Go 1.26+; see README)');
    await buildComponents();
    kubeconfig = path.join(box.root, 'kubeconfig');
    up = new ClusterUp(['--nodes', '5', '--kubeconfig-out', kubeconfig, '--pod-startup-delay', '500ms', '--pod-startup-jitter', '200ms'], box.env);
    await up.ready;
  }, 90 * 60_000);

  afterAll(async () => {
    await up?.kill();
    await box.destroy();
  }, 180_000);

  it("kube-apiserver's server-side dry run accepts kbench job's manifests", async () => {
    const runId = '20261202t050000-a1b2c3';
    const job = await kbench(['job', path.join(ROOT, 'workloads/smoke.yaml'), '--shards', '3', '--image', 'registry.example.com/kbench:dev', '--namespace', 'kbench-jobs', '--run-id', runId], { env: box.env });
    expect(job.code, job.stderr).toBe(0);
    const file = path.join(box.root, 'job.yaml');
    writeFileSync(file, job.stdout);
    expect(kubectl(kubeconfig, ['create', 'namespace', 'kbench-jobs']).code).toBe(0);
    const r = kubectl(kubeconfig, ['apply', '--dry-run=server', '-f', file]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`job.batch/kbench-${runId} created (server dry run)`);
    expect(r.stdout).toContain(`clusterrole.rbac.authorization.k8s.io/kbench-${runId} created (server dry run)`);
  });

  it('2 shards coordinate through the real apiserver and merge into one result set with every pod', async () => {
    const runId = '20261202t050100-d4e5f6';
    const out = (i: number): string => path.join(box.root, `shard-${i}`);
    const shards = await Promise.all(
      [0, 1].map((i) => kbench(['run', path.join(ROOT, 'test/fixtures/sharded.yaml'), '--shard', `${i}/2`, '--run-id', runId, '--kubeconfig', kubeconfig, '--no-collect', '--out', out(i)], { env: box.env, timeoutMs: 600_000 })),
    );
    for (const s of shards) expect([0, 3], s.stderr.slice(-3000)).toContain(s.code);
    const merged = path.join(box.root, 'merged');
    const m = await kbench(['merge', out(0), out(1), '--out', merged], { env: box.env });
    expect([0, 3], m.stderr).toContain(m.code);
    const manifest = JSON.parse(readFileSync(path.join(merged, 'manifest.json'), 'utf8')) as { status: string; target: { kind: string }; shards: { index: number; status: string }[] };
    expect(manifest.status).toBe('complete');
    expect(manifest.shards.map((s) => [s.index, s.status])).toEqual([
      [0, 'complete'],
      [1, 'complete'],
    ]);
    const summary = JSON.parse(readFileSync(path.join(merged, 'summary.json'), 'utf8')) as { pods: { expected: number; seen: number; running: number } };
    expect(summary.pods).toMatchObject({ expected: PODS, seen: PODS });
  });
});
