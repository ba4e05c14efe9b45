/**
 * Issue 13 item 0, measured: the between-run spread of pod_startup p50 with each pod's clock
 * started as kbench starts it now (create sent; else the open watch's first sight) and as
 * it did before (create sent; else the 1-second creationTimestamp), from the same pods.csv
 * files, so the two figures differ only by the start.
 *
 *   npx tsx test/bench/pod-start-spread.ts results/detection-pool/base [more series or run folders]
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ResultFolder } from '../../src/results/reader.js';
import type { SeriesFile } from '../../src/results/format.js';

function runsOf(dir: string): string[] {
  const f = path.join(dir, 'series.json');
  if (!existsSync(f)) return [dir];
  return (JSON.parse(readFileSync(f, 'utf8')) as SeriesFile).runs.map((r) => path.join(dir, r));
}

function p50(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil(0.5 * s.length) - 1)]!;
}

function stats(v: number[]): string {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(1, v.length - 1));
  return `mean ${mean.toFixed(0)} ms, sd ${sd.toFixed(0)} ms (${((100 * sd) / mean).toFixed(1)}% of the mean), range ${Math.min(...v).toFixed(0)}-${Math.max(...v).toFixed(0)} ms`;
}

const now: number[] = [];
const before: number[] = [];
for (const dir of process.argv.slice(2).flatMap(runsOf)) {
  const r = ResultFolder.open(dir);
  if (r.summary.status !== 'complete') continue;
  const a: number[] = [];
  const b: number[] = [];
  let shifted = 0;
  for (const row of r.podRows()) {
    if (!row.pod_startup_ms) continue;
    const v = Number(row.pod_startup_ms);
    a.push(v);
    if (row.start === 'watch_first_seen') {
      b.push(Date.parse(row.running_seen!) - Date.parse(row.created!));
      shifted++;
    } else b.push(v);
  }
  now.push(p50(a));
  before.push(p50(b));
  console.log(`${dir}: pod_startup p50 ${p50(a).toFixed(0)} ms (watch start), ${p50(b).toFixed(0)} ms (creationTimestamp start; ${shifted} of ${a.length} pods)`);
}
console.log(`\n${now.length} runs`);
console.log(`after  (create sent, else the watch's first sight): ${stats(now)}`);
console.log(`before (create sent, else creationTimestamp):       ${stats(before)}`);
