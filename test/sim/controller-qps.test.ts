import { describe, expect, it } from 'vitest';
import { startTestSim } from '../helpers/sim-fixture.js';

/** Pods created per second by the ReplicaSet controller for a 300-replica Deployment. */
async function podCreationRate(controllerQps: number): Promise<number> {
  const t = await startTestSim({ storage: 'memory', nodes: 10, controllerQps, controllerBurst: 30, schedulerQps: 1000, schedulerBurst: 1000 });
  try {
    const c = t.client;
    await c.post('/api/v1/namespaces', { metadata: { name: 'qps' } });
    const w = c.watch('/api/v1/namespaces/qps/pods?labelSelector=app%3Dqps');
    const arrivals: number[] = [];
    let seen = 0;
    await c.post('/apis/apps/v1/namespaces/qps/deployments', {
      metadata: { name: 'qps' },
      spec: {
        replicas: 300,
        selector: { matchLabels: { app: 'qps' } },
        template: { metadata: { labels: { app: 'qps' } }, spec: { containers: [{ name: 'a', image: 'pause', resources: { requests: { cpu: '10m' } } }] } },
      },
    });
    await w.until((events) => {
      for (; seen < events.length; seen++) if (events[seen]!.type === 'ADDED') arrivals.push(performance.now());
      return arrivals.length >= 300;
    }, 120_000);
    w.stop();
    // Leave out the first 50 (the limiter's burst): the steady rate is what the limit sets.
    return 200 / ((arrivals[249]! - arrivals[49]!) / 1000);
  } finally {
    await t.stop();
  }
}

describe('--controller-qps throttles the controllers like kube-controller-manager --kube-api-qps', () => {
  it('creates pods near 20/s at qps 20 and several times faster at qps 100', async () => {
    const slow = await podCreationRate(20);
    const fast = await podCreationRate(100);
    // The limiter caps the slow rate whatever the machine; the ratio shows the knob works.
    expect(slow).toBeLessThan(24);
    expect(slow).toBeGreaterThan(10);
    expect(fast / slow).toBeGreaterThan(2.5);
  });
});
