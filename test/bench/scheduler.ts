/**
 * npm run bench:scheduler — the sim scheduler's cycle (filter, score, assume) at the seeds'
 * scale, apart from any apiserver: 4,100 nodes of 4 CPU and 40 pods, pods of 100m and
 * 128Mi in ReplicaSets of 250 (as workloads/150k-pods.yaml), queued 2,500 at a time and
 * scheduled until 150,000 are placed. Prints microseconds per cycle as the cluster fills;
 * a cycle's cost is what bounds how fast the scheduler's queue drains after a burst of pods.
 * Prints figures; asserts nothing.
 *
 *   npm run bench:scheduler
 *   npm run bench:scheduler -- --pods 60000
 */
import { SchedulerCore } from '../../src/sim/scheduler/scheduler-core.js';
import { Random } from '../../src/util/random.js';
import { schedNode, schedPod } from '../helpers/sched-objects.js';

const argPods = process.argv.indexOf('--pods');
const TOTAL = argPods > 0 ? Number(process.argv[argPods + 1]) : 150_000;
const NODES = 4100;
const STEP = 2500;
const REPLICAS = 250;

const core = new SchedulerCore(
  { bind: async () => undefined, scheduled: async () => undefined, unschedulable: async () => undefined },
  { random: new Random(1), now: () => Date.now(), log: () => undefined },
);
for (let i = 0; i < NODES; i++) core.nodeChanged(schedNode(`node-${String(i).padStart(5, '0')}`, 40));

console.log(`bench:scheduler on Node ${process.version}, ${new Date().toISOString().slice(0, 16)}Z: ${NODES} nodes, pods queued ${STEP} at a time`);
console.log('| pods placed | us per cycle |\n|---|---|');
let n = 0;
const all: number[] = [];
while (n < TOTAL) {
  for (let j = 0; j < STEP; j++, n++) core.podChanged(schedPod(`p${n}`, { ownerUid: `rs-${Math.floor(n / REPLICAS)}`, memoryBytes: 128 * 2 ** 20 }));
  const t = performance.now();
  let cycles = 0;
  while (core.scheduleOne()) cycles++;
  const us = ((performance.now() - t) / cycles) * 1000;
  all.push(us);
  if (n % 25_000 === 0 || n === STEP) console.log(`| ${n.toLocaleString('en-US')} | ${us.toFixed(0)} |`);
  // Let the (instant) bindings settle, as between scheduler slices.
  await new Promise((r) => setImmediate(r));
}
const sorted = [...all].sort((a, b) => a - b);
console.log(`\nover all ${all.length} rounds: median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} us, worst ${sorted[sorted.length - 1]!.toFixed(0)} us per cycle`);
