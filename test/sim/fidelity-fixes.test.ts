import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { find, parseSamples } from '../helpers/prom-text.js';
import type { TestClient } from '../helpers/sim-client.js';
import { eventually, startTestSim } from '../helpers/sim-fixture.js';

/**
 * The four differences from a real control plane that issue 12 names, checked on the sim
 * alone (test/fidelity/ checks them against the real one where Go is installed).
 */
describe('the sim where real clients found it differed', () => {
  let c: TestClient;
  let stop: () => Promise<void>;
  const ns = '/api/v1/namespaces/fix';

  beforeAll(async () => {
    const t = await startTestSim({ storage: 'memory', nodes: 3, podStartupDelayMs: 50, podStartupJitterMs: 10 });
    c = t.client;
    stop = t.stop;
    expect((await c.post('/api/v1/namespaces', { metadata: { name: 'fix' } })).status).toBe(201);
  }, 60_000);

  afterAll(async () => {
    await stop?.();
  });

  /** Every object's keys in reverse order: the same pod to a Go decoder. */
  const reorder = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(reorder) : typeof v === 'object' && v !== null ? Object.fromEntries(Object.keys(v).reverse().map((k) => [k, reorder((v as Record<string, unknown>)[k])])) : v;

  it('a pod read back, re-encoded with its keys re-ordered and PUT with spec.activeDeadlineSeconds is 200', async () => {
    const pod = { metadata: { name: 'rmw' }, spec: { schedulingGates: [{ name: 'x/hold' }], containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.9' }] } };
    await eventually(() => c.post(`${ns}/pods`, pod), (r) => r.status === 201, 15_000, 'the pod created');
    const got = (await c.get(`${ns}/pods/rmw`)).body;
    got.spec.activeDeadlineSeconds = 600;
    const put = await c.put(`${ns}/pods/rmw`, reorder(got));
    expect(put.status, put.text).toBe(200);
    expect(put.body.spec.activeDeadlineSeconds).toBe(600);
    // A real change of a field an update may not change is still refused.
    put.body.spec.restartPolicy = 'Never';
    expect((await c.put(`${ns}/pods/rmw`, reorder(put.body))).status).toBe(422);
  });

  it('finds the scheduler\'s events by involvedObject.kind=Pod,source=default-scheduler', async () => {
    expect((await c.post(`${ns}/pods`, { metadata: { name: 'ev' }, spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.9' }] } })).status).toBe(201);
    const q = `${ns}/events?fieldSelector=${encodeURIComponent('involvedObject.kind=Pod,source=default-scheduler,involvedObject.name=ev')}`;
    const r = await eventually(() => c.get(q), (x) => x.body.items?.length === 1, 30_000, 'the Scheduled event');
    expect(r.body.items[0].reason).toBe('Scheduled');
  });

  it('the garbage collector fetches a deleted owner once, not once per dependent', async () => {
    const rs = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'gc' },
      spec: { replicas: 30, selector: { matchLabels: { rs: 'gc' } }, template: { metadata: { labels: { rs: 'gc' } }, spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.9' }] } } },
    };
    expect((await c.post('/apis/apps/v1/namespaces/fix/replicasets', rs)).status).toBe(201);
    await eventually(() => c.get(`${ns}/pods?labelSelector=rs%3Dgc`), (r) => r.body.items.length === 30, 60_000, '30 pods');
    const gets404 = async (): Promise<number> =>
      find(parseSamples((await c.get('/metrics')).text), 'apiserver_request_total', { verb: 'GET', resource: 'replicasets', code: '404' }).reduce((a, s) => a + s.value, 0);
    const before = await gets404();
    expect((await c.delete('/apis/apps/v1/namespaces/fix/replicasets/gc')).status).toBe(200);
    await eventually(() => c.get(`${ns}/pods?labelSelector=rs%3Dgc`), (r) => r.body.items.length === 0, 60_000, 'the pods collected');
    // At most one lookup per collector worker (4) racing before the first answer is remembered.
    expect((await gets404()) - before).toBeLessThanOrEqual(4);
  });
});
