/**
 * The sim's heap with N pods (most of them unschedulable, as in bench:sim-api), after a
 * forced garbage collection: a steadier figure than RSS for comparing two versions.
 * Run: node --expose-gc --import tsx test/sim/measure/heap.ts [pods]
 */
import { Agent, request } from 'undici';
import { startSim } from '../../../src/sim/index.js';

const PODS = Number(process.argv[2] ?? 30000);
const sim = await startSim({ storage: 'memory', nodes: Number(process.env.HEAP_NODES ?? 100), maxRequestsInflight: 0, maxMutatingRequestsInflight: 0, schedulerQps: 0, controllerQps: 0 });
const dispatcher = new Agent({ connect: { ca: sim.caPem }, connections: 64 });
const headers = { authorization: `Bearer ${sim.token}`, 'content-type': 'application/json' };
try {
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < PODS) {
        const i = next++;
        const body = JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `p-${i}`, labels: { app: 'bench', shard: String(i % 10) } },
          spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.9', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] },
        });
        const res = await request(`${sim.url}/api/v1/namespaces/default/pods`, { method: 'POST', headers, body, dispatcher });
        await res.body.text();
      }
    }),
  );
  // Let the scheduler and kubelets settle.
  await new Promise((r) => setTimeout(r, 20_000));
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  gc();
  const m = process.memoryUsage();
  console.log(`${PODS} pods: heapUsed ${(m.heapUsed / 2 ** 20).toFixed(0)} MiB, rss ${(m.rss / 2 ** 20).toFixed(0)} MiB`);
} finally {
  await dispatcher.close();
  await sim.stop();
}
