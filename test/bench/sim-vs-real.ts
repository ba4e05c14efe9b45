/**
 * npm run bench:sim-vs-real — the same workloads on `kbench sim` and on the real control plane
 * (`--local-cluster`, the components `kbench cluster build` built), compared with `kbench
 * compare`: the table docs/sim.md shows (each pod startup phase p50/p99, API p99 per key,
 * scheduler pending max, etcd fsync p99, pods/s). Both targets get the workload's `sim:`
 * block (mapped to real flags on the cluster); the sim keeps its state in etcd as the real
 * one does. Also prints how busy the machine's CPUs were during each run (/proc/stat), since
 * the real components and kbench share them.
 *
 *   npm run bench:sim-vs-real                      smoke and a 2,000-pod density run
 *   BENCH_OUT=dir npm run bench:sim-vs-real        keep the four result sets in dir
 *
 * Prints figures; asserts nothing. Needs `kbench cluster build` done.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatValue, type Unit } from '../../src/compare/display.js';
import { kbench } from '../helpers/cli.js';

interface Row {
  id: string;
  label: string;
  unit: Unit;
  a?: number;
  b?: number;
  changePct?: number;
}

const CASES = [
  { name: 'smoke', workload: 'workloads/smoke.yaml', set: [] as string[] },
  // density.yaml with 100 Deployments of 19 replicas (1,900 pods) and its 100 latency pods.
  { name: 'density-2000', workload: 'workloads/density.yaml', set: ['phases[0].create.vars.replicas=19'] },
];

const out = process.env.BENCH_OUT ?? mkdtempSync(path.join(os.tmpdir(), 'kbench-sim-vs-real-'));

/** Busy share of all CPUs between two /proc/stat readings, and the seconds spent at >= 95%. */
function cpuSampler(): { stop(): { busyPct: number; saturatedS: number; seconds: number } } {
  const read = (): { busy: number; total: number } => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3]! + f[4]!;
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  };
  const first = read();
  let prev = first;
  let saturatedS = 0;
  let seconds = 0;
  const timer = setInterval(() => {
    const now = read();
    if (now.total > prev.total && (now.busy - prev.busy) / (now.total - prev.total) >= 0.95) saturatedS++;
    seconds++;
    prev = now;
  }, 1000);
  return {
    stop() {
      clearInterval(timer);
      const last = read();
      return { busyPct: (100 * (last.busy - first.busy)) / Math.max(1, last.total - first.total), saturatedS, seconds };
    },
  };
}

/** The rows the sim-vs-real table shows: p50 and p99 of the pod phases, p99 of the rest. */
function wanted(r: Row): boolean {
  if (r.id.startsWith('pods.')) return (r.id.endsWith('.p50') || r.id.endsWith('.p99')) && !r.id.includes('create_to_ready') && !r.id.includes('schedule_to_watch');
  if (r.id.startsWith('api.') || r.id.startsWith('server.api.')) return r.id.endsWith('.p99');
  return ['server.scheduler_pending.max', 'server.etcd_wal_fsync.p99', 'server.etcd_backend_commit.p99', 'throughput.pods', 'server.scheduler_binds.per_s'].includes(r.id);
}

console.log(`bench:sim-vs-real on ${os.cpus().length} CPUs (load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}), node ${process.version}; result sets in ${out}`);
for (const c of CASES) {
  const dirs: Record<string, string> = {};
  for (const target of ['sim', 'real'] as const) {
    const dir = path.join(out, `${c.name}-${target}`);
    dirs[target] = dir;
    const flags = target === 'sim' ? ['--sim', '--set', 'sim.storage=etcd'] : ['--local-cluster'];
    const cpu = cpuSampler();
    const t0 = performance.now();
    const r = await kbench(['run', c.workload, ...flags, ...c.set.flatMap((s) => ['--set', s]), '--out', dir], { timeoutMs: 45 * 60_000 });
    const u = cpu.stop();
    // 3 is "ran, an SLO was violated": a figure all the same.
    if (r.code !== 0 && r.code !== 3) {
      console.error(`${c.name} on ${target}: kbench run exited ${r.code}:\n${r.stderr.slice(-3000)}`);
      process.exit(1);
    }
    console.log(`${c.name} on ${target}: ${((performance.now() - t0) / 1000).toFixed(0)} s wall; CPUs ${u.busyPct.toFixed(0)}% busy, ${u.saturatedS} of ${u.seconds} s at >= 95%`);
  }
  const cmp = await kbench(['compare', dirs.real!, dirs.sim!, '--format', 'json']);
  if (cmp.code !== 0) {
    console.error(`kbench compare exited ${cmp.code}: ${cmp.stderr.slice(-2000)}`);
    process.exit(1);
  }
  const rows = (JSON.parse(cmp.stdout) as { rows: Row[] }).rows.filter(wanted);
  console.log(`\n${c.name}: real (A) vs sim (B), \`kbench compare ${dirs.real} ${dirs.sim}\`\n`);
  console.log('| measurement | real | sim | sim vs real |');
  console.log('|---|---|---|---|');
  for (const r of rows) {
    const pct = r.changePct === undefined || !Number.isFinite(r.changePct) ? 'n/a' : `${r.changePct > 0 ? '+' : ''}${r.changePct.toFixed(0)}%`;
    const flag = r.changePct !== undefined && Math.abs(r.changePct) > 25 && (r.id.startsWith('pods.') || r.id.startsWith('throughput.')) ? ' **>25%**' : '';
    const cell = (v: number | undefined): string => (v === undefined ? 'n/a' : formatValue(v, r.unit));
    console.log(`| ${r.label} | ${cell(r.a)} | ${cell(r.b)} | ${pct}${flag} |`);
  }
  console.log('');
}
