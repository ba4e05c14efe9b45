/**
 * npm run bench:shards — the API request rate one kbench process sustains, and two shards of
 * the same run together (issue 14's figures): test/bench/fixtures/api-rate.yaml (api-mix's
 * reads without pacing: 20,000 GETs of one ConfigMap, 1,000 LISTs of a namespace) against a
 * kbench sim in a process of its own, memory storage. Each phase's rate is its operations
 * over its duration; for shards, the sum of their operations over the longer duration (they
 * start each phase together). CPU and event-loop lag are kbench's own harness readings.
 * Prints figures; asserts nothing. On one machine the shards and the sim share its cores,
 * so this shows what one process costs, not what N machines give.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { spawnSim } from '../../src/cluster/sim-process.js';
import type { Summary } from '../../src/results/format.js';

const run = promisify(execFile);
const ROOT = path.resolve(new URL('../..', import.meta.url).pathname);
const CLI = path.join(ROOT, 'dist/cli/main.js');
const WORKLOAD = path.join(ROOT, 'test/bench/fixtures/api-rate.yaml');
const dir = mkdtempSync(path.join(os.tmpdir(), 'kbench-bench-shards-'));

async function kbench(args: string[]): Promise<void> {
  await run(process.execPath, [CLI, ...args], { cwd: ROOT, maxBuffer: 64 * 2 ** 20 }).catch((e: { code?: number; stderr?: string }) => {
    // 3 is an SLO verdict, not a failure of the measurement.
    if (e.code !== 3) throw new Error(`kbench ${args.join(' ')}: exit ${e.code}: ${e.stderr?.slice(-2000)}`);
  });
}

function summaryOf(out: string): Summary {
  return JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as Summary;
}

interface PhaseRate {
  ops: number;
  ms: number;
}

function phase(s: Summary, name: string): PhaseRate {
  const p = s.phases.find((x) => x.name === name);
  if (!p?.operations) throw new Error(`no phase ${name} with operations in the summary`);
  return { ops: p.operations.succeeded, ms: p.durationMs };
}

function line(label: string, sums: Summary[], phases: string[]): string {
  const cells = phases.map((name) => {
    const each = sums.map((s) => phase(s, name));
    const ops = each.reduce((a, p) => a + p.ops, 0);
    const ms = Math.max(...each.map((p) => p.ms));
    return `${Math.round(ops / (ms / 1000)).toLocaleString('en-US')}/s`;
  });
  const cpu = sums.map((s) => `${s.harness?.cpuMeanPct.toFixed(0) ?? '?'}%`).join(' + ');
  const lag = sums.map((s) => `${s.harness?.lagP99Ms.toFixed(0) ?? '?'} ms`).join(', ');
  return `| ${label} | ${cells.join(' | ')} | ${cpu} | ${lag} |`;
}

async function main(): Promise<void> {
  console.log(`bench:shards on ${os.cpus().length} cores, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  const sim = await spawnSim(['--storage', 'memory', '--nodes', '1'], { startTimeoutMs: 300_000 });
  try {
    const target = ['--kubeconfig', sim.kubeconfig, '--no-collect'];
    // A first run warms the sim (its code compiled, its caches filled) for both measurements.
    await kbench(['run', WORKLOAD, ...target, '--out', path.join(dir, 'warm'), '--set', 'phases[1].get.count=2000', '--set', 'phases[2].list.count=100']);
    await kbench(['run', WORKLOAD, ...target, '--out', path.join(dir, 'single')]);
    const runId = `${new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').toLowerCase()}-5ba4d0`;
    await Promise.all([0, 1].map((i) => kbench(['run', WORKLOAD, '--shard', `${i}/2`, '--run-id', runId, ...target, '--out', path.join(dir, `shard-${i}`)])));
    console.log('| kbench processes | GET configmaps | LIST configmaps (page 100) | kbench CPU (mean, of one core) | event-loop lag p99 |\n|---|---|---|---|---|');
    console.log(line('1', [summaryOf(path.join(dir, 'single'))], ['gets', 'lists']));
    console.log(line('2 shards', [0, 1].map((i) => summaryOf(path.join(dir, `shard-${i}`))), ['gets', 'lists']));
  } finally {
    await sim.stop();
  }
}

main()
  .catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  })
  .finally(() => rmSync(dir, { recursive: true, force: true }));
