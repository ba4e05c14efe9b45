/**
 * What API Priority and Fairness costs per request: pod creates per second against a sim
 * with the default limits (400 + 200), flow control on and off, client in the same process.
 * Run: npx tsx test/sim/measure/apf-overhead.ts [pods]
 */
import { Agent, request } from 'undici';
import { startSim } from '../../../src/sim/index.js';

const PODS = Number(process.argv[2] ?? 20000);

async function run(apf: boolean): Promise<number> {
  const sim = await startSim({ storage: 'memory', nodes: 100, enablePriorityAndFairness: apf });
  const dispatcher = new Agent({ connect: { ca: sim.caPem }, connections: 64 });
  const headers = { authorization: `Bearer ${sim.token}`, 'content-type': 'application/json' };
  try {
    let next = 0;
    let errors = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < PODS) {
          const i = next++;
          const body = JSON.stringify({ metadata: { name: `p-${i}` }, spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.9', resources: { requests: { cpu: '100m' } } }] } });
          const res = await request(`${sim.url}/api/v1/namespaces/default/pods`, { method: 'POST', headers, body, dispatcher });
          await res.body.text();
          if (res.statusCode !== 201) errors++;
        }
      }),
    );
    const perSec = PODS / ((performance.now() - t0) / 1000);
    console.log(`flow control ${apf ? 'on ' : 'off'}: ${perSec.toFixed(0)} creates/s, ${errors} errors`);
    return perSec;
  } finally {
    await dispatcher.close();
    await sim.stop();
  }
}

for (const apf of (process.env.APF_ONLY ? [true] : [false, true, false, true])) await run(apf);
