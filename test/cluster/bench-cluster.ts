/**
 * npm run bench:cluster — what `kbench cluster up` holds on this machine and how fast the
 * real control plane takes pods from created to Running, measured as bench:sim measures the
 * sim: Deployments of 1,000 replicas (as the PayPal workload created pods) posted by this
 * process, every pod watched to Running; the real ReplicaSet controller, scheduler and kwok
 * do the rest. Client rate limits of the controllers are lifted (5,000 qps, kwokctl's
 * "unlimited"); the apiserver keeps its defaults (API Priority and Fairness on).
 *
 *   npm run bench:cluster                       10,000 pods on 1,000 nodes
 *   npm run bench:cluster -- --scale            4,100 nodes (the seeds' cluster), BENCH_PODS pods (default 30,000)
 *   BENCH_NODES=500 BENCH_PODS=5000 npm run bench:cluster
 *   BENCH_UP_FLAGS="--node-lease-interval 40s" npm run bench:cluster -- --scale   (more `cluster up` flags)
 *
 * Prints figures (nodes Ready time, pods/s created -> Running, each component's memory);
 * asserts nothing. Needs `kbench cluster build` done.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Pool } from 'undici';
import { parse } from 'yaml';
import { processRss } from '../../src/cluster/sim-process.js';
import { CLI } from '../helpers/cli.js';

const scale = process.argv.includes('--scale');
const NODES = Number(process.env.BENCH_NODES ?? (scale ? 4100 : 1000));
const PODS = Number(process.env.BENCH_PODS ?? (scale ? 30_000 : 10_000));
const REPLICAS = Math.min(1000, PODS);
const NAMESPACES = Math.max(1, Math.ceil(PODS / 5000));
const NODE_PODS = Math.max(110, Math.ceil((PODS / NODES) * 1.5));

interface Kubeconfig {
  clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
}

const mib = (b: number | undefined): string => (b === undefined ? '?' : `${(b / 2 ** 20).toFixed(0)} MiB`);
const b64 = (s: string): string => Buffer.from(s, 'base64').toString();

const root = mkdtempSync(path.join(os.tmpdir(), 'kbench-bench-cluster-'));
const env = { ...process.env, XDG_RUNTIME_DIR: path.join(root, 'run') };
const kubeconfig = path.join(root, 'kubeconfig');

function processes(): { name: string; pid: number }[] {
  const st = JSON.parse(readFileSync(path.join(root, 'run', 'kbench', 'cluster-bench.json'), 'utf8')) as { processes: { name: string; pid: number }[] };
  return st.processes;
}

async function memory(peak: Map<string, number>): Promise<void> {
  for (const p of processes()) {
    const rss = await processRss(p.pid);
    if (rss !== undefined) peak.set(p.name, Math.max(peak.get(p.name) ?? 0, rss));
  }
}

console.log(`bench:cluster on ${cpus().length} CPUs (load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}), node ${process.version}: ${NODES} nodes (${NODE_PODS} pods each), ${PODS} pods${process.env.BENCH_UP_FLAGS ? `, cluster up ${process.env.BENCH_UP_FLAGS}` : ''}`);
const t0 = performance.now();
const up: ChildProcess = spawn(
  process.execPath,
  [CLI, 'cluster', 'up', '--json', '--name', 'bench', '--kubeconfig-out', kubeconfig, '--nodes', String(NODES), '--node-pods', String(NODE_PODS), '--controller-qps', '5000', '--controller-burst', '10000', '--scheduler-qps', '5000', '--scheduler-burst', '10000', ...(process.env.BENCH_UP_FLAGS?.split(/\s+/).filter(Boolean) ?? [])],
  { env, stdio: ['ignore', 'pipe', 'inherit'], detached: true },
);
// Killed or interrupted: the cluster goes too (its `kbench cluster up` stops every component).
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    try {
      process.kill(-up.pid!, 'SIGTERM');
    } catch {
      // gone already
    }
    up.once('exit', () => process.exit(1));
  });
}
try {
  const ready = await new Promise<string>((resolve, reject) => {
    createInterface({ input: up.stdout! }).once('line', resolve);
    up.once('exit', (code) => reject(new Error(`kbench cluster up exited with ${code}`)));
  });
  void ready;
  const peak = new Map<string, number>();
  await memory(peak);
  console.log(`\n${NODES} nodes Ready ${((performance.now() - t0) / 1000).toFixed(0)} s after \`kbench cluster up\` started; memory: ${[...peak].map(([n, v]) => `${n} ${mib(v)}`).join(', ')}`);

  const kc = parse(readFileSync(kubeconfig, 'utf8')) as Kubeconfig;
  const server = new URL(kc.clusters[0]!.cluster.server);
  const tls = { ca: b64(kc.clusters[0]!.cluster['certificate-authority-data']), cert: b64(kc.users[0]!.user['client-certificate-data']), key: b64(kc.users[0]!.user['client-key-data']) };
  const pool = new Pool(server.origin, { connections: 16, connect: tls, bodyTimeout: 0, headersTimeout: 0 });
  const headers = { 'content-type': 'application/json' };
  for (let n = 0; n < NAMESPACES; n++) await (await pool.request({ method: 'POST', path: '/api/v1/namespaces', headers, body: JSON.stringify({ metadata: { name: `bench-${n}` } }) })).body.text();
  // Pods are refused until each namespace's default ServiceAccount exists.
  for (let n = 0; n < NAMESPACES; n++) {
    for (;;) {
      const r = await pool.request({ method: 'GET', path: `/api/v1/namespaces/bench-${n}/serviceaccounts/default` });
      await r.body.text();
      if (r.statusCode === 200) break;
      await new Promise((res) => setTimeout(res, 200));
    }
  }

  const created = new Map<string, number>();
  const running = new Map<string, number>();
  let done!: () => void;
  const allRunning = new Promise<void>((r) => (done = r));
  // The real apiserver ends a watch whose client falls behind (its cacher's dispatch
  // timeout; seen here on a loaded machine): resume from the last resourceVersion, as
  // kbench's pod tracker does.
  let rv = '';
  let reconnects = 0;
  let finished = false;
  const watchOnce = async (): Promise<void> => {
    const q = `watch=true&labelSelector=app%3Dbench&allowWatchBookmarks=true${rv ? `&resourceVersion=${rv}` : ''}`;
    const watch = await pool.request({ method: 'GET', path: `/api/v1/pods?${q}`, headers });
    let buf = '';
    for await (const chunk of watch.body) {
      buf += (chunk as Buffer).toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const ev = JSON.parse(buf.slice(0, nl)) as { type: string; object: { metadata: { name: string; resourceVersion?: string }; status?: { phase?: string } } };
        buf = buf.slice(nl + 1);
        if (ev.type === 'ERROR') throw new Error(`watch error: ${JSON.stringify(ev.object)}`);
        rv = ev.object.metadata.resourceVersion ?? rv;
        if (ev.type === 'BOOKMARK') continue;
        const name = ev.object.metadata.name;
        if (!created.has(name)) created.set(name, performance.now());
        if (ev.object.status?.phase === 'Running' && !running.has(name)) {
          running.set(name, performance.now());
          if (running.size === PODS) done();
        }
      }
      if (finished) break;
    }
  };
  const watching = (async () => {
    while (!finished) {
      await watchOnce();
      if (!finished) reconnects++;
    }
  })();
  // The watch is open before the first Deployment is posted: every pod is seen from its creation.
  await new Promise((r) => setTimeout(r, 1000));

  const tPost = performance.now();
  let errors = 0;
  const deployments = Math.ceil(PODS / REPLICAS);
  for (let d = 0; d < deployments; d++) {
    const replicas = Math.min(REPLICAS, PODS - d * REPLICAS);
    const labels = { app: 'bench', deployment: `bench-${d}` };
    const body = JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `bench-${d}` },
      spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.9', resources: { requests: { cpu: '1m', memory: '4Mi' } } }] } } },
    });
    const res = await pool.request({ method: 'POST', path: `/apis/apps/v1/namespaces/bench-${d % NAMESPACES}/deployments`, headers, body });
    await res.body.text();
    if (res.statusCode !== 201) errors++;
  }
  const memTimer = setInterval(() => void memory(peak), 2000);
  const progress = setInterval(() => console.log(`  ${((performance.now() - tPost) / 1000).toFixed(0)} s: ${created.size} pods seen, ${running.size} Running`), 30_000);
  const timeout = setTimeout(() => done(), Number(process.env.BENCH_TIMEOUT_S ?? 3600) * 1000);
  await allRunning;
  finished = true;
  clearTimeout(timeout);
  clearInterval(progress);
  clearInterval(memTimer);
  await memory(peak);
  const tRunning = performance.now();
  const lat = [...running].map(([name, t]) => t - (created.get(name) ?? t)).sort((a, b) => a - b);
  const q = (p: number): string => `${(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]! / 1000).toFixed(2)} s`;
  console.log(`  ${deployments} Deployments of up to ${REPLICAS} replicas posted, ${errors} errors`);
  console.log(`  ${running.size} of ${PODS} Running after ${((tRunning - tPost) / 1000).toFixed(1)} s: ${(running.size / ((tRunning - tPost) / 1000)).toFixed(0)} pods/s created -> Running`);
  if (lat.length > 0) console.log(`  pod seen -> Running (client clock): p50 ${q(0.5)}, p99 ${q(0.99)} (kwok's startup delay 800ms ± 400ms included)`);
  console.log(`  the pod watch was ended by the apiserver and resumed ${reconnects} times`);
  console.log(`  peak memory: ${[...peak].map(([n, v]) => `${n} ${mib(v)}`).join(', ')}; total ${mib([...peak.values()].reduce((a, b) => a + b, 0))}`);
  await pool.destroy();
  await watching.catch(() => undefined);
} finally {
  try {
    process.kill(-up.pid!, 'SIGTERM');
  } catch {
    // gone already
  }
  await new Promise((r) => (up.exitCode !== null ? r(null) : up.once('exit', r)));
  rmSync(root, { recursive: true, force: true });
}
