/**
 * npm run bench:150k — the seeds' whole test on this machine: `kbench run
 * workloads/150k-pods.yaml --sim`, as a user runs it, once with the sim's memory storage and
 * once with etcd (when `etcd` is installed). Prints, for each: wall time, pods/s created ->
 * Running, kbench's CPU-seconds and peak RSS, the sim's and its etcd's (all read from /proc
 * every second: kbench and the processes it started), and the SLO table from
 * the result set's summary.json. Targets (issue 15): every SLO met, <= 8 min with memory
 * storage and <= 10 min with etcd; kbench <= 350 MiB.
 *
 *   npm run bench:150k                       memory, then etcd
 *   npm run bench:150k -- --storage memory   one storage
 *   npm run bench:150k -- --set sim.eventsEtcd=true   pass --set on to every run
 *   BENCH_OUT=dir npm run bench:150k         keep the result sets in dir
 *
 * Prints figures; asserts nothing.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { verdictTable } from '../../src/cli/verdict-table.js';
import type { SloVerdict } from '../../src/results/format.js';

const ROOT = path.resolve(new URL('../..', import.meta.url).pathname);
const CLI = path.join(ROOT, 'dist/cli/main.js');
const out = process.env.BENCH_OUT ?? mkdtempSync(path.join(os.tmpdir(), 'kbench-bench-150k-'));
mkdirSync(out, { recursive: true });
const argStorage = process.argv.indexOf('--storage');
const haveEtcd = spawnSync('etcd', ['--version']).status === 0;
const storages = argStorage > 0 ? [process.argv[argStorage + 1]!] : haveEtcd ? ['memory', 'etcd'] : ['memory'];
const sets = process.argv.flatMap((a, i) => (a === '--set' && process.argv[i + 1] ? ['--set', process.argv[i + 1]!] : []));
const PAGE = 4096;
const TICK = 100; // clock ticks per second on Linux

interface Proc {
  pid: number;
  ppid: number;
  name: string;
  cpuS: number;
  rssMiB: number;
}

function procs(): Proc[] {
  const list: Proc[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      list.push({ pid: Number(d), ppid: Number(f[1]), name: path.basename(cmd[0] ?? '') === 'etcd' ? 'etcd' : cmd.includes('sim') ? 'sim' : path.basename(cmd[0] ?? ''), cpuS: (Number(f[11]) + Number(f[12])) / TICK, rssMiB: (Number(f[21]) * PAGE) / 2 ** 20 });
    } catch {
      // gone meanwhile
    }
  }
  return list;
}

/** Follows the processes a command started (the sim, its etcd): CPU at their last sample, peak RSS. */
function follow(root: number): { stop(): Map<string, { cpuS: number; rssMiB: number }>; kbenchHwmMiB(): number; kbenchCpuS(): number } {
  const seen = new Map<number, Proc>();
  const peak = new Map<string, number>();
  let hwmMiB = 0;
  let kbenchCpuS = 0;
  const tick = (): void => {
    const all = procs();
    // kbench is the one child of /usr/bin/time. Its high-water mark counts what comes after the
    // summary is written (the HTML report), which summary.json's peakRssMiB cannot.
    for (const p of all.filter((q) => q.ppid === root)) {
      kbenchCpuS = Math.max(kbenchCpuS, p.cpuS);
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p.pid}/status`, 'utf8'));
        if (m) hwmMiB = Math.max(hwmMiB, Number(m[1]) / 1024);
      } catch {
        // gone meanwhile
      }
    }
    const kids = new Set([root]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const p of all) {
        if (kids.has(p.pid) || !kids.has(p.ppid)) continue;
        kids.add(p.pid);
        grew = true;
      }
    }
    const rssByName = new Map<string, number>();
    for (const p of all) {
      if (!kids.has(p.pid) || p.pid === root) continue;
      seen.set(p.pid, p);
      rssByName.set(p.name, (rssByName.get(p.name) ?? 0) + p.rssMiB);
    }
    for (const [n, r] of rssByName) peak.set(n, Math.max(peak.get(n) ?? 0, r));
  };
  const timer = setInterval(tick, 1000);
  return {
    kbenchHwmMiB: () => hwmMiB,
    kbenchCpuS: () => kbenchCpuS,
    stop() {
      clearInterval(timer);
      const by = new Map<string, { cpuS: number; rssMiB: number }>();
      for (const p of seen.values()) {
        const e = by.get(p.name) ?? { cpuS: 0, rssMiB: peak.get(p.name) ?? 0 };
        e.cpuS += p.cpuS;
        by.set(p.name, e);
      }
      return by;
    },
  };
}

console.log(`bench:150k on ${os.cpus().length} CPUs (load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}), node ${process.version}; result sets in ${out}`);
for (const storage of storages) {
  const dir = path.join(out, storage);
  const timeFile = path.join(out, `time-${storage}`);
  const t0 = performance.now();
  const child = execFile('/usr/bin/time', ['-f', '%U %S %M', '-o', timeFile, process.execPath, CLI, 'run', 'workloads/150k-pods.yaml', '--sim', '--set', `sim.storage=${storage}`, ...sets, '--out', dir], { cwd: ROOT, env: { ...process.env, CI: 'true' }, maxBuffer: 256 * 2 ** 20 });
  const followed = follow(child.pid!);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const others = followed.stop();
  const wallS = (performance.now() - t0) / 1000;
  const [u, s, kb] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  if (code !== 0 && code !== 3) {
    console.log(`${storage}: kbench run exited ${code}; see ${dir}`);
    continue;
  }
  const summary = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as { slo: SloVerdict[]; pods: { running: number }; phases: { name: string; durationMs: number }[]; harness: { peakRssMiB?: number } };
  const loadS = summary.phases.filter((p) => p.name === 'deployments' || p.name === 'running').reduce((a, p) => a + p.durationMs / 1000, 0);
  const fmt = (m: { cpuS: number; rssMiB: number } | undefined): string => (m ? `${m.cpuS.toFixed(0)} CPU-s, peak ${m.rssMiB.toFixed(0)} MiB` : 'not seen');
  // kbench's own CPU is read from /proc each second (its threads, not its children): /usr/bin/time
  // counts the children kbench waited for (the sim, its etcd) too, and what they spent after
  // their last reading (stopping, removing etcd's data) is in neither; it is shown apart.
  const childrenCpuS = [...others.values()].reduce((a, m) => a + m.cpuS, 0);
  const kbenchCpuS = followed.kbenchCpuS();
  const unseenCpuS = Math.max(0, u! + s! - kbenchCpuS - childrenCpuS);
  console.log(`\n${storage} storage: ${Math.floor(wallS / 60)} min ${Math.round(wallS % 60)} s wall (exit ${code}); ${summary.pods.running} pods Running, ${(summary.pods.running / loadS).toFixed(0)} pods/s over the create and wait phases (${loadS.toFixed(0)} s)`);
  console.log(`  kbench ${kbenchCpuS.toFixed(0)} CPU-s, peak ${summary.harness.peakRssMiB ?? '?'} MiB up to its summary.json and ${followed.kbenchHwmMiB().toFixed(0)} MiB up to its exit (VmHWM, read each second); sim ${fmt(others.get('sim'))}; etcd ${fmt(others.get('etcd'))}; all ${(u! + s!).toFixed(0)} CPU-s (${unseenCpuS.toFixed(0)} of them after the last reading of the process that spent them; largest RSS ${(kb! / 1024).toFixed(0)} MiB)`);
  console.log(`\n${verdictTable(summary.slo)}`);
}
