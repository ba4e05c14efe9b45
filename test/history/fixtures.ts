import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Random } from '../../src/util/random.js';
import { writeSyntheticResult } from '../helpers/synthetic-result.js';

/** Result sets for the history's tests, made from real and synthetic ones. */

export const ROOT = path.resolve(import.meta.dirname, '../..');
/** A real result set: the smoke workload on the sim (committed as the regression baseline). */
export const BASELINE = path.join(ROOT, 'results/baseline/smoke');

type Json = Record<string, unknown>;
const readJson = (f: string): Json => JSON.parse(readFileSync(f, 'utf8')) as Json;

function scaleStats(o: unknown, f: number, keys: readonly string[]): void {
  if (!o || typeof o !== 'object') return;
  const r = o as Record<string, unknown>;
  for (const k of keys) if (typeof r[k] === 'number') r[k] = (r[k] as number) * f;
}

export interface BaselineRunOptions {
  runId: string;
  startedAt: string;
  /** Every client-side latency (pod phases, API calls) times this. */
  factor?: number;
  /** The server-side latencies (etcd, apiserver) times this. */
  serverFactor?: number;
  status?: string;
  workload?: { name: string; sha256: string };
  /** The manifest's series reference, as kbench run --repeat writes it. */
  series?: { id: string; index: number; of: number };
}

/**
 * A copy of the real smoke result set (manifest and summary) as another run: its own id and
 * time, latencies scaled. Enough for the history, which reads only these two files.
 */
export function baselineRun(dir: string, o: BaselineRunOptions): string {
  const m = readJson(path.join(BASELINE, 'manifest.json'));
  const s = readJson(path.join(BASELINE, 'summary.json'));
  const f = o.factor ?? 1;
  const ended = new Date(Date.parse(o.startedAt) + 60_000).toISOString();
  Object.assign(m, { runId: o.runId, startedAt: o.startedAt, endedAt: ended, ...(o.status ? { status: o.status } : {}), ...(o.series ? { series: o.series } : {}) });
  if (o.workload) (m.workload as Json) = { ...(m.workload as Json), ...o.workload };
  Object.assign(s, { runId: o.runId, startedAt: o.startedAt, endedAt: ended, ...(o.status ? { status: o.status } : {}), ...(o.workload ? { workload: o.workload.name } : {}) });
  const stats = ['min', 'p50', 'p90', 'p99', 'max', 'mean'];
  for (const ph of Object.values((s.pods as Json).phases as Json)) scaleStats(ph, f, stats);
  for (const k of s.api as Json[]) scaleStats(k.latencyMs, f, stats);
  const sf = o.serverFactor ?? 1;
  const run = (s.collectors as Json).run as Json;
  const etcd = run.etcd as Json;
  scaleStats(etcd.walFsync, sf, ['p50Ms', 'p90Ms', 'p99Ms', 'meanMs']);
  scaleStats(etcd.backendCommit, sf, ['p50Ms', 'p90Ms', 'p99Ms', 'meanMs']);
  for (const k of ((run.apiserver as Json).latency as Json).keys as Json[]) scaleStats(k, sf, ['p50Ms', 'p90Ms', 'p99Ms', 'meanMs']);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m, null, 2));
  writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(s, null, 2));
  return dir;
}

/**
 * A synthetic result set (test/helpers/synthetic-result.ts: pods.csv, histograms, summary)
 * given its own run id and start time, so several can make a history.
 */
export function syntheticRun(dir: string, o: { seed: number; runId: string; startedAt: string; podStartupMs?: number; workload?: string }): string {
  writeSyntheticResult(dir, { pods: 200, seed: o.seed, ...(o.podStartupMs !== undefined ? { podStartupMs: o.podStartupMs } : {}), ...(o.workload ? { workload: o.workload } : {}) });
  for (const file of ['manifest.json', 'summary.json']) {
    const j = readJson(path.join(dir, file));
    Object.assign(j, { runId: o.runId, startedAt: o.startedAt, endedAt: new Date(Date.parse(o.startedAt) + 60_000).toISOString() });
    writeFileSync(path.join(dir, file), JSON.stringify(j, null, 2));
  }
  return dir;
}

/** A series folder as `kbench run --repeat N` will write it, around the given runs (already in dir/run-i). */
export function writeSeriesFile(dir: string, workload: { name: string; sha256: string }, runs: string[], extra: Json = {}): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'series.json'), JSON.stringify({ formatVersion: 1, kind: 'series', workload, runs, ...extra }, null, 2));
  return dir;
}

/** The smoke workload's identity, as the baseline's manifest has it. */
export function baselineWorkload(): { name: string; sha256: string } {
  const w = readJson(path.join(BASELINE, 'manifest.json')).workload as { name: string; sha256: string };
  return { name: w.name, sha256: w.sha256 };
}

/** Normal noise from the project's seeded generator (Box-Muller). */
export function normal(rnd: Random): number {
  const u = Math.max(1e-12, rnd.next());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd.next());
}

/** Day i of a history, at 06:00 UTC. */
export function day(i: number): string {
  return new Date(Date.UTC(2026, 10, 1, 6) + i * 86_400_000).toISOString();
}
