import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { workloadMismatch } from '../compare/compatibility.js';
import { formatSeriesJson, formatSeriesMarkdown, formatSeriesTable } from '../compare/series-format.js';
import { type AbFile, SERIES_FORMAT_VERSION } from '../results/format.js';
import { SeriesFolder } from '../results/series.js';
import { atomicJson, SeriesWriter } from '../results/series-writer.js';
import { compareSeriesFolders } from './compare.js';
import { EXIT, RunError, UsageError } from './errors.js';
import type { AbArgs } from './flags.js';
import { checkRepeat, checkSeriesOut, finishSeries, newSeriesId, runInSeries } from './run-series.js';
import { writeSeriesReport } from './series-report.js';
import { loadOrThrow, seedFlag } from './validate.js';

function defaultAbOut(workload: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, 'Z');
  return path.join('results', `ab-${workload}-${stamp}`);
}

/**
 * kbench ab W --a sim.controllerQps=20 --b sim.controllerQps=400 --repeat 5: A and B
 * interleaved (A B A B ...), each run on a target started with its side's settings, so a
 * drift of the machine falls on both sides alike; then the comparison of B's runs with A's.
 */
export async function abHandler(args: AbArgs): Promise<void> {
  const n = checkRepeat(args.repeat);
  if (args.a.length === 0 && args.b.length === 0) throw new UsageError('kbench ab needs what differs: --a and/or --b with a workload field each, e.g. --a sim.controllerQps=20 --b sim.controllerQps=400');
  if (args.kubeconfig || args.context) throw new UsageError(`kbench ab sets each side's settings on a target it starts (the embedded sim); ${args.kubeconfig ? '--kubeconfig' : '--context'} names a cluster it cannot reconfigure: run \`kbench run --repeat\` once per configuration and \`kbench compare\` the two series`);
  const seed = seedFlag(args.seed);
  const wa = loadOrThrow(args.workload, [...args.set, ...args.a], seed);
  const wb = loadOrThrow(args.workload, [...args.set, ...args.b], seed);
  const mismatch = workloadMismatch({ workload: { name: wa.name, sha256: wa.sha256, resolved: wa.loaded.workload.spec as unknown as Record<string, unknown> } }, { workload: { name: wb.name, sha256: wb.sha256, resolved: wb.loaded.workload.spec as unknown as Record<string, unknown> } });
  if (mismatch && !args.force) throw new UsageError(`--a and --b change the load itself, not only the target (${mismatch.replace(/^both ran/, 'they run')}); ab compares target settings (sim.*). Pass --force to compare anyway.`);
  const out = args.out ?? defaultAbOut(wa.name);
  await checkSeriesOut(out);
  const id = newSeriesId();
  const sides = [
    { key: 'a' as const, w: wa, writer: await SeriesWriter.create(path.join(out, 'a'), `${id}-a`, { name: wa.name, sha256: wa.sha256 }) },
    { key: 'b' as const, w: wb, writer: await SeriesWriter.create(path.join(out, 'b'), `${id}-b`, { name: wb.name, sha256: wb.sha256 }) },
  ];
  const ab: AbFile = { formatVersion: SERIES_FORMAT_VERSION, kind: 'ab', workload: { name: wa.name, sha256: wa.sha256 }, set: args.set, a: { dir: 'a', set: args.a }, b: { dir: 'b', set: args.b }, order: [] };
  await atomicJson(path.join(out, 'ab.json'), ab);
  const target = { sim: !args.localCluster, localCluster: args.localCluster, cleanupWait: args.cleanupWait, serverGrace: args.serverGrace, ...(seed !== undefined ? { seed } : {}) };
  let failure: unknown;
  try {
    for (let i = 1; i <= n; i++) {
      for (const s of sides) {
        try {
          await runInSeries({ writer: s.writer, index: i, of: n, workload: s.w, title: `kbench ab ${s.key.toUpperCase()} (${(s.key === 'a' ? args.a : args.b).join(' ') || 'the workload as written'})`, target, collect: args, keep: false });
        } finally {
          if (s.writer.runs.includes(`run-${i}`)) {
            ab.order.push(`${s.key}/run-${i}`);
            await atomicJson(path.join(out, 'ab.json'), ab);
          }
        }
      }
    }
  } catch (e) {
    failure = e;
  }
  for (const s of sides) await finishSeries(s.writer, n);
  if (failure) {
    if (failure instanceof RunError) throw new RunError(`${failure.message}; kbench ab stopped after ${ab.order.length} of ${2 * n} runs (${out}/ab.json lists them)`);
    throw failure;
  }
  const a = SeriesFolder.open(path.join(out, 'a'));
  const b = SeriesFolder.open(path.join(out, 'b'));
  const c = compareSeriesFolders({ kind: 'series', series: a }, { kind: 'series', series: b }, { a: path.join(out, 'a'), b: path.join(out, 'b') }, { ...args, force: true });
  await writeFile(path.join(out, 'comparison.md'), formatSeriesMarkdown(c));
  await writeFile(path.join(out, 'comparison.json'), formatSeriesJson(c) + '\n');
  const report = await writeSeriesReport(b, path.join(out, 'report.html'), a, c);
  console.log(`\nA: ${args.a.join(' ') || 'the workload as written'}\nB: ${args.b.join(' ') || 'the workload as written'}\n`);
  console.log(formatSeriesTable(c));
  console.log(`\nreport: ${path.relative(process.cwd(), report) || report}`);
  if (args.failOnRegression && c.rows.some((r) => r.verdict === 'regressed')) process.exitCode = EXIT.sloViolated;
}
