/**
 * npm run bench:sim — how fast the simulated cluster takes pods from created to Running,
 * and what it costs in memory, for each storage mode. The sim runs as `kbench sim` in its
 * own process with 1,000 nodes and client rate limits lifted (this measures the sim, not
 * the limits it models); this process creates Deployments (1,000 replicas each, as the
 * PayPal workload created pods) and watches every pod to Running. The ReplicaSet
 * controller, scheduler and kubelets of the sim do the rest.
 *
 *   npm run bench:sim                 10,000 pods on 1,000 nodes, memory then etcd
 *   npm run bench:sim -- --scale      4,100 nodes and 150,000 pods (memory): the 150k-pod capacity check
 *
 * Prints figures; asserts nothing (targets: memory >= 1000 pods/s, etcd >= 250 pods/s;
 * 150,000 pods within 8 GiB).
 */
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { Pool } from 'undici';
import { parse } from 'yaml';
import { processRss, spawnSim } from '../../src/cluster/sim-process.js';

interface Kubeconfig {
  clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { user: { token: string } }[];
}

const scale = process.argv.includes('--scale');
const modes = scale ? (['memory'] as const) : ((process.env.BENCH_MODES?.split(',') ?? ['memory', 'etcd']) as ('memory' | 'etcd')[]);
const NODES = scale ? 4100 : 1000;
const PODS = scale ? 150_000 : 10_000;
const NAMESPACES = scale ? 30 : 4;
const REPLICAS = scale ? 250 : 1000;

function mib(bytes: number | undefined): string {
  return bytes === undefined ? '?' : `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

async function bench(storage: 'memory' | 'etcd'): Promise<void> {
  const flags = ['--storage', storage, '--nodes', String(NODES), '--scheduler-qps', '0', '--controller-qps', '0', '--max-requests-inflight', '0', '--max-mutating-requests-inflight', '0'];
  const startedAt = performance.now();
  const sim = await spawnSim(flags, { startTimeoutMs: 300_000 });
  console.log(`\n${storage} storage: ${NODES} nodes registered in ${((performance.now() - startedAt) / 1000).toFixed(1)} s; sim RSS ${mib(await sim.rssBytes())}`);
  try {
    const kc = parse(await readFile(sim.kubeconfig, 'utf8')) as Kubeconfig;
    const server = new URL(kc.clusters[0]!.cluster.server);
    const ca = Buffer.from(kc.clusters[0]!.cluster['certificate-authority-data'], 'base64').toString();
    const headers = { authorization: `Bearer ${kc.users[0]!.user.token}`, 'content-type': 'application/json' };
    const pool = new Pool(server.origin, { connections: 16, connect: { ca }, bodyTimeout: 0, headersTimeout: 0 });
    for (let n = 0; n < NAMESPACES; n++) {
      const res = await pool.request({ method: 'POST', path: '/api/v1/namespaces', headers, body: JSON.stringify({ metadata: { name: `bench-${n}` } }) });
      await res.body.text();
    }

    // Watch every pod: stamp when it appears and when it is Running, as events arrive.
    const created = new Map<string, number>();
    const running = new Map<string, number>();
    let runningCount = 0;
    let done!: () => void;
    const allRunning = new Promise<void>((r) => (done = r));
    const watch = await pool.request({ method: 'GET', path: '/api/v1/pods?watch=true&labelSelector=app%3Dbench&resourceVersion=0', headers });
    let buf = '';
    watch.body.setEncoding('utf8');
    watch.body.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const ev = JSON.parse(line) as { object: { metadata: { name: string }; status?: { phase?: string } } };
        const name = ev.object.metadata.name;
        if (!created.has(name)) created.set(name, performance.now());
        if (ev.object.status?.phase === 'Running' && !running.has(name)) {
          running.set(name, performance.now());
          if (++runningCount === PODS) done();
        }
      }
    });

    const t0 = performance.now();
    let errors = 0;
    const deployments = PODS / REPLICAS;
    for (let d = 0; d < deployments; d++) {
      const body = JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: `bench-${d}` },
        spec: {
          replicas: REPLICAS,
          selector: { matchLabels: { app: 'bench', deployment: `bench-${d}` } },
          template: {
            metadata: { labels: { app: 'bench', deployment: `bench-${d}` } },
            spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.9', resources: { requests: { cpu: '50m', memory: '64Mi' } } }] },
          },
        },
      });
      const res = await pool.request({ method: 'POST', path: `/apis/apps/v1/namespaces/bench-${d % NAMESPACES}/deployments`, headers, body });
      await res.body.text();
      if (res.statusCode !== 201) errors++;
    }
    const tCreated = performance.now();
    const rssPeak = { v: 0 };
    const rssTimer = setInterval(() => void sim.rssBytes().then((r) => (rssPeak.v = Math.max(rssPeak.v, r ?? 0))), 1000);
    const timeout = setTimeout(() => done(), scale ? 1_800_000 : 600_000);
    await allRunning;
    clearTimeout(timeout);
    clearInterval(rssTimer);
    const tRunning = performance.now();
    const lat = [...running].map(([name, t]) => t - (created.get(name) ?? t)).sort((a, b) => a - b);
    const q = (p: number): string => `${(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]! / 1000).toFixed(2)} s`;
    console.log(`  ${deployments} Deployments x ${REPLICAS} replicas posted in ${((tCreated - t0) / 1000).toFixed(1)} s, ${errors} errors`);
    console.log(`  ${runningCount} Running after ${((tRunning - t0) / 1000).toFixed(1)} s: ${(runningCount / ((tRunning - t0) / 1000)).toFixed(0)} pods/s created -> Running`);
    console.log(`  pod seen -> Running (client clock): p50 ${q(0.5)}, p99 ${q(0.99)} (startup delay 800ms ± 400ms included)`);
    const rss = await sim.rssBytes();
    console.log(`  sim RSS with ${runningCount} running pods: ${mib(rss)} (peak ${mib(Math.max(rssPeak.v, rss ?? 0))})`);
    if (storage === 'etcd') {
      const { execSync } = await import('node:child_process');
      const etcdPid = execSync(`pgrep -P ${sim.pid} etcd || true`).toString().trim().split('\n')[0];
      if (etcdPid) console.log(`  etcd RSS: ${mib(await processRss(Number(etcdPid)))}`);
    }
    watch.body.destroy();
    await pool.close();
  } finally {
    await sim.stop(60_000);
  }
}

console.log(`bench:sim on ${cpus().length} CPUs, node ${process.version}: ${PODS} pods, ${NODES} nodes`);
for (const m of modes) await bench(m);
