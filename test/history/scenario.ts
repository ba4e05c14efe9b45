import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { analyseSeries, checkHistory } from '../../src/history/check.js';
import { readHistoryInput } from '../../src/history/result-input.js';
import type { HistoryStore } from '../../src/history/store.js';
import { Random } from '../../src/util/random.js';
import { BASELINE, baselineRun, baselineWorkload, day, normal, syntheticRun, writeSeriesFile } from './fixtures.js';

/**
 * One history, the same on every backend: 15 nightly runs of the smoke workload (one
 * interrupted, one killed), then a series of 3 runs whose client-side latencies are 40%
 * higher, and 6 runs of a second workload. `answers` is everything the commands would
 * say about it, for comparing backends.
 */

export interface ScenarioInputs {
  nightly: string[];
  killed: string;
  series: string;
  other: string[];
}

export function makeScenarioInputs(dir: string): ScenarioInputs {
  const rnd = new Random(42);
  const nightly: string[] = [];
  for (let i = 0; i < 15; i++) {
    nightly.push(baselineRun(path.join(dir, `nightly-${i}`), { runId: `smoke-${String(i).padStart(2, '0')}`, startedAt: day(i), factor: 1 + 0.04 * normal(rnd), serverFactor: 1 + 0.04 * normal(rnd), ...(i === 6 ? { status: 'interrupted' } : {}) }));
  }
  const killed = path.join(dir, 'killed');
  mkdirSync(killed, { recursive: true });
  const m = JSON.parse(readFileSync(path.join(BASELINE, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(path.join(killed, 'manifest.json'), JSON.stringify({ ...m, runId: 'smoke-killed', startedAt: new Date(Date.parse(day(14)) + 3_600_000).toISOString(), status: 'running' }));
  const series = path.join(dir, 'series');
  for (let i = 1; i <= 3; i++) {
    baselineRun(path.join(series, `run-${i}`), { runId: `smoke-s${i}`, startedAt: new Date(Date.parse(day(15)) + i * 120_000).toISOString(), factor: 1.4 * (1 + 0.04 * normal(rnd)), serverFactor: 1 + 0.04 * normal(rnd) });
  }
  writeSeriesFile(series, baselineWorkload(), ['run-1', 'run-2', 'run-3'], { id: 'nightly-15' });
  const other = Array.from({ length: 6 }, (_, i) => syntheticRun(path.join(dir, `other-${i}`), { seed: 100 + i, runId: `density-${i}`, startedAt: day(i), workload: 'density' }));
  return { nightly, killed, series, other };
}

/** Adds the inputs in a fixed order and clock; returns what each add said. */
export async function addScenario(store: HistoryStore, inputs: ScenarioInputs): Promise<string[]> {
  const said: string[] = [];
  const add = async (dir: string, i: number, commit?: string): Promise<void> => {
    const out = await store.add(readHistoryInput(dir), { now: new Date(Date.UTC(2026, 11, 1, 0, 0, i)), ...(commit ? { gitCommit: commit } : {}) });
    said.push(...out.map((o) => `${o.runId} ${o.outcome}`));
  };
  let i = 0;
  for (const d of inputs.nightly) await add(d, i++, `${'a'.repeat(39)}${i % 10}`);
  await add(inputs.killed, i++);
  for (const d of inputs.other) await add(d, i++);
  await add(inputs.series, i++, 'b'.repeat(40));
  // Again: nothing changes.
  await add(inputs.nightly[3]!, i++);
  await add(inputs.series, i++);
  return said;
}

/** What list, show, trend and check answer on the history (JSON-comparable). */
export async function answers(store: HistoryStore): Promise<Record<string, unknown>> {
  const trend = await analyseSeries(store, { workload: 'smoke', measurements: ['pod_startup.p99', 'server.etcd_wal_fsync.p99'], last: 50 });
  const trendAll = await analyseSeries(store, { measurements: ['pod_startup.*'], includeIncomplete: true });
  const check = await checkHistory(store, { newWithin: 5 });
  const checkSince = await checkHistory(store, { newWithin: 5, since: 'smoke-s2', workload: 'smoke', measurements: ['pod_startup.p99'] });
  return {
    workloads: await store.workloads(),
    list: await store.runs({ includeIncomplete: true }),
    listComplete: await store.runs({ workload: 'smoke' }),
    listLast: await store.runs({ last: 2, includeIncomplete: true }),
    show: await store.run('smoke-s2'),
    showKilled: await store.run('smoke-killed'),
    slo: [...(await store.sloCounts()).entries()].sort(),
    trend,
    trendAll,
    check: check.checks.map((c) => ({ workload: c.workload, measurement: c.measurement, status: c.status, runs: c.points.length, newest: c.newest ?? null, changePoints: c.changePoints })),
    checkSince: checkSince.checks.map((c) => ({ measurement: c.measurement, status: c.status })),
  };
}
