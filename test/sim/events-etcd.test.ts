import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { eventually, startTestSim } from '../helpers/sim-fixture.js';

/** etcd_debugging_mvcc_keys_total from an etcd metrics endpoint. */
async function keysTotal(metricsUrl: string): Promise<number> {
  const res = await request(metricsUrl);
  const text = await res.body.text();
  const m = /^etcd_debugging_mvcc_keys_total (\S+)$/m.exec(text);
  if (!m) throw new Error(`no etcd_debugging_mvcc_keys_total at ${metricsUrl}`);
  return Number(m[1]);
}

const event = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name, namespace: 'default' },
  involvedObject: { kind: 'Pod', namespace: 'default', name: 'p' },
  reason: 'Test',
  message: 'kept where --events-etcd says',
  type: 'Normal',
});

describe('--events-etcd', () => {
  it('with etcd storage, Events are stored in the second etcd', async () => {
    const t = await startTestSim({ storage: 'etcd', eventsEtcd: true, nodes: 0 });
    try {
      const metrics = t.sim.endpoints.eventsEtcdMetrics;
      expect(metrics).toBeDefined();
      const before = await keysTotal(metrics!);
      for (const n of ['e1', 'e2', 'e3']) expect((await t.client.request('POST', '/api/v1/namespaces/default/events', event(n))).status).toBe(201);
      await eventually(() => keysTotal(metrics!), (k) => k >= before + 3, 10_000, 'three more keys in the events etcd');
      expect((await t.client.request('GET', '/api/v1/namespaces/default/events/e2')).status).toBe(200);
    } finally {
      await t.stop();
    }
  });

  it('with memory storage it has no effect, and the sim says so instead of refusing to start', async () => {
    const lines: string[] = [];
    const t = await startTestSim({ storage: 'memory', eventsEtcd: true, nodes: 0, log: (l) => lines.push(l) });
    try {
      expect(lines.some((l) => l.includes('--events-etcd has no effect with memory storage'))).toBe(true);
      expect(t.sim.endpoints.storage).toBe('memory');
      expect(t.sim.endpoints.eventsEtcdMetrics).toBeUndefined();
      expect((await t.client.request('POST', '/api/v1/namespaces/default/events', event('m1'))).status).toBe(201);
    } finally {
      await t.stop();
    }
  });
});
