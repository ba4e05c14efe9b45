import { CoreV1Api, KubeConfig, makeInformer, type V1ConfigMap } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { find, parseSamples } from '../helpers/prom-text.js';
import type { TestClient } from '../helpers/sim-client.js';
import { eventually, startTestSim, STORAGE_MODES } from '../helpers/sim-fixture.js';

describe.each(STORAGE_MODES)('@kubernetes/client-node informer against the sim (%s storage)', (storage) => {
  let client: TestClient;
  let stop: () => Promise<void>;
  let kc: KubeConfig;

  beforeAll(async () => {
    // Watches end after 1-2 s, so the informer reconnects (resuming from its last
    // resourceVersion) several times while the test changes objects.
    const t = await startTestSim({ storage, minRequestTimeoutSeconds: 1 });
    client = t.client;
    stop = t.stop;
    kc = new KubeConfig();
    kc.loadFromFile(t.sim.kubeconfigPath);
    expect((await client.post('/api/v1/namespaces', { metadata: { name: 'inf' } })).status).toBe(201);
  }, 60_000);

  afterAll(async () => {
    await stop?.();
  });

  it('sees every create, update and delete exactly once across watch reconnects', async () => {
    const api = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer<V1ConfigMap>(kc, '/api/v1/namespaces/inf/configmaps', () => api.listNamespacedConfigMap({ namespace: 'inf' }));
    const seen: string[] = [];
    let connects = 0;
    // Every namespace has the root CA publisher's ConfigMap, as on a real cluster; when it
    // arrives is the controller's business, not this test's.
    const ours = (o: V1ConfigMap): boolean => o.metadata?.name !== 'kube-root-ca.crt';
    informer.on('add', (o) => ours(o) && seen.push(`add ${o.metadata?.name}`));
    informer.on('update', (o) => ours(o) && seen.push(`update ${o.metadata?.name} ${o.data?.v}`));
    informer.on('delete', (o) => ours(o) && seen.push(`delete ${o.metadata?.name}`));
    informer.on('connect', () => connects++);
    let stopping = false;
    // client-node reports its own abort on stop() as an error; anything before that is real.
    informer.on('error', (e) => {
      if (!stopping) seen.push(`error ${String(e)}`);
    });
    await informer.start();

    const expected: string[] = [];
    const watchesBefore = find(parseSamples((await client.get('/metrics')).text), 'apiserver_request_total', { verb: 'WATCH', resource: 'configmaps' }).reduce((n, s) => n + s.value, 0);
    for (let round = 0; round < 4; round++) {
      const name = `cm-${round}`;
      await client.post('/api/v1/namespaces/inf/configmaps', { metadata: { name }, data: { v: '0' } });
      expected.push(`add ${name}`);
      await client.patch(`/api/v1/namespaces/inf/configmaps/${name}`, { data: { v: '1' } });
      expected.push(`update ${name} 1`);
      if (round % 2 === 0) {
        await client.delete(`/api/v1/namespaces/inf/configmaps/${name}`);
        expected.push(`delete ${name}`);
      }
      // Let the server end the current watch so the next round lands on a new one.
      await new Promise((r) => setTimeout(r, 2200));
    }
    await eventually(() => seen.length, (n) => n >= expected.length, 20_000, 'all events');
    await new Promise((r) => setTimeout(r, 500));
    stopping = true;
    await informer.stop();

    expect(seen).toEqual(expected);
    expect(informer.list().filter(ours).map((o) => o.metadata?.name).sort()).toEqual(['cm-1', 'cm-3']);
    const watchesAfter = find(parseSamples((await client.get('/metrics')).text), 'apiserver_request_total', { verb: 'WATCH', resource: 'configmaps' }).reduce((n, s) => n + s.value, 0);
    // More than one watch request was needed: the informer did reconnect.
    expect(watchesAfter - watchesBefore).toBeGreaterThanOrEqual(2);
    expect(connects).toBeGreaterThanOrEqual(1);
  });
});
