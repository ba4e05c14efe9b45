import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { apiErrorLine, apiErrorTotals } from '../results/api-errors.js';
import { ResultFolder } from '../results/reader.js';
import { type Abandoned, checkOutDir, markAbandoned, ResultFolderUnusable } from '../results/writer.js';
import { runBenchmark, type RunOptions } from '../run/run-benchmark.js';
import type { Manifest } from '../results/format.js';
import type { ResolvedWorkload } from '../spec/resolve.js';
import type { WorkloadSpec } from '../spec/schema.js';
import { collectGarbage } from '../util/collect-garbage.js';
import { parseDuration } from '../util/duration.js';
import { bindCollectors, planCollectors } from './collect-options.js';
import type { CollectArgs, CompareFlags, RunArgs, TargetArgs } from './flags.js';
import { EXIT, RunError, UsageError } from './errors.js';
import { type OpenedTarget, openTarget } from './open-target.js';
import { ConsoleReporter } from './progress.js';
import { writeReport } from './report.js';
import { joinShard, type ShardSetup, shardSetup, uploadShardResults } from './shard-options.js';
import { loadOrThrow, seedFlag } from './validate.js';
import { verdictTable } from './verdict-table.js';

export function defaultOut(workload: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, 'Z');
  return path.join('results', `${workload}-${stamp}`);
}

function durationFlag(value: string, flag: string): number {
  try {
    return parseDuration(value);
  } catch (e) {
    throw new UsageError(`${flag} ${value}: ${(e as Error).message}`);
  }
}

export async function runHandler(args: RunArgs): Promise<void> {
  // Bad input stops here, before anything touches a cluster.
  const seed = seedFlag(args.seed);
  const w = loadOrThrow(args.workload, args.set, seed);
  // The comparison's modules (and their statistics libraries) only when there is a baseline.
  const baseline = args.baseline ? (await import('./compare.js')).openResult(args.baseline, '--baseline') : undefined;
  if (baseline && !args.force) {
    const { workloadMismatch } = await import('../compare/compatibility.js');
    const mismatch = workloadMismatch(baseline.manifest, { workload: { name: w.name, sha256: w.sha256, resolved: w.loaded.workload.spec as unknown as Record<string, unknown> } });
    if (mismatch) throw new UsageError(`--baseline ${args.baseline}: ${mismatch}. A baseline must be a run of the same workload; record one with \`kbench run ${args.workload} --out <dir>\`, or pass --force.`);
  }
  if (!baseline && args.failOnRegression) throw new UsageError('--fail-on-regression needs --baseline <result folder> to compare the run with');
  const shard = shardSetup(args, w);
  if (shard && baseline) throw new UsageError('--baseline with --shard: a shard measures only its share; merge the shards (`kbench merge`) and compare the merged result set');
  const of = shard ? `-shard-${shard.plan.shard.index}` : '';
  await runOnTarget({
    ...(baseline ? { baseline: { folder: baseline, flags: args } } : {}),
    workload: shard ? shard.plan.workload : w,
    resolvedSpec: w.loaded.workload.spec,
    title: `kbench run ${w.name}${shard ? ` (shard ${shard.plan.shard.index} of ${shard.plan.shard.count}, run ${shard.runId})` : ''}`,
    out: args.out ?? defaultOut(`${w.name}${of}`),
    target: { kubeconfig: args.kubeconfig, context: args.context, sim: args.sim, localCluster: args.localCluster, cleanupWait: args.cleanupWait, serverGrace: args.serverGrace, ...(seed !== undefined ? { seed } : {}) },
    // One shard scrapes the control plane; the others would only repeat it.
    collect: shard && !shard.collector ? { ...args, collect: false } : args,
    ...(shard ? { shard } : {}),
    // A sim kbench started is stopped at the end: deleting its contents first is wasted work.
    cleanup: (opened) => (args.keep ? 'keep' : opened.simDiscovery || opened.localCluster ? 'discard' : 'delete'),
  });
}

/**
 * What `run` and `collect` share: check the flags and the result folder, open the target
 * (with Ctrl-C already handled, so a sim that is starting is stopped too), run, print the
 * verdict table and set the exit code. Ctrl-C once: stop the load, write what was
 * measured, clean up. Twice: stop the target kbench started and exit at once, naming
 * what is left on the cluster.
 */
export async function runOnTarget(o: {
  workload: ResolvedWorkload;
  resolvedSpec: WorkloadSpec;
  title: string;
  out: string;
  target: TargetArgs & { seed?: number };
  collect: CollectArgs;
  cleanup: (opened: OpenedTarget) => RunOptions['cleanup'];
  measureOnly?: RunOptions['measureOnly'];
  /** kbench run --baseline: compare the finished run with this result set. */
  baseline?: { folder: ResultFolder; flags: CompareFlags };
  /** kbench run --repeat, kbench ab: this run's place in its series. */
  series?: Manifest['series'];
  /** A target the caller opened (and closes): --repeat --one-sim runs every repeat on one sim. */
  opened?: OpenedTarget;
  /** kbench run --shard: join the run's other shards on the target before anything else. */
  shard?: ShardSetup;
}): Promise<void> {
  const w = o.workload;
  const cleanupWaitMs = durationFlag(o.target.cleanupWait, '--cleanup-wait');
  const serverGraceMs = durationFlag(o.target.serverGrace, '--server-grace');
  if (serverGraceMs < 1000) throw new UsageError(`--server-grace ${o.target.serverGrace}: at least 1s`);
  const plan = planCollectors(o.collect, w);
  try {
    await checkOutDir(o.out);
  } catch (e) {
    if (e instanceof ResultFolderUnusable) throw new UsageError(`--out: ${e.message}`);
    throw e;
  }
  const reporter = new ConsoleReporter(o.title);
  const controller = new AbortController();
  // A signal while the cleanup waits for the namespaces only ends that wait.
  const stopWaiting = new AbortController();
  let cleaning = false;
  let interrupts = 0;
  let runId: string | undefined;
  let opened: OpenedTarget | undefined;
  let joined: Awaited<ReturnType<typeof joinShard>>;
  const onSignal = (signal: string): void => {
    interrupts++;
    if (interrupts > 1) {
      console.error(`kbench: ${signal} again: exiting at once${runId ? ` (run ${runId})` : ''}`);
      // The target kbench started goes with it: a sim must not outlive the command. What the
      // run wrote while it closed is kept; the folder is told how far it got only then, just
      // before the exit, so that what it says is what is left.
      void (opened?.close(2000) ?? Promise.resolve()).finally(() => {
        let state: Abandoned | undefined;
        try {
          state = markAbandoned(o.out, `${signal} while stopping`);
        } catch (e) {
          console.error(`kbench: ${path.join(o.out, 'manifest.json')} could not be marked interrupted (${(e as Error).message}): it still says running`);
        }
        const left = runId && !opened?.simDiscovery && !opened?.localCluster && state !== 'finished' ? `; the run's namespaces may still be on the cluster: \`kbench cleanup --run ${runId}\` removes them` : '';
        const done = state === 'finished' ? 'its result set was written in time' : state === 'no cleanup' ? 'its results were written, the cleanup was not done' : state === 'not started' ? 'nothing was written' : 'no results were written, nothing was cleaned up';
        console.error(`kbench: exited${runId ? ` (run ${runId})` : ''}: ${done}${left}`);
        process.exit(EXIT.failed);
      });
      return;
    }
    if (cleaning) {
      reporter.info(`${signal}: no longer waiting for the run's namespaces to go (${signal} again to exit at once)`);
      stopWaiting.abort();
    } else {
      reporter.info(`${signal}: stopping, writing what was measured and cleaning up (${signal} again to exit at once)`);
    }
    controller.abort();
  };
  const onInt = (): void => onSignal('SIGINT');
  const onTerm = (): void => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    opened = o.opened ?? await openTarget({
      kubeconfig: o.target.kubeconfig,
      context: o.target.context,
      sim: o.target.sim,
      localCluster: o.target.localCluster,
      simSpec: w.sim,
      seed: o.target.seed ?? w.seed,
      info: (l) => reporter.info(l),
      signal: controller.signal,
    });
    if (controller.signal.aborted) throw new RunError('interrupted while the target was starting; nothing was run');
    if (o.shard) {
      reporter.info(`shard ${o.shard.plan.shard.index} of ${o.shard.plan.shard.count}: joining run ${o.shard.runId} (namespace ${o.shard.namespace})`);
      joined = await joinShard(o.shard, o.resolvedSpec, w, opened, controller.signal, (l) => reporter.info(l));
      if (!joined) {
        reporter.done();
        console.log(`shard ${o.shard.plan.shard.index} of run ${o.shard.runId} was already run to completion by an earlier process: nothing to do`);
        return;
      }
    }
    const metrics = bindCollectors(plan, opened, (l) => reporter.info(l));
    let outcome;
    try {
      outcome = await runBenchmark({
        workload: w,
        resolvedSpec: o.resolvedSpec,
        connection: opened.connection,
        target: opened.target,
        outDir: o.out,
        cleanup: o.cleanup(opened),
        cleanupWaitMs,
        argv: process.argv.slice(2),
        signal: controller.signal,
        cleanupSignal: stopWaiting.signal,
        listener: (e) => {
          if (e.type === 'run-start') runId = e.runId;
          if (e.type === 'cleanup-start') cleaning = true;
          reporter.listener(e);
        },
        ...(metrics.config ? { collect: metrics.config } : {}),
        serverGraceMs,
        ...(o.measureOnly ? { measureOnly: o.measureOnly } : {}),
        ...(o.series ? { series: o.series } : {}),
        ...(joined ? { shard: joined.run } : {}),
      });
    } finally {
      reporter.done();
      await metrics.close();
    }
    await report(outcome, o.baseline);
  } finally {
    if (o.shard?.upload && opened && existsSync(path.join(o.out, 'manifest.json'))) {
      try {
        await uploadShardResults(o.shard, opened, o.out, (l) => console.log(l));
      } catch (e) {
        console.error(`kbench: the result set could not be uploaded: ${(e as Error).message}; it is still in ${o.out}`);
        process.exitCode = EXIT.failed;
      }
    }
    await joined?.close();
    if (!o.opened) await opened?.close();
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}

async function report(outcome: Awaited<ReturnType<typeof runBenchmark>>, baseline: { folder: ResultFolder; flags: CompareFlags } | undefined): Promise<void> {
  console.log(`\nSLO verdicts (${outcome.podCount} pods tracked; result set ${path.relative(process.cwd(), outcome.dir) || outcome.dir})\n`);
  console.log(verdictTable(outcome.verdicts));
  // Throttling and failures are not SLOs, but a run that had them must not look clean.
  if (outcome.api) console.log(`\n${apiErrorLine(apiErrorTotals(outcome.api))}`);
  for (const warning of outcome.warnings) console.log(`\nwarning: ${warning}`);
  console.log(`\ncleanup: ${outcome.cleanup.message}`);
  let regressed = 0;
  if (outcome.status !== 'failed' || outcome.verdicts.length > 0) {
    try {
      regressed = await afterRun(outcome.dir, baseline);
    } catch (e) {
      // The result set is written; a report or comparison that fails must not hide that.
      console.log(`\nwarning: ${baseline ? 'comparing with the baseline or ' : ''}writing the report failed: ${(e as Error).message}`);
    }
  }
  if (outcome.status !== 'complete') {
    throw new RunError(`the run ${outcome.status === 'interrupted' ? 'was interrupted' : 'failed'}${outcome.error ? `: ${outcome.error}` : ''}; the result set is marked ${outcome.status}`);
  }
  if (outcome.cleanup.namespaces.some((n) => n.result === 'failed')) {
    throw new RunError(`the run completed, but its cleanup did not: ${outcome.cleanup.message}`);
  }
  const failed = outcome.verdicts.filter((v) => v.verdict === 'fail').length;
  console.log(`\n${failed === 0 ? 'all SLOs met' : `${failed} SLO${failed === 1 ? '' : 's'} violated`}`);
  if (failed > 0) process.exitCode = EXIT.sloViolated;
  if (regressed && baseline?.flags.failOnRegression) {
    console.log(`\n${regressed} regression${regressed === 1 ? '' : 's'} against the baseline (--fail-on-regression)`);
    process.exitCode = EXIT.sloViolated;
  }
}

/** The end of every run: the comparison with the baseline (when given) and the HTML report. Returns the number of regressions. */
async function afterRun(dir: string, baseline: { folder: ResultFolder; flags: CompareFlags } | undefined): Promise<number> {
  collectGarbage(); // the run's data, before the report reads the result set back
  const run = ResultFolder.open(dir);
  let regressed = 0;
  let comparison;
  if (baseline) {
    const [{ compareFolders }, { formatJson, formatMarkdown, formatTable }] = await Promise.all([import('./compare.js'), import('../compare/format.js')]);
    comparison = compareFolders(baseline.folder, run, { ...baseline.flags, force: true });
    regressed = comparison.rows.filter((r) => r.verdict === 'regressed').length;
    await writeFile(run.file('comparison.md'), formatMarkdown(comparison));
    await writeFile(run.file('comparison.json'), formatJson(comparison) + '\n');
    console.log(`\nCompared with the baseline ${baseline.folder.dir}\n`);
    console.log(formatTable(comparison));
  }
  const report = await writeReport(run, run.file('report.html'), baseline?.folder, comparison);
  console.log(`\nreport: ${path.relative(process.cwd(), report) || report}`);
  return regressed;
}

