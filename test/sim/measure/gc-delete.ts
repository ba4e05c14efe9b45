/**
 * How long the sim takes to delete the pods of a 400-pod run (20 Deployments of 20
 * replicas) through the garbage collector: delete the Deployments (background propagation)
 * and wait until no pod is left. Prints the time and the number of GET replicasets
 * answered 404 (the collector asking for owners already deleted), with the sim's default
 * controller QPS (20). Run: npx tsx test/sim/measure/gc-delete.ts
 */
import { startSim } from '../../../src/sim/index.js';
import { TestClient } from '../../helpers/sim-client.js';

const DEPLOYMENTS = 20;
const REPLICAS = 20;

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function notFoundGets(c: TestClient): Promise<number> {
  const text = (await c.get('/metrics')).text;
  let n = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('apiserver_request_total{') && line.includes('verb="GET"') && line.includes('resource="replicasets"') && line.includes('code="404"')) {
      n += Number(line.split(' ').pop());
    }
  }
  return n;
}

const sim = await startSim({ storage: 'memory', nodes: 20, podStartupDelayMs: 100, podStartupJitterMs: 50 });
const c = new TestClient({ url: sim.url, token: sim.token, caPem: sim.caPem });
try {
  await c.post('/api/v1/namespaces', { metadata: { name: 'gc' } });
  for (let i = 0; i < DEPLOYMENTS; i++) {
    const name = `d${i}`;
    const res = await c.post('/apis/apps/v1/namespaces/gc/deployments', {
      metadata: { name },
      spec: {
        replicas: REPLICAS,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { terminationGracePeriodSeconds: 5, containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.9' }] } },
      },
    });
    if (res.status !== 201) throw new Error(`create ${name}: ${res.status} ${res.text}`);
  }
  await until('400 running pods', async () => {
    const items = (await c.get('/api/v1/namespaces/gc/pods')).body.items as { status: { phase: string } }[];
    return items.length === DEPLOYMENTS * REPLICAS && items.every((p) => p.status.phase === 'Running');
  });
  const before = await notFoundGets(c);
  const t0 = performance.now();
  for (let i = 0; i < DEPLOYMENTS; i++) await c.delete(`/apis/apps/v1/namespaces/gc/deployments/d${i}`, { propagationPolicy: 'Background' });
  await until('every pod to go', async () => ((await c.get('/api/v1/namespaces/gc/pods')).body.items as unknown[]).length === 0);
  const secs = (performance.now() - t0) / 1000;
  console.log(`${DEPLOYMENTS * REPLICAS} pods deleted through their Deployments in ${secs.toFixed(1)} s; GET replicasets answered 404: ${(await notFoundGets(c)) - before}`);
} finally {
  c.close();
  await sim.stop();
}
