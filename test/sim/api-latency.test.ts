import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSim } from '../helpers/sim-fixture.js';

/**
 * sim.apiLatency (npm run bench:detection injects it as a known regression): every request
 * but watches waits that long before it is served, so the wait shows in the client's
 * latency and in the apiserver's own request histogram. Only lower bounds are asserted: a
 * loaded machine adds time, never removes it.
 */
describe('sim apiLatency', () => {
  const LATENCY_MS = 1000;
  let t: Awaited<ReturnType<typeof startTestSim>>;
  beforeAll(async () => {
    t = await startTestSim({ storage: 'memory', nodes: 0, apiLatencyMs: LATENCY_MS });
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
  });

  it('delays every API request by at least the setting, as the client sees it', async () => {
    let t0 = performance.now();
    const created = await t.client.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'slow' }, data: {} });
    expect(created.status).toBe(201);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(LATENCY_MS);
    t0 = performance.now();
    const got = await t.client.get('/api/v1/namespaces/default/configmaps/slow');
    expect(got.status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(LATENCY_MS);
  });

  it('counts the wait in apiserver_request_duration_seconds', async () => {
    await t.client.get('/api/v1/namespaces/default/configmaps');
    const metrics = await t.client.get('/metrics');
    expect(metrics.status).toBe(200);
    const line = (le: string): number => {
      const m = new RegExp(`^apiserver_request_duration_seconds_bucket\\{[^}]*verb="LIST"[^}]*resource="configmaps"[^}]*le="${le.replace(/[.+]/g, '\\$&')}"\\} (\\d+)`, 'm').exec(metrics.text);
      if (!m) throw new Error(`no LIST configmaps bucket le="${le}" in /metrics`);
      return Number(m[1]);
    };
    // The LIST waited a second: none in a bucket below it, all of it in +Inf.
    expect(line('+Inf')).toBeGreaterThanOrEqual(1);
    expect(line('0.8')).toBe(0);
  });
});
