import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestClient } from '../helpers/sim-client.js';
import { startTestSim } from '../helpers/sim-fixture.js';

// Namespaces whose names begin with another's: a namespace's list is found by its key
// prefix in the sorted keys, and must hold that namespace's objects only, all of them.
const NAMESPACES = ['a', 'a-b', 'ab', 'b', 'a0'];

describe('listing one namespace among namespaces with similar names', () => {
  let client: TestClient;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    const t = await startTestSim({ storage: 'memory', nodes: 0 });
    client = t.client;
    stop = t.stop;
    for (const ns of NAMESPACES) {
      expect((await client.post('/api/v1/namespaces', { metadata: { name: ns } })).status).toBe(201);
      for (let i = 0; i < 3; i++) expect((await client.post(`/api/v1/namespaces/${ns}/configmaps`, { metadata: { name: `c${i}` } })).status).toBe(201);
    }
  }, 60_000);
  afterAll(async () => {
    await stop?.();
  });

  it('gives each namespace exactly its own objects, in name order, whole or paged', async () => {
    for (const ns of NAMESPACES) {
      // Each namespace also holds the root CA ConfigMap the sim's controller publishes.
      const all = await client.get<{ items: { metadata: { namespace: string; name: string } }[] }>(`/api/v1/namespaces/${ns}/configmaps`);
      const names = all.body.items.filter((o) => o.metadata.name !== 'kube-root-ca.crt').map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
      expect(names).toEqual([`${ns}/c0`, `${ns}/c1`, `${ns}/c2`]);
      expect(all.body.items.every((o) => o.metadata.namespace === ns)).toBe(true);
      const first = await client.get<{ items: unknown[]; metadata: { continue?: string } }>(`/api/v1/namespaces/${ns}/configmaps?limit=2`);
      const rest = await client.get<{ items: unknown[] }>(`/api/v1/namespaces/${ns}/configmaps?limit=10&continue=${encodeURIComponent(first.body.metadata.continue ?? '')}`);
      expect(first.body.items.length + rest.body.items.length).toBe(all.body.items.length);
    }
  });
});
