import { describe, expect, it } from 'vitest';
import { startTestSim } from '../helpers/sim-fixture.js';

/** The REST layer's per-resource behaviour, as each resource's definition declares it. */
describe('sim REST verbs and subresources', () => {
  async function generatedNames(seed: number): Promise<string[]> {
    const t = await startTestSim({ storage: 'memory', nodes: 0, seed });
    try {
      const names: string[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await t.client.post('/api/v1/namespaces/default/configmaps', { metadata: { generateName: 'gen-' }, data: {} });
        expect(res.status).toBe(201);
        names.push(res.body.metadata.name);
      }
      return names;
    } finally {
      await t.stop();
    }
  }

  it('generates names from the seeded random source', async () => {
    const a = await generatedNames(7);
    expect(a.every((n) => /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/.test(n))).toBe(true);
    expect(await generatedNames(7)).toEqual(a);
    expect(await generatedNames(8)).not.toEqual(a);
  });

  it('serves a subresource only with the verbs its resource gives it', async () => {
    const t = await startTestSim({ storage: 'memory', nodes: 0 });
    const c = t.client;
    try {
      await c.post('/api/v1/namespaces/default/pods', { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'pause' }] } });
      // binding: create only; status: the generic verbs; finalize: update only.
      expect((await c.get('/api/v1/namespaces/default/pods/p/binding')).status).toBe(405);
      expect((await c.get('/api/v1/namespaces/default/pods/p/status')).body.metadata.name).toBe('p');
      expect((await c.post('/api/v1/namespaces/default/pods/p/status', {})).status).toBe(405);
      const bound = await c.post('/api/v1/namespaces/default/pods/p/binding', { metadata: { name: 'p' }, target: { kind: 'Node', name: 'n1' } });
      expect(bound.status).toBe(201);
      expect((await c.get('/api/v1/namespaces/default/pods/p')).body.spec.nodeName).toBe('n1');
      expect((await c.get('/api/v1/namespaces/default/finalize')).status).toBe(405);
      expect((await c.patch('/api/v1/namespaces/default/finalize', { spec: {} })).status).toBe(405);
      // Deleting a pod answers with the pod (ReturnDeletedObject); a ConfigMap with a Status.
      const pod = await c.delete('/api/v1/namespaces/default/pods/p', { gracePeriodSeconds: 0 });
      expect(pod.body.kind).toBe('Pod');
      await c.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'cm' } });
      expect((await c.delete('/api/v1/namespaces/default/configmaps/cm')).body).toMatchObject({ kind: 'Status', status: 'Success' });
    } finally {
      await t.stop();
    }
  });

  it('skips a write that changes nothing (same resourceVersion, no watch event) and writes one that does', async () => {
    const t = await startTestSim({ storage: 'memory', nodes: 0 });
    const c = t.client;
    try {
      const made = await c.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'cm', labels: { a: '1' } }, data: { k: 'v' } });
      const rv0 = made.body.metadata.resourceVersion as string;
      // From the watch cache (the first attempt) and with a precondition on the version.
      const same = await c.patch('/api/v1/namespaces/default/configmaps/cm', { data: { k: 'v' } });
      expect(same.status).toBe(200);
      expect(same.body.metadata.resourceVersion).toBe(rv0);
      const pinned = await c.patch('/api/v1/namespaces/default/configmaps/cm', { metadata: { resourceVersion: rv0 }, data: { k: 'v' } });
      expect(pinned.body.metadata.resourceVersion).toBe(rv0);
      const changed = await c.patch('/api/v1/namespaces/default/configmaps/cm', { data: { k: 'w' } });
      expect(Number(changed.body.metadata.resourceVersion)).toBeGreaterThan(Number(rv0));
      expect(changed.body.data).toEqual({ k: 'w' });
      // A change that keeps the length of the JSON is a change too.
      const sameLength = await c.patch('/api/v1/namespaces/default/configmaps/cm', { data: { k: 'x' } });
      expect(Number(sameLength.body.metadata.resourceVersion)).toBeGreaterThan(Number(changed.body.metadata.resourceVersion));
      expect((await c.get('/api/v1/namespaces/default/configmaps/cm')).body.data).toEqual({ k: 'x' });
      // Only the two real writes reached the watch: ADDED, then two MODIFIED.
      const list = await c.get(`/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${Number(rv0) - 1}&timeoutSeconds=1`);
      const events = list.text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string });
      expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'MODIFIED']);
    } finally {
      await t.stop();
    }
  });
});
