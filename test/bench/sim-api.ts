/**
 * npm run bench:sim-api — create/get/list throughput of the simulated apiserver and its
 * memory, for each storage mode. The sim runs in its own process (as `kbench sim`); this
 * process is the client: an undici pool of keep-alive HTTPS connections, a fixed number of
 * requests in flight (BENCH_CONCURRENCY, default 64; BENCH_CONNECTIONS, default the same).
 * Prints figures; it asserts nothing (targets: memory >= 5000 creates/s, etcd >= 1000).
 */
import { readFile } from 'node:fs/promises';
import { Pool } from 'undici';
import { parse } from 'yaml';
import { processRss, spawnSim } from '../../src/cluster/sim-process.js';

interface Kubeconfig {
  clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { user: { token: string } }[];
}

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
// undici's Pool sends one request per connection at a time (no pipelining): as many
// connections as requests in flight, or fewer would be in flight than CONCURRENCY says.
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? CONCURRENCY);
// Node's own https client tops out near 6000 requests/s on two cores even against a trivial
// server; undici leaves the sim, not the client, as the bottleneck.
const COUNTS: Record<string, number> = { memory: Number(process.env.BENCH_PODS_MEMORY ?? 30000), etcd: Number(process.env.BENCH_PODS_ETCD ?? 10000) };

function podBody(i: number): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `bench-${i}`, labels: { app: 'bench', shard: String(i % 10) } },
    spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.9', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] },
  });
}

async function runPhase(label: string, total: number, fire: (i: number) => Promise<number>): Promise<{ perSec: number; errors: number }> {
  let next = 0;
  let errors = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < total) {
        const i = next++;
        const status = await fire(i);
        if (status >= 300) errors++;
      }
    }),
  );
  const secs = (performance.now() - start) / 1000;
  const perSec = total / secs;
  console.log(`  ${label.padEnd(28)} ${String(total).padStart(7)} requests  ${perSec.toFixed(0).padStart(7)} /s  ${errors} errors`);
  return { perSec, errors };
}

async function bench(storage: 'memory' | 'etcd'): Promise<void> {
  const sim = await spawnSim(['--storage', storage, '--max-requests-inflight', '0', '--max-mutating-requests-inflight', '0']);
  try {
    const kc = parse(await readFile(sim.kubeconfig, 'utf8')) as Kubeconfig;
    const server = new URL(kc.clusters[0]!.cluster.server);
    const ca = Buffer.from(kc.clusters[0]!.cluster['certificate-authority-data'], 'base64').toString();
    const token = kc.users[0]!.user.token;
    const pool = new Pool(server.origin, { connections: CONNECTIONS, connect: { ca } });
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const request = async (method: 'GET' | 'POST', path: string, body?: string): Promise<{ status: number; body: string }> => {
      const res = await pool.request({ method, path, headers, body });
      return { status: res.statusCode, body: await res.body.text() };
    };
    await request('POST', '/api/v1/namespaces', JSON.stringify({ metadata: { name: 'bench' } }));
    const n = COUNTS[storage]!;
    const inFlight = Math.min(CONCURRENCY, CONNECTIONS);
    console.log(`\n${storage} storage (${sim.url}), ${inFlight} requests in flight over ${CONNECTIONS} keep-alive connections:`);
    const create = await runPhase('create pod', n, async (i) => (await request('POST', '/api/v1/namespaces/bench/pods', podBody(i))).status);
    await runPhase('get pod', n, async (i) => (await request('GET', `/api/v1/namespaces/bench/pods/bench-${i}`)).status);
    const lists = Math.max(20, Math.floor(n / 1000));
    await runPhase('list 500 pods (limit=500)', lists * 10, async () => (await request('GET', '/api/v1/namespaces/bench/pods?limit=500')).status);
    const fullStart = performance.now();
    const full = await request('GET', '/api/v1/namespaces/bench/pods');
    const items = (JSON.parse(full.body) as { items: unknown[] }).items.length;
    console.log(`  ${'list all pods (one request)'.padEnd(28)} ${String(items).padStart(7)} items    ${((performance.now() - fullStart) / 1000).toFixed(2)} s`);
    const rss = await sim.rssBytes();
    console.log(`  sim RSS after ${n} pods: ${rss ? (rss / 2 ** 20).toFixed(0) : '?'} MiB`);
    if (storage === 'etcd') {
      const pgrep = await import('node:child_process').then((cp) => cp.execSync(`pgrep -P ${sim.pid} etcd || true`).toString().trim());
      const etcdRss = pgrep ? await processRss(Number(pgrep.split('\n')[0])) : undefined;
      if (etcdRss) console.log(`  etcd RSS: ${(etcdRss / 2 ** 20).toFixed(0)} MiB`);
    }
    const target = storage === 'memory' ? 5000 : 1000;
    console.log(`  create throughput ${create.perSec.toFixed(0)}/s vs target ${target}/s: ${create.perSec >= target ? 'met' : 'NOT met'}`);
    await pool.close();
  } finally {
    await sim.stop();
  }
}

const modes = (process.argv[2] ?? 'memory,etcd').split(',') as ('memory' | 'etcd')[];
console.log(`bench:sim-api on ${(await import('node:os')).cpus().length} CPUs, node ${process.version}`);
for (const m of modes) await bench(m);
