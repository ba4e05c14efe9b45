import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimHandle } from '../../src/sim/index.js';
import { find, parseSamples } from '../helpers/prom-text.js';
import type { TestClient } from '../helpers/sim-client.js';
import { eventually, startTestSim, STORAGE_MODES } from '../helpers/sim-fixture.js';

const run = promisify(execFile);

function deployment(name: string, replicas: number, cpu = '100m') {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.9', resources: { requests: { cpu, memory: '64Mi' }, limits: { cpu, memory: '64Mi' } } }] },
      },
    },
  };
}

async function scrape(sim: SimHandle, url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca: sim.caPem, headers: { Authorization: `Bearer ${sim.token}` } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

async function pods(c: TestClient, ns: string, selector: string): Promise<any[]> {
  return (await c.get(`/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(selector)}`)).body.items;
}

describe.each(STORAGE_MODES)('simulated cluster behaviour (%s storage)', (storage) => {
  let c: TestClient;
  let sim: SimHandle;
  let stop: () => Promise<void>;
  let dir: string;

  beforeAll(async () => {
    // 10 nodes x 40 pods; fast startups; the scheduler's client throttled (bindings take a while).
    const t = await startTestSim({
      storage,
      nodes: 10,
      podStartupDelayMs: 200,
      podStartupJitterMs: 100,
      schedulerQps: 200,
      schedulerBurst: 50,
      controllerQps: 500,
      controllerBurst: 500,
    });
    c = t.client;
    sim = t.sim;
    stop = t.stop;
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-cluster-'));
    await c.post('/api/v1/namespaces', { metadata: { name: 'work' } });
  }, 60_000);

  afterAll(async () => {
    await stop?.();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('registers the nodes with capacity, Ready condition and a renewed Lease', async () => {
    const nodes = (await c.get('/api/v1/nodes')).body.items;
    expect(nodes).toHaveLength(10);
    expect(nodes[0].status.allocatable).toMatchObject({ cpu: '4', memory: '16Gi', pods: '40' });
    expect(nodes[0].status.conditions.find((x: { type: string }) => x.type === 'Ready').status).toBe('True');
    const lease = await eventually(() => c.get(`/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${nodes[0].metadata.name}`), (r) => r.status === 200, 20_000, 'the node lease');
    expect(lease.body.spec.holderIdentity).toBe(nodes[0].metadata.name);
    const scheduler = await c.get('/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler');
    expect(scheduler.body.spec.holderIdentity).toMatch(/_/);
  });

  it('brings a Deployment of 250 replicas to 250 Running and Ready pods; kubectl rollout status returns', async () => {
    await c.post('/apis/apps/v1/namespaces/work/deployments', deployment('big', 250));
    const { stdout } = await run('kubectl', ['rollout', 'status', 'deployment/big', '-n', 'work', '--timeout=120s', `--cache-dir=${path.join(dir, 'cache')}`], {
      env: { ...process.env, KUBECONFIG: sim.kubeconfigPath, HOME: dir },
      timeout: 150_000,
    });
    expect(stdout).toContain('successfully rolled out');
    const all = await pods(c, 'work', 'app=big');
    expect(all).toHaveLength(250);
    for (const p of all) {
      expect(p.status.phase).toBe('Running');
      expect(p.status.conditions.find((x: { type: string }) => x.type === 'Ready').status).toBe('True');
      // Complete container statuses, as strict client models need them.
      expect(p.status.containerStatuses[0]).toMatchObject({ name: 'app', ready: true, started: true, restartCount: 0 });
      expect(p.status.containerStatuses[0].containerID).toMatch(/^containerd:\/\//);
      expect(p.status.containerStatuses[0].imageID).toContain('@sha256:');
      expect(p.status.containerStatuses[0].state.running.startedAt).toBeTruthy();
      expect(p.status.podIP).toMatch(/^10\.\d+\.\d+\.\d+$/);
      expect(p.status.qosClass).toBe('Guaranteed');
      expect(p.metadata.ownerReferences[0]).toMatchObject({ kind: 'ReplicaSet', controller: true });
    }
    // 40 pods per node at most.
    const perNode = new Map<string, number>();
    for (const p of all) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
    expect(Math.max(...perNode.values())).toBeLessThanOrEqual(40);
    // Events are written after the binding, through the same throttled client: wait for them.
    const events = (
      await eventually(() => c.get('/apis/events.k8s.io/v1/namespaces/work/events?fieldSelector=reason%3DScheduled'), (r) => r.body.items.length >= 250, 60_000, '250 Scheduled events')
    ).body.items;
    expect(events[0].eventTime).toMatch(/\.\d{6}Z$/);
    expect(events[0]).toMatchObject({ reportingController: 'default-scheduler', action: 'Binding', regarding: { kind: 'Pod' } });
  });

  it('deletes the pods when scaled to 0', async () => {
    await c.patch('/apis/apps/v1/namespaces/work/deployments/big/scale', { spec: { replicas: 0 } });
    await eventually(() => pods(c, 'work', 'app=big'), (l) => l.length === 0, 90_000, 'all pods gone');
    const d = (await c.get('/apis/apps/v1/namespaces/work/deployments/big')).body;
    await eventually(
      () => c.get('/apis/apps/v1/namespaces/work/deployments/big'),
      // DeploymentStatus.replicas is omitempty: 0 is absent, as on a real apiserver.
      (r) => (r.body.status.replicas ?? 0) === 0 && r.body.status.observedGeneration === r.body.metadata.generation,
      30_000,
      'status to show 0 replicas',
    );
    expect(d.spec.replicas).toBe(0);
  });

  it('cascades the deletion of a Deployment to its ReplicaSets and pods', async () => {
    await c.post('/apis/apps/v1/namespaces/work/deployments', deployment('short', 5));
    await eventually(() => pods(c, 'work', 'app=short'), (l) => l.length === 5, 60_000, '5 pods');
    await c.delete('/apis/apps/v1/namespaces/work/deployments/short');
    await eventually(() => pods(c, 'work', 'app=short'), (l) => l.length === 0, 60_000, 'pods collected');
    const rs = (await c.get('/apis/apps/v1/namespaces/work/replicasets?labelSelector=app%3Dshort')).body.items;
    expect(rs).toEqual([]);
  });

  it('keeps a pod that fits no node Pending/Unschedulable until a node that fits is added', async () => {
    await c.post('/api/v1/namespaces/work/pods', {
      metadata: { name: 'huge', labels: { app: 'huge' } },
      spec: { containers: [{ name: 'app', image: 'pause', resources: { requests: { cpu: '64', memory: '1Gi' } } }] },
    });
    const pending = await eventually(
      () => c.get('/api/v1/namespaces/work/pods/huge'),
      (r) => (r.body.status.conditions ?? []).some((x: { type: string; reason: string }) => x.type === 'PodScheduled' && x.reason === 'Unschedulable'),
      30_000,
      'the Unschedulable condition',
    );
    expect(pending.body.status.phase).toBe('Pending');
    expect(pending.body.spec.nodeName).toBeUndefined();
    const cond = pending.body.status.conditions.find((x: { type: string }) => x.type === 'PodScheduled');
    expect(cond.message).toBe('0/10 nodes are available: 10 Insufficient cpu. preemption: 0/10 nodes are available: 10 Preemption is not helpful for scheduling.');
    await c.post('/api/v1/nodes', {
      metadata: { name: 'big-node', labels: { 'kubernetes.io/hostname': 'big-node' } },
      status: { capacity: { cpu: '96', memory: '256Gi', pods: '110' }, allocatable: { cpu: '96', memory: '256Gi', pods: '110' } },
    });
    const bound = await eventually(() => c.get('/api/v1/namespaces/work/pods/huge'), (r) => r.body.spec.nodeName === 'big-node', 30_000, 'the pod to bind');
    expect(bound.body.spec.nodeName).toBe('big-node');
    await c.delete('/api/v1/nodes/big-node');
  });

  it('counts pods held by scheduling gates as pending, then schedules them when the gates go', async () => {
    const pending = async (): Promise<Record<string, number>> => {
      const samples = find(parseSamples(await scrape(sim, sim.endpoints.scheduler)), 'scheduler_pending_pods');
      return Object.fromEntries(samples.map((x) => [x.labels.queue!, x.value]));
    };
    // Gated pods wait by rule, not because the machine is busy: the count is exact.
    await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        c.post('/api/v1/namespaces/work/pods', {
          metadata: { name: `wave-${i}`, labels: { app: 'wave' } },
          spec: { schedulingGates: [{ name: 'kbench.io/hold' }], containers: [{ name: 'app', image: 'pause', resources: { requests: { cpu: '10m' } } }] },
        }),
      ),
    );
    const held = await eventually(pending, (q) => q.gated === 150, 30_000, '150 gated pods');
    expect(held).toMatchObject({ active: 0, backoff: 0 });
    expect((await pods(c, 'work', 'app=wave')).filter((p) => p.spec.nodeName)).toEqual([]);
    expect((await pods(c, 'work', 'app=wave'))[0].status.conditions).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' })]),
    );

    await Promise.all(
      Array.from({ length: 150 }, (_, i) => c.patch(`/api/v1/namespaces/work/pods/wave-${i}`, { spec: { schedulingGates: null } })),
    );
    await eventually(() => pods(c, 'work', 'app=wave'), (l) => l.length === 150 && l.every((p) => p.spec.nodeName), 60_000, 'all wave pods bound');
    const after = await eventually(pending, (q) => q.active === 0 && q.gated === 0, 30_000, 'empty queues');
    expect(after).toEqual({ active: 0, backoff: 0, unschedulable: 0, gated: 0 });
    const text = await scrape(sim, sim.endpoints.scheduler);
    const all = parseSamples(text);
    expect(find(all, 'scheduler_schedule_attempts_total', { result: 'scheduled', profile: 'default-scheduler' })[0]!.value).toBeGreaterThanOrEqual(150);
    expect(find(all, 'scheduler_schedule_attempts_total', { result: 'unschedulable' })[0]!.value).toBeGreaterThanOrEqual(1);
    expect(find(all, 'scheduler_pod_scheduling_sli_duration_seconds_count', { attempts: '1' })[0]!.value).toBeGreaterThan(0);
    expect(find(all, 'scheduler_scheduling_attempt_duration_seconds_bucket', { result: 'scheduled' })[0]!.labels.le).toBe('0.001');
  });
});
