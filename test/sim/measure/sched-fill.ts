/**
 * Fills a simulated cluster close to capacity with Deployments, as the 150k-pod workload
 * does, and reports how long pods waited to be scheduled (creation seen -> nodeName seen)
 * and what the scheduler's queues did meanwhile. A small stand-in for
 * `kbench run workloads/150k-pods.yaml --sim`: FILL_NODES nodes of 40 pods, FILL_PODS pods in
 * Deployments of FILL_REPLICAS; FILL_APF=false for the legacy max-inflight filter.
 * Run: npx tsx test/sim/measure/sched-fill.ts
 */
import https from 'node:https';
import { startSim } from '../../../src/sim/index.js';
import { TestClient } from '../../helpers/sim-client.js';

const NODES = Number(process.env.FILL_NODES ?? 200);
const PODS = Number(process.env.FILL_PODS ?? 7500);
const REPLICAS = Number(process.env.FILL_REPLICAS ?? 250);

const seen = new Map<string, number>();
const scheduled = new Map<string, number>();
const t0 = performance.now();
const simLog: string[] = [];
const sim = await startSim({
  log: (line) => simLog.push(`${((performance.now() - t0) / 1000).toFixed(1)}s ${line}`),
  storage: 'memory',
  nodes: NODES,
  schedulerQps: Number(process.env.FILL_SCHEDULER_QPS ?? 600),
  schedulerBurst: Number(process.env.FILL_SCHEDULER_BURST ?? 1200),
  controllerQps: Number(process.env.FILL_CONTROLLER_QPS ?? 400),
  controllerBurst: 800,
  concurrentReplicasetSyncs: 10,
  concurrentDeploymentSyncs: 10,
  maxRequestsInflight: 800,
  maxMutatingRequestsInflight: Number(process.env.FILL_MAX_MUTATING ?? 400),
  enablePriorityAndFairness: process.env.FILL_APF !== 'false',
});
const c = new TestClient({ url: sim.url, token: sim.token, caPem: sim.caPem });
try {
  await c.post('/api/v1/namespaces', { metadata: { name: 'fill' } });
  // One watch on the pods, stamping first sight and nodeName.
  const watch = https.get(
    new URL('/api/v1/namespaces/fill/pods?watch=true', sim.url),
    { ca: sim.caPem, headers: { Authorization: `Bearer ${sim.token}` } },
    (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const ev = JSON.parse(buf.slice(0, nl)) as { object: { metadata: { name: string }; spec?: { nodeName?: string } } };
          buf = buf.slice(nl + 1);
          const name = ev.object.metadata.name;
          const now = performance.now();
          if (!seen.has(name)) seen.set(name, now);
          if (ev.object.spec?.nodeName && !scheduled.has(name)) scheduled.set(name, now);
        }
      });
    },
  );
  const deployments = Math.ceil(PODS / REPLICAS);
  for (let i = 0; i < deployments; i++) {
    const name = `d${i}`;
    const replicas = Math.min(REPLICAS, PODS - i * REPLICAS);
    const res = await c.post('/apis/apps/v1/namespaces/fill/deployments', {
      metadata: { name },
      spec: {
        replicas,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.9', resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '100m', memory: '128Mi' } } }] },
        },
      },
    });
    if (res.status !== 201) throw new Error(`${name}: ${res.status}`);
  }
  const scrape = async (): Promise<string> =>
    (await c.get('/api/v1/namespaces/kube-system/pods/https:' + sim.endpoints.schedulerPod.split('/')[1]!.replace(':10259', '') + ':10259/proxy/metrics')).text;
  let last = 0;
  for (;;) {
    await new Promise((r) => setTimeout(r, 2000));
    const secs = (performance.now() - t0) / 1000;
    const m = await scrape();
    const pending = [...m.matchAll(/scheduler_pending_pods\{queue="(\w+)"\} (\d+)/g)].map((x) => `${x[1]}=${x[2]}`).join(' ');
    const unsched = /scheduler_schedule_attempts_total\{result="unschedulable",profile="default-scheduler"\} (\d+)/.exec(m)?.[1] ?? '0';
    console.log(`${secs.toFixed(0)}s seen ${seen.size} scheduled ${scheduled.size} pending[${pending}] unschedulable attempts ${unsched}`);
    if (scheduled.size >= PODS) break;
    if (scheduled.size === last && seen.size >= PODS && secs > 600) break;
    last = scheduled.size;
  }
  watch.destroy();
  const waits = [...scheduled].map(([name, t]) => ({ name, wait: (t - seen.get(name)!) / 1000, at: (t - t0) / 1000 })).sort((a, b) => a.wait - b.wait);
  const q = (p: number): number => waits[Math.min(waits.length - 1, Math.floor(p * waits.length))]!.wait;
  console.log(`create->scheduled p50 ${q(0.5).toFixed(1)} s, p99 ${q(0.99).toFixed(1)} s, max ${waits.at(-1)!.wait.toFixed(1)} s`);
  const tail = waits.filter((w) => w.wait > q(0.99));
  console.log(`beyond p99: ${tail.length} pods, scheduled at ${tail.length ? Math.min(...tail.map((w) => w.at)).toFixed(0) : '-'}..${tail.length ? Math.max(...tail.map((w) => w.at)).toFixed(0) : '-'} s`);
  if (process.env.FILL_SHOW_LOG) for (const l of simLog.slice(0, 40)) console.log(`[sim] ${l}`);
  console.log(`sim log lines: ${simLog.length}`);
  const rejected = new Map<string, number>();
  for (const line of (await c.get('/metrics')).text.split('\n')) {
    const m = /^apiserver_request_total\{verb="(\w+)".*resource="(\w*)",subresource="(\w*)".*code="429"\} (\d+)/.exec(line);
    if (m) rejected.set(`${m[1]} ${m[2]}${m[3] ? '/' + m[3] : ''}`, (rejected.get(`${m[1]} ${m[2]}${m[3] ? '/' + m[3] : ''}`) ?? 0) + Number(m[4]));
  }
  console.log(`429s: ${[...rejected].map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
} finally {
  c.close();
  await sim.stop();
}
