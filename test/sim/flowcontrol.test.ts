import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FLOW_SCHEMAS, DEFAULT_PRIORITY_LEVELS } from '../../src/sim/apiserver/flowcontrol/bootstrap.js';
import { FlowControl } from '../../src/sim/apiserver/flowcontrol/flow-control.js';
import { dealHand, flowHash, type RequestDigest } from '../../src/sim/apiserver/flowcontrol/match.js';
import { RetryAfterTracker } from '../../src/sim/apiserver/flowcontrol/retry-after.js';
import { allocateConcurrency } from '../../src/sim/apiserver/flowcontrol/seat-demand.js';
import { ANONYMOUS, KUBE_CONTROLLER_MANAGER, KUBE_SCHEDULER, nodeUser, serviceAccountUser, SIM_ADMIN, type UserInfo } from '../../src/sim/apiserver/user-info.js';
import { MetricsRegistry } from '../../src/sim/metrics-registry.js';
import type { SimHandle } from '../../src/sim/index.js';
import { find, parseSamples } from '../helpers/prom-text.js';
import type { TestClient } from '../helpers/sim-client.js';
import { eventually, startTestSim } from '../helpers/sim-fixture.js';

function flowControl(serverConcurrencyLimit = 600, now = () => 0): FlowControl {
  return new FlowControl({
    serverConcurrencyLimit,
    waitLimitMs: 15_000,
    schemas: DEFAULT_FLOW_SCHEMAS,
    levels: DEFAULT_PRIORITY_LEVELS,
    uids: { flowSchemas: new Map(), levels: new Map() },
    registry: new MetricsRegistry(),
    now,
  });
}

function digest(user: UserInfo, verb: string, resource: string, namespace = '', apiGroup = '', subresource = ''): RequestDigest {
  return { user, isResource: true, verb, apiGroup, resource, subresource, namespace, path: '' };
}

describe('API Priority and Fairness: the default configuration', () => {
  it.each<[string, RequestDigest, string, string]>([
    ['a kubelet renewing its lease', digest(nodeUser('n1'), 'update', 'leases', 'kube-node-lease', 'coordination.k8s.io'), 'system-node-high', 'node-high'],
    ['a kubelet writing its node status', digest(nodeUser('n1'), 'patch', 'nodes', '', '', 'status'), 'system-node-high', 'node-high'],
    ['a kubelet writing a pod status', digest(nodeUser('n1'), 'patch', 'pods', 'ns', '', 'status'), 'system-nodes', 'system'],
    ['the scheduler renewing its lease', digest(KUBE_SCHEDULER, 'update', 'leases', 'kube-system', 'coordination.k8s.io'), 'system-leader-election', 'leader-election'],
    ['the scheduler binding a pod', digest(KUBE_SCHEDULER, 'create', 'pods', 'ns', '', 'binding'), 'kube-scheduler', 'workload-high'],
    ['the controller manager renewing its lease', digest(KUBE_CONTROLLER_MANAGER, 'update', 'leases', 'kube-system', 'coordination.k8s.io'), 'system-leader-election', 'leader-election'],
    ['the ReplicaSet controller creating a pod', digest(serviceAccountUser('kube-system', 'replicaset-controller'), 'create', 'pods', 'ns'), 'kube-system-service-accounts', 'workload-high'],
    ['a workload service account', digest(serviceAccountUser('apps', 'runner'), 'create', 'pods', 'apps'), 'service-accounts', 'workload-low'],
    ["the harness's user", digest(SIM_ADMIN, 'create', 'pods', 'ns'), 'global-default', 'global-default'],
    ['a cluster admin', digest({ name: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] }, 'delete', 'pods', 'ns'), 'exempt', 'exempt'],
    ['a probe', { user: ANONYMOUS, isResource: false, verb: 'get', apiGroup: '', resource: '', subresource: '', namespace: '', path: '/readyz' }, 'probes', 'exempt'],
    ['an anonymous read elsewhere', { user: ANONYMOUS, isResource: false, verb: 'get', apiGroup: '', resource: '', subresource: '', namespace: '', path: '/version' }, 'global-default', 'global-default'],
  ])('classifies %s', (_what, d, schema, level) => {
    const c = flowControl().classify(d);
    expect([c.schema.name, c.level.name]).toEqual([schema, level]);
  });

  it('shares max-requests-inflight + max-mutating-requests-inflight by nominal shares', () => {
    const levels = flowControl(600).levels;
    const view = [...levels.values()].map((l) => [l.name, l.nominalCL, l.minCL, l.currentCL]);
    expect(view).toEqual([
      ['exempt', 0, 0, 0],
      ['catch-all', 13, 13, 13],
      ['system', 74, 50, 62],
      ['node-high', 98, 73, 86],
      ['leader-election', 25, 25, 25],
      ['workload-high', 98, 49, 74],
      ['workload-low', 245, 24, 135],
      ['global-default', 49, 24, 37],
    ]);
  });

  it('deals each flow the hand of queues the real shuffle-sharding dealer does', () => {
    // Vectors printed by k8s.io/apiserver v0.37.2 shufflesharding.Dealer.DealIntoHand.
    expect(flowHash('global-default', 'kbench-sim-admin')).toBe(6962207907056836887n);
    expect(dealHand(6962207907056836887n, 128, 6)).toEqual([23, 120, 118, 31, 96, 90]);
    expect(dealHand(flowHash('system-node-high', 'system:node:node-0001'), 64, 6)).toEqual([27, 6, 14, 44, 32, 43]);
    expect(dealHand(flowHash('kube-scheduler', 'kbench-1'), 128, 6)).toEqual([111, 113, 23, 18, 36, 90]);
    expect(dealHand(flowHash('system-leader-election', 'system:kube-scheduler'), 16, 4)).toEqual([10, 15, 8, 13]);
  });

  it('queues a flow before rejecting it, and rejects only the flow that overflows its queues', async () => {
    const fc = flowControl(600);
    const admitted: (() => void)[] = [];
    const outcomes: Promise<unknown>[] = [];
    // global-default starts with 37 seats; one user's flow may fill 6 queues of 50 behind them.
    for (let i = 0; i < 37 + 300 + 5; i++) {
      outcomes.push(
        fc.admit(digest(SIM_ADMIN, 'create', 'pods', 'ns')).then((o) => {
          if (o.admitted) admitted.push(o.finish);
          return o.admitted ? 'ok' : o.reason;
        }),
      );
    }
    const another = fc.admit(digest({ name: 'someone-else', groups: ['system:authenticated'] }, 'create', 'pods', 'ns'));
    const lease = await fc.admit(digest(nodeUser('n1'), 'update', 'leases', 'kube-node-lease', 'coordination.k8s.io'));
    expect(lease.admitted).toBe(true);
    await new Promise((r) => setImmediate(r));
    expect(admitted).toHaveLength(37);
    // Release every seat: the queued requests run, one queue after another.
    while (admitted.length > 0) {
      admitted.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    const results = await Promise.all(outcomes);
    expect(results.filter((r) => r === 'queue-full')).toHaveLength(5);
    expect(results.filter((r) => r === 'ok')).toHaveLength(337);
    expect((await another).admitted).toBe(true);
    fc.stop();
  });

  it('lends idle seats to a busy level every adjustment period', () => {
    let now = 0;
    const fc = flowControl(600, () => now);
    const gd = fc.levels.get('global-default')!;
    // A steady demand of 200 seats in global-default for one period, nothing elsewhere.
    gd.demand.set(200, 0);
    now = 10_000;
    fc.adjustBorrowing();
    expect(gd.currentCL).toBeGreaterThan(gd.nominalCL);
    const wl = fc.levels.get('workload-low')!;
    expect(wl.currentCL).toBeLessThan(wl.nominalCL);
    fc.stop();
  });

  it('allocates seats within bounds, proportionally to targets', () => {
    const a = allocateConcurrency(100, [
      { lowerBound: 10, upperBound: 100, target: 10 },
      { lowerBound: 0, upperBound: 100, target: 30 },
      { lowerBound: 5, upperBound: 20, target: 60 },
    ]);
    expect(a.reduce((n, x) => n + x, 0)).toBeCloseTo(100, 6);
    expect(a[2]).toBeCloseTo(20, 6);
    expect(a[1]! / a[0]!).toBeCloseTo(3, 6);
  });

  it('raises Retry-After while a level keeps dropping requests, and lowers it again', () => {
    let second = 0;
    const t = new RetryAfterTracker(() => second);
    expect(t.retryAfter('gd')).toBe(1);
    for (second = 0; second < 4; second++) for (let i = 0; i < 10; i++) t.recordDropped('gd');
    expect(t.retryAfter('gd')).toBeGreaterThan(1);
    const high = t.retryAfter('gd');
    for (second = 10; second < 60; second += 5) t.recordDropped('gd');
    expect(t.retryAfter('gd')).toBeLessThan(high);
  });
});

/** Many requests at once over their own connections (the shared test client keeps 64). */
function burst(sim: SimHandle, count: number, body: (i: number) => unknown, path: string): Promise<{ status: number; headers: Record<string, unknown> }[]> {
  const agent = new https.Agent({ ca: sim.caPem, keepAlive: false, maxSockets: count });
  const url = new URL(path, sim.url);
  return Promise.all(
    Array.from(
      { length: count },
      (_, i) =>
        new Promise<{ status: number; headers: Record<string, unknown> }>((resolve, reject) => {
          const payload = JSON.stringify(body(i));
          const req = https.request(url, { method: 'POST', agent, headers: { Authorization: `Bearer ${sim.token}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } }, (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
          });
          req.on('error', reject);
          req.end(payload);
        }),
    ),
  ).finally(() => agent.destroy());
}

/** POSTs whose bodies never finish: each holds its seat while the server waits for the rest. */
function holdSeats(sim: SimHandle, count: number): () => void {
  const reqs = Array.from({ length: count }, () => {
    const req = https.request(new URL('/api/v1/namespaces/default/configmaps', sim.url), {
      method: 'POST',
      ca: sim.caPem,
      agent: false,
      headers: { Authorization: `Bearer ${sim.token}`, 'Content-Type': 'application/json', 'Content-Length': '1000' },
    });
    req.on('error', () => undefined);
    req.write('{"metadata":');
    return req;
  });
  return () => reqs.forEach((r) => r.destroy());
}

describe('API Priority and Fairness in the sim', () => {
  let sim: SimHandle;
  let c: TestClient;
  let stop: () => Promise<void>;
  const logs: string[] = [];

  beforeAll(async () => {
    // A server of 40 seats in all: global-default gets 4 (3 at first), node-high 7, workload-high 7.
    const t = await startTestSim({
      storage: 'memory',
      nodes: 3,
      nodeLeaseIntervalMs: 200,
      maxRequestsInflight: 20,
      maxMutatingRequestsInflight: 20,
      log: (line) => logs.push(line),
    });
    sim = t.sim;
    c = t.client;
    stop = t.stop;
  }, 60_000);

  afterAll(async () => {
    await stop?.();
  });

  /** A cluster admin's requests (system:masters: exempt), which the overload below does not hold up. */
  const admin = { 'Impersonate-User': 'kubernetes-admin', 'Impersonate-Group': 'system:masters' };
  const metric = async (name: string, labels: Record<string, string>): Promise<number> =>
    find(parseSamples((await c.request('GET', '/metrics', undefined, admin)).text), name, labels).reduce((n, s) => n + s.value, 0);

  it('serves the default FlowSchemas and PriorityLevelConfigurations, read-only', async () => {
    const fs = await c.get('/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas');
    expect(fs.body.items.map((o: { metadata: { name: string } }) => o.metadata.name).sort()).toEqual(DEFAULT_FLOW_SCHEMAS.map((d) => d.name).sort());
    const gd = await c.get('/apis/flowcontrol.apiserver.k8s.io/v1/prioritylevelconfigurations/global-default');
    expect(gd.body.spec).toEqual({
      type: 'Limited',
      limited: { nominalConcurrencyShares: 20, lendablePercent: 50, limitResponse: { type: 'Queue', queuing: { queues: 128, handSize: 6, queueLengthLimit: 50 } } },
    });
    const write = await c.delete('/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas/global-default');
    expect(write.status).toBe(405);
    const discovery = await c.get('/apis/flowcontrol.apiserver.k8s.io/v1');
    expect(discovery.body.resources.find((r: { name: string }) => r.name === 'flowschemas').verbs).toEqual(['get', 'list', 'watch']);
    // Every classified answer names its schema and level by UID.
    expect(gd.headers['x-kubernetes-pf-flowschema-uid']).toBe((await c.get('/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas/global-default')).body.metadata.uid);
    expect(gd.headers['x-kubernetes-pf-prioritylevel-uid']).toBe(gd.body.metadata.uid);
    expect(await metric('apiserver_flowcontrol_nominal_limit_seats', { priority_level: 'node-high' })).toBe(7);
  });

  // Before the overload: with 4 seats in all, workload-low may lend its only seat away later.
  it('classifies impersonated users as the real impersonation filter builds them', async () => {
    const fsUid = async (name: string) => (await c.get(`/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas/${name}`)).body.metadata.uid;
    const asServiceAccount = await c.request('GET', '/api/v1/namespaces/default/configmaps', undefined, { 'Impersonate-User': 'system:serviceaccount:default:runner' });
    expect(asServiceAccount.headers['x-kubernetes-pf-flowschema-uid']).toBe(await fsUid('service-accounts'));
    const groupsOnly = await c.request('GET', '/api/v1/namespaces', undefined, { 'Impersonate-Group': 'system:masters' });
    expect(groupsOnly.status).toBe(500);
  });

  it("keeps node lease renewals and the scheduler going while the harness's creates overflow global-default", async () => {
    const gated = await c.post('/api/v1/namespaces/default/pods', { metadata: { name: 'gated' }, spec: { schedulingGates: [{ name: 'x' }], containers: [{ name: 'c', image: 'pause' }] } });
    expect(gated.status).toBe(201);
    const leaseBefore = await metric('apiserver_flowcontrol_dispatched_requests_total', { flow_schema: 'system-node-high', priority_level: 'node-high' });
    // The harness's user holds more seats than its level can ever have (even borrowing);
    // 400 creates then overflow the queues of its flow.
    const release = holdSeats(sim, 30);
    let results: Promise<{ status: number; headers: Record<string, unknown> }[]> | undefined;
    try {
      results = burst(sim, 400, (i) => ({ metadata: { name: `flood-${i}` }, data: {} }), '/api/v1/namespaces/default/configmaps');
      await eventually(
        () => metric('apiserver_flowcontrol_rejected_requests_total', { flow_schema: 'global-default', priority_level: 'global-default', reason: 'queue-full' }),
        (n) => n > 0,
        20_000,
        'creates to be refused',
      );

      // Meanwhile a cluster admin (exempt) releases the gated pod, and the scheduler (workload-high) binds it.
      const released = await c.request('PATCH', '/api/v1/namespaces/default/pods/gated', { spec: { schedulingGates: null } }, { ...admin, 'Content-Type': 'application/merge-patch+json' });
      expect(released.status).toBe(200);
      const bound = await eventually(() => c.request('GET', '/api/v1/namespaces/default/pods/gated', undefined, admin), (r) => !!r.body.spec?.nodeName, 20_000, 'the scheduler to bind the pod');
      expect(bound.body.spec.nodeName).toMatch(/^sim-node-/);

      // Node leases renew every 200 ms through node-high, never refused.
      await eventually(
        () => metric('apiserver_flowcontrol_dispatched_requests_total', { flow_schema: 'system-node-high', priority_level: 'node-high' }),
        (n) => n >= leaseBefore + 10,
        20_000,
        'lease renewals',
      );
    } finally {
      release();
    }
    const refused = (await results).filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    const gdUid = (await c.request('GET', '/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas/global-default', undefined, admin)).body.metadata.uid;
    expect(refused[0]!.headers['x-kubernetes-pf-flowschema-uid']).toBe(gdUid);
    expect(refused[0]!.headers['retry-after']).toMatch(/^[0-9]+$/);
    expect(await metric('apiserver_flowcontrol_rejected_requests_total', { priority_level: 'node-high' })).toBe(0);
    expect(await metric('apiserver_request_total', { resource: 'leases', code: '429' })).toBe(0);
    expect(logs.filter((l) => l.includes('lease renewal failed'))).toEqual([]);
    const samples = parseSamples((await c.request('GET', '/metrics', undefined, admin)).text);
    const wait = find(samples, 'apiserver_flowcontrol_request_wait_duration_seconds_bucket', { flow_schema: 'global-default', execute: 'true' }).map((s) => s.labels.le);
    expect(wait).toEqual(['0', '0.005', '0.02', '0.05', '0.1', '0.2', '0.5', '1', '2', '5', '10', '15', '30', '+Inf']);
    expect(find(samples, 'apiserver_flowcontrol_current_inqueue_requests', { priority_level: 'global-default' }).length).toBeGreaterThan(0);
    expect(find(samples, 'apiserver_flowcontrol_current_executing_requests', { priority_level: 'node-high' }).length).toBeGreaterThan(0);
  }, 90_000);

});

describe('with --enable-priority-and-fairness=false', () => {
  it('keeps the legacy max-inflight filter and sends no flow control headers', async () => {
    const t = await startTestSim({ storage: 'memory', nodes: 0, enablePriorityAndFairness: false });
    try {
      const res = await t.client.get('/api/v1/namespaces');
      expect(res.status).toBe(200);
      expect(res.headers['x-kubernetes-pf-flowschema-uid']).toBeUndefined();
      expect((await t.client.get('/metrics')).text).not.toContain('apiserver_flowcontrol_dispatched_requests_total{');
    } finally {
      await t.stop();
    }
  });
});
