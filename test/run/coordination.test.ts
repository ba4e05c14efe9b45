import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/cluster/kube-client.js';
import { connect } from '../../src/cluster/target.js';
import { downloadResults, uploadResults } from '../../src/job/results-store.js';
import { CoordinationConflict, CoordinationError, microTime, type RunIdentity, ShardCoordinator, shardLeaseName } from '../../src/run/coordination.js';
import type { SimHandle } from '../../src/sim/index.js';
import { startTestSim } from '../helpers/sim-fixture.js';

const RUN = '20261201t120000-c0c0c0';
const ID: RunIdentity = { runId: RUN, workload: 'w', specHash: 'a'.repeat(64), shards: 2 };

describe('shard coordination through the API server (sim)', () => {
  let sim: SimHandle;
  let stop: () => Promise<void>;
  let client: KubeClient;
  const coordinators: ShardCoordinator[] = [];
  const make = (o: Partial<ConstructorParameters<typeof ShardCoordinator>[0]> & { index: number }): ShardCoordinator => {
    const c = new ShardCoordinator({ client, namespace: 'default', identity: ID, shard: { index: o.index, count: 2 }, onLoss: 'fail', holder: `test/${o.index}`, deadAfterMs: 3000, joinTimeoutMs: 20_000, ...o });
    coordinators.push(c);
    return c;
  };

  beforeAll(async () => {
    const t = await startTestSim({ storage: 'memory', nodes: 1 });
    sim = t.sim;
    stop = t.stop;
    client = new KubeClient(await connect({ kind: 'kubeconfig', file: sim.kubeconfigPath, source: 'flag' }), { timeoutMs: 10_000 });
  }, 60_000);

  afterAll(async () => {
    for (const c of coordinators) await c.stop();
    await client?.close();
    await stop?.();
  });

  it('Lease times are MicroTime (six fractional digits)', () => {
    expect(microTime(new Date('2026-12-01T10:15:00.123Z'))).toBe('2026-12-01T10:15:00.123000Z');
  });

  it('two shards join, pass a barrier together, and the phase start is recorded', async () => {
    const a = make({ index: 0 });
    const b = make({ index: 1 });
    await a.join();
    await b.join();
    const signal = new AbortController().signal;
    await Promise.all([a.awaitJoined(signal, () => undefined), b.awaitJoined(signal, () => undefined)]);
    let aPassed = 0;
    const pa = a.barrier(0, 'first', signal).then(() => (aPassed = performance.now()));
    // b is not ready yet: a waits.
    await new Promise((r) => setTimeout(r, 1500));
    expect(aPassed).toBe(0);
    const bReady = performance.now();
    await b.barrier(0, 'first', signal);
    await pa;
    expect(aPassed).toBeGreaterThanOrEqual(bReady);
    const cm = await client.json<{ data: Record<string, string> }>('GET', `/api/v1/namespaces/default/configmaps/kbench-run-${RUN}`);
    expect(JSON.parse(cm.data['phase-0']!)).toMatchObject({ name: 'first', shards: [0, 1] });
    expect(Object.keys(cm.data).sort()).toEqual(['phase-0', 'run', 'shard-0', 'shard-1']);
  });

  it('refused: joining a run that started without this process, a twin of a live shard, a shard of another workload', async () => {
    const late = make({ index: 1, holder: 'test/late' });
    await expect(late.join()).rejects.toThrow(CoordinationError); // the run has started: no joining midway
    const fresh = { ...ID, runId: '20261201t120000-c0c0c2' };
    await make({ index: 0, identity: fresh }).join();
    const twin = make({ index: 0, identity: fresh, holder: 'test/twin' });
    await expect(twin.join()).rejects.toThrow(/shard 0 of run 20261201t120000-c0c0c2 is held by test\/0, which is alive: two processes cannot be the same shard/);
    const other = make({ index: 0, identity: { ...ID, workload: 'other' } });
    await expect(other.join()).rejects.toThrow(/is a run of workload w in 2 shards.*this shard runs other in 2 shards/);
    await expect(make({ index: 0, identity: { ...ID, shards: 3 } }).join()).rejects.toThrow(CoordinationConflict);
  });

  it('a shard that stops renewing is lost within the timeout, naming it; a barrier then fails', async () => {
    const [a, b] = coordinators;
    const lost: number[] = [];
    a!.onLost((l) => lost.push(l.index));
    const t0 = performance.now();
    await b!.stop();
    const signal = new AbortController().signal;
    await expect(a!.barrier(1, 'second', signal)).rejects.toThrow(/shard 1 \(test\/1\) stopped renewing its Lease: nothing from it for \d+ s; the run stops/);
    expect(lost).toEqual([1]);
    expect(performance.now() - t0).toBeLessThan(3000 + 10_000);
    const cm = await client.json<{ data: Record<string, string> }>('GET', `/api/v1/namespaces/default/configmaps/kbench-run-${RUN}`);
    expect(JSON.parse(cm.data['lost-1']!)).toMatchObject({ index: 1, noticedBy: 0 });
    const lease = await client.json<{ spec: { holderIdentity: string } }>('GET', `/apis/coordination.k8s.io/v1/namespaces/default/leases/${shardLeaseName(RUN, 0)}`);
    expect(lease.spec.holderIdentity).toBe('test/0');
  });

  it('a shard that is not there by the join timeout is named', async () => {
    const c = make({ index: 0, identity: { ...ID, runId: '20261201t120000-c0c0c1' }, joinTimeoutMs: 1500 });
    await c.join();
    await expect(c.awaitJoined(new AbortController().signal, () => undefined)).rejects.toThrow(/shard 1 of 2 did not join run 20261201t120000-c0c0c1 within 2 s/);
  });

  it("results: each attempt's upload kept apart, checked on the way back; a half-done upload is seen as such", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kbench-upload-'));
    try {
      const src = path.join(dir, 'src');
      mkdirSync(path.join(src, 'histograms'), { recursive: true });
      writeFileSync(path.join(src, 'manifest.json'), JSON.stringify({ status: 'complete' }));
      // Big and incompressible enough for several ConfigMaps (512 KiB parts).
      const big = randomBytes(1_400_000);
      writeFileSync(path.join(src, 'histograms', 'x.hdr'), big);
      writeFileSync(path.join(src, 'report.html'), 'derived: not uploaded');
      const first = await uploadResults(client, { namespace: 'default', runId: RUN, shard: 1, holder: 'pod a', dir: src });
      const second = await uploadResults(client, { namespace: 'default', runId: RUN, shard: 1, holder: 'pod b', dir: src });
      expect(first.parts).toBeGreaterThan(1);
      expect(first.attempt).not.toBe(second.attempt);
      // A pod killed while uploading: parts, no index.
      await client.json('POST', '/api/v1/namespaces/default/configmaps', {
        body: { metadata: { name: `kbench-run-${RUN}-result-0-dead00-0`, labels: { 'kbench.io/run': RUN, 'kbench.io/shard': '0', 'kbench.io/attempt': 'dead00', 'kbench.io/result': 'part' } }, binaryData: { bundle: 'AAAA' } },
      });
      const got = await downloadResults(client, { namespace: 'default', runId: RUN, into: path.join(dir, 'out') });
      expect(got.results.map((r) => [r.index.shard, r.index.holder]).sort()).toEqual([
        [1, 'pod a'],
        [1, 'pod b'],
      ]);
      for (const r of got.results) {
        expect(readFileSync(path.join(r.dir, 'histograms', 'x.hdr')).equals(big)).toBe(true);
        expect(() => readFileSync(path.join(r.dir, 'report.html'))).toThrow();
      }
      expect(got.incomplete).toEqual([{ shard: 0, attempt: 'dead00', parts: 1 }]);
      // A damaged part is refused, not extracted.
      await client.json('PATCH', `/api/v1/namespaces/default/configmaps/kbench-run-${RUN}-result-1-${first.attempt}-0`, { body: { binaryData: { bundle: 'AAAA' } }, contentType: 'application/merge-patch+json' });
      await expect(downloadResults(client, { namespace: 'default', runId: RUN, into: path.join(dir, 'out2') })).rejects.toThrow(/is damaged: sha256/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
