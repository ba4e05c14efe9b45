import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestClient } from '../helpers/sim-client.js';
import { find, parseSamples } from '../helpers/prom-text.js';
import { eventually, startTestSim } from '../helpers/sim-fixture.js';

/**
 * Differences from a real control plane that real clients found (issue 12), each checked
 * against what the real apiserver and controllers do.
 */

type Json = Record<string, any>;

/** The same JSON with every object's keys in reverse order, as a re-encoding client may send it. */
function reorderKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reorderKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .reverse()
        .map((k) => [k, reorderKeys((v as Json)[k])]),
    );
  }
  return v;
}

describe('sim differences from the real control plane, fixed', () => {
  let c: TestClient;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    const t = await startTestSim({ storage: 'memory', nodes: 2, podStartupDelayMs: 50, podStartupJitterMs: 0, podTerminationDelayMs: 50 });
    c = t.client;
    stop = t.stop;
    expect((await c.post('/api/v1/namespaces', { metadata: { name: 'fid' } })).status).toBe(201);
  }, 60_000);

  afterAll(async () => {
    await stop?.();
  });

  it('accepts a pod read back, re-encoded with its keys in another order and PUT with activeDeadlineSeconds set', async () => {
    const created = await eventually(
      () => c.post('/api/v1/namespaces/fid/pods', { metadata: { name: 'rmw' }, spec: { nodeName: 'elsewhere', containers: [{ name: 'c', image: 'busybox:1.36', resources: { requests: { cpu: '100m' } } }] } }),
      (r) => r.status === 201,
      15_000,
      'the pod to be created',
    );
    expect(created.status).toBe(201);
    // On a node that does not exist: nothing else writes the pod meanwhile.
    const read = (await c.get('/api/v1/namespaces/fid/pods/rmw')).body as Json;
    read.spec.activeDeadlineSeconds = 600;
    const put = await c.put('/api/v1/namespaces/fid/pods/rmw', reorderKeys(read));
    expect(put.body.message).toBeUndefined();
    expect(put.status).toBe(200);
    expect(put.body.spec.activeDeadlineSeconds).toBe(600);

    // The mutable fields, as ValidatePodUpdate allows them.
    const cur = (): Promise<Json> => c.get('/api/v1/namespaces/fid/pods/rmw').then((r) => r.body as Json);
    // A read-modify-write retried on conflict, as client-go's RetryOnConflict (the kubelet writes status meanwhile).
    const putWith = async (change: (p: Json) => void): Promise<number> => {
      for (;;) {
        const p = await cur();
        change(p);
        const status = (await c.put('/api/v1/namespaces/fid/pods/rmw', reorderKeys(p))).status;
        if (status !== 409) return status;
      }
    };
    expect(await putWith((p) => (p.spec.activeDeadlineSeconds = 300))).toBe(200); // decreased
    expect(await putWith((p) => (p.spec.activeDeadlineSeconds = 900))).toBe(422); // increased
    expect(await putWith((p) => delete p.spec.activeDeadlineSeconds)).toBe(422); // unset again
    expect(await putWith((p) => (p.spec.containers[0].image = 'busybox:1.37'))).toBe(200);
    expect(await putWith((p) => p.spec.tolerations.push({ key: 'k', operator: 'Exists', effect: 'NoSchedule' }))).toBe(200);
    expect(await putWith((p) => p.spec.tolerations.shift())).toBe(422); // removed
    expect(await putWith((p) => (p.spec.tolerations[0].tolerationSeconds = 60))).toBe(200); // only its seconds changed
    expect(await putWith((p) => (p.spec.restartPolicy = 'Never'))).toBe(422);
    expect(await putWith((p) => p.spec.containers.push({ name: 'd', image: 'busybox:1.36' }))).toBe(422);
    // The same quantity written another way, and fields the server defaults left out, are no change.
    expect(await putWith((p) => (p.spec.containers[0].resources.requests.cpu = '0.1'))).toBe(200);
    expect(await putWith((p) => delete p.spec.dnsPolicy)).toBe(200);
    expect(await putWith((p) => (p.spec.containers[0].resources.requests.cpu = '200m'))).toBe(422);
    const latest = await cur();
    const refused = await c.put('/api/v1/namespaces/fid/pods/rmw', { ...latest, spec: { ...latest.spec, restartPolicy: 'Never' } });
    expect(refused.body.details.causes[0]).toMatchObject({ reason: 'FieldValueForbidden', field: 'spec' });
    expect(refused.body.details.causes[0].message).toContain('pod updates may not change fields other than `spec.containers[*].image`');
  });

  it("finds the scheduler's events.k8s.io events through core/v1 with source=default-scheduler", async () => {
    await c.post('/api/v1/namespaces/fid/pods', { metadata: { name: 'sched' }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } });
    const q = `/api/v1/namespaces/fid/events?fieldSelector=${encodeURIComponent('involvedObject.kind=Pod,involvedObject.name=sched,source=default-scheduler')}`;
    const found = await eventually(() => c.get(q), (r) => r.status === 200 && r.body.items.length > 0, 15_000, 'the Scheduled event');
    expect(found.body.items[0]).toMatchObject({ reason: 'Scheduled', reportingComponent: 'default-scheduler', involvedObject: { kind: 'Pod', name: 'sched' } });
    const all = await c.get(`/api/v1/events?fieldSelector=${encodeURIComponent('involvedObject.kind=Pod,source=default-scheduler')}`);
    expect(all.body.items.some((e: Json) => e.involvedObject.name === 'sched')).toBe(true);
    // A set source.component wins over reportingController, as EventToSelectableFields has it.
    const own = await c.post('/api/v1/namespaces/fid/events', {
      metadata: { name: 'own' },
      involvedObject: { kind: 'Pod', name: 'sched', namespace: 'fid' },
      reason: 'Mine',
      source: { component: 'mine' },
      reportingComponent: 'other',
      reportingInstance: 'x',
    });
    expect(own.status).toBe(201);
    const bySource = await c.get(`/api/v1/namespaces/fid/events?fieldSelector=${encodeURIComponent('source=mine')}`);
    expect(bySource.body.items.map((e: Json) => e.metadata.name)).toEqual(['own']);
    expect((await c.get(`/api/v1/namespaces/fid/events?fieldSelector=${encodeURIComponent('source=other')}`)).body.items).toEqual([]);

    // events.k8s.io/v1 takes its own field labels (regarding.*, reportingController, source), not core/v1's.
    const v1 = await c.get(`/apis/events.k8s.io/v1/namespaces/fid/events?fieldSelector=${encodeURIComponent('regarding.name=sched,reportingController=default-scheduler,source=default-scheduler')}`);
    expect(v1.status).toBe(200);
    expect(v1.body.items.map((e: Json) => e.reason)).toContain('Scheduled');
    const coreLabel = await c.get(`/apis/events.k8s.io/v1/namespaces/fid/events?fieldSelector=${encodeURIComponent('involvedObject.name=sched')}`);
    expect(coreLabel.status).toBe(400);
    expect(coreLabel.body.message).toBe('field label not supported: involvedObject.name');
  });

  it('collects the dependents of a deleted owner without asking for the owner once per dependent', async () => {
    const replicas = 12;
    const rs = await c.post('/apis/apps/v1/namespaces/fid/replicasets', {
      metadata: { name: 'owner' },
      spec: {
        replicas,
        selector: { matchLabels: { app: 'owner' } },
        template: { metadata: { labels: { app: 'owner' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } },
      },
    });
    expect(rs.status).toBe(201);
    const podsOf = () => c.get('/api/v1/namespaces/fid/pods?labelSelector=app%3Downer').then((r) => r.body.items as Json[]);
    await eventually(podsOf, (items) => items.length === replicas && items.every((p) => p.status.phase === 'Running'), 30_000, 'the pods to run');
    const notFoundGets = async (): Promise<number> =>
      find(parseSamples((await c.get('/metrics')).text), 'apiserver_request_total', { verb: 'GET', resource: 'replicasets', code: '404' }).reduce((n, s) => n + s.value, 0);
    const before = await notFoundGets();
    expect((await c.delete('/apis/apps/v1/namespaces/fid/replicasets/owner', { propagationPolicy: 'Background' })).status).toBe(200);
    await eventually(podsOf, (items) => items.length === 0, 60_000, 'the dependents to be collected');
    // The real collector records an owner it saw deleted (or found missing) in its absentOwnerCache.
    expect((await notFoundGets()) - before).toBeLessThanOrEqual(1);
  });
});
