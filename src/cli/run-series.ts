import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { workloadMismatch } from '../compare/compatibility.js';
import { formatSeriesJson, formatSeriesMarkdown, formatSeriesTable } from '../compare/series-format.js';
import { seriesSummary } from '../compare/series-summary.js';
import { ResultFolder, ResultFolderError } from '../results/reader.js';
import { SeriesFolder, type RunOrSeries } from '../results/series.js';
import { SeriesWriter } from '../results/series-writer.js';
import { checkOutDir, ResultFolderUnusable } from '../results/writer.js';
import { newRunId } from '../load/labels.js';
import { compareSeriesFolders, openRunOrSeriesArg } from './compare.js';
import { EXIT, RunError, UsageError } from './errors.js';
import type { CollectArgs, CompareFlags, RunArgs, TargetArgs } from './flags.js';
import { type OpenedTarget, openTarget } from './open-target.js';
import { defaultOut, runOnTarget } from './run.js';
import { writeSeriesReport } from './series-report.js';
import { loadOrThrow, seedFlag } from './validate.js';

export interface SeriesArgs extends RunArgs {
  repeat: number;
  oneSim: boolean;
}

/** A series' id: names it in the history; every run's manifest carries it. */
export function newSeriesId(): string {
  return `series-${newRunId()}`;
}

export function checkRepeat(n: unknown, flag = '--repeat'): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 1000) throw new UsageError(`${flag} ${String(n)}: expected a whole number of runs from 1 to 1000`);
  return n;
}

export async function checkSeriesOut(out: string): Promise<void> {
  try {
    await checkOutDir(out);
  } catch (e) {
    if (e instanceof ResultFolderUnusable) throw new UsageError(`--out: ${e.message}`);
    throw e;
  }
}

/** One run of a series, into its folder; a run that did not complete ends the series (RunError). */
export async function runInSeries(o: {
  writer: SeriesWriter;
  index: number;
  of: number;
  workload: ReturnType<typeof loadOrThrow>;
  title: string;
  target: TargetArgs & { seed?: number };
  collect: CollectArgs;
  keep: boolean;
  opened?: OpenedTarget;
}): Promise<void> {
  console.log(`\n${o.title}: run ${o.index} of ${o.of} -> ${path.relative(process.cwd(), o.writer.runDir(o.index)) || o.writer.runDir(o.index)}`);
  try {
    await runOnTarget({
      workload: o.workload,
      resolvedSpec: o.workload.loaded.workload.spec,
      title: `${o.title} (run ${o.index}/${o.of})`,
      out: o.writer.runDir(o.index),
      target: o.target,
      collect: o.collect,
      // A sim kept for the next run must be emptied; one stopped after the run need not.
      cleanup: (opened) => (o.keep ? 'keep' : opened.simDiscovery && !o.opened ? 'discard' : 'delete'),
      series: { id: o.writer.id, index: o.index, of: o.of },
      ...(o.opened ? { opened: o.opened } : {}),
    });
  } finally {
    await o.writer.ran(o.index);
  }
}

/** The end of a series: its summary (every measurement per run, and the spread) and its report. */
export async function finishSeries(writer: SeriesWriter, planned: number): Promise<void> {
  const runs: { folder: string; result: ResultFolder }[] = [];
  for (const name of writer.runs) {
    try {
      runs.push({ folder: name, result: ResultFolder.open(path.join(writer.dir, name)) });
    } catch (e) {
      if (!(e instanceof ResultFolderError)) throw e;
    }
  }
  const summary = seriesSummary(writer.file, runs, planned);
  await writer.writeSummary(summary);
  const spread = summary.measurements.find((m) => m.id === 'pods.pod_startup.p50');
  console.log(`\nseries ${writer.id}: ${summary.runs.length} of ${planned} runs complete${spread ? `; pod startup p50 over the runs: median ${spread.median.toFixed(0)} ms, ${spread.min.toFixed(0)}-${spread.max.toFixed(0)} ms, spread ±${spread.cvPct}%` : ''}`);
  if (summary.runs.length > 0) {
    const report = await writeSeriesReport(SeriesFolder.open(writer.dir), path.join(writer.dir, 'report.html'));
    console.log(`series report: ${path.relative(process.cwd(), report) || report}`);
  }
}

/** Compares a finished series with a baseline (a run or a series); writes comparison.md and .json beside series.json. Returns the regressions. */
export async function compareWithBaseline(dir: string, baseline: { dir: string; folder: RunOrSeries; flags: CompareFlags }): Promise<number> {
  const c = compareSeriesFolders(baseline.folder, { kind: 'series', series: SeriesFolder.open(dir) }, { a: baseline.dir, b: dir }, { ...baseline.flags, force: true });
  await writeFile(path.join(dir, 'comparison.md'), formatSeriesMarkdown(c));
  await writeFile(path.join(dir, 'comparison.json'), formatSeriesJson(c) + '\n');
  console.log(`\nCompared with the baseline ${baseline.dir}\n`);
  console.log(formatSeriesTable(c));
  return c.rows.filter((r) => r.verdict === 'regressed').length;
}

/** kbench run W --repeat N: N runs of W into one series folder, each on a fresh sim unless --one-sim. */
export async function runSeriesHandler(args: SeriesArgs): Promise<void> {
  const n = checkRepeat(args.repeat);
  const seed = seedFlag(args.seed);
  const w = loadOrThrow(args.workload, args.set, seed);
  if (args.oneSim && !args.sim) throw new UsageError('--one-sim runs every repeat on one embedded sim: it needs --sim');
  const baseline = args.baseline ? { dir: args.baseline, folder: openRunOrSeriesArg(args.baseline, '--baseline'), flags: args } : undefined;
  if (baseline && !args.force) {
    const first = baseline.folder.kind === 'run' ? baseline.folder.run : baseline.folder.series.runs[0];
    const mismatch = first ? workloadMismatch(first.manifest, { workload: { name: w.name, sha256: w.sha256, resolved: w.loaded.workload.spec as unknown as Record<string, unknown> } }) : undefined;
    if (mismatch) throw new UsageError(`--baseline ${args.baseline}: ${mismatch}. A baseline must be runs of the same workload, or pass --force.`);
  }
  if (!baseline && args.failOnRegression) throw new UsageError('--fail-on-regression needs --baseline <result or series folder> to compare the series with');
  const out = args.out ?? defaultOut(w.name);
  await checkSeriesOut(out);
  const writer = await SeriesWriter.create(out, newSeriesId(), { name: w.name, sha256: w.sha256 });
  const target = { kubeconfig: args.kubeconfig, context: args.context, sim: args.sim, localCluster: args.localCluster, cleanupWait: args.cleanupWait, serverGrace: args.serverGrace, ...(seed !== undefined ? { seed } : {}) };
  let opened: OpenedTarget | undefined;
  let failure: unknown;
  try {
    if (args.oneSim) opened = await openTarget({ sim: true, simSpec: w.sim, seed: seed ?? w.seed, info: (l) => console.log(l) });
    for (let i = 1; i <= n; i++) {
      await runInSeries({ writer, index: i, of: n, workload: w, title: `kbench run ${w.name}`, target, collect: args, keep: args.keep, ...(opened ? { opened } : {}) });
    }
  } catch (e) {
    failure = e;
  } finally {
    await opened?.close();
  }
  await finishSeries(writer, n);
  if (failure) {
    if (failure instanceof RunError) throw new RunError(`${failure.message}; the series stopped after ${writer.runs.length} of ${n} runs (${out}/series.json lists them)`);
    throw failure;
  }
  if (baseline) {
    const regressed = await compareWithBaseline(out, baseline);
    if (regressed && args.failOnRegression) {
      console.log(`\n${regressed} regression${regressed === 1 ? '' : 's'} against the baseline (--fail-on-regression)`);
      process.exitCode = EXIT.sloViolated;
    }
  }
}
