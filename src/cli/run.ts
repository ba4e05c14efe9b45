import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { workloadMismatch } from '../compare/compatibility.js';
import { formatJson, formatMarkdown, formatTable } from '../compare/format.js';
import { apiErrorLine, apiErrorTotals } from '../results/api-errors.js';
import { ResultFolder } from '../results/reader.js';
import { checkOutDir, ResultFolderUnusable } from '../results/writer.js';
import { runBenchmark, type RunOptions } from '../run/run-benchmark.js';
import type { ResolvedWorkload } from '../spec/resolve.js';
import type { WorkloadSpec } from '../spec/schema.js';
import { parseDuration } from '../util/duration.js';
import { bindCollectors, planCollectors } from './collect-options.js';
import { compareFolders, openResult } from './compare.js';
import type { CollectArgs, CompareFlags, RunArgs, TargetArgs } from './flags.js';
import { EXIT, RunError, UsageError } from './errors.js';
import { type OpenedTarget, openTarget } from './open-target.js';
import { ConsoleReporter } from './progress.js';
import { writeReport } from './report.js';
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
  const baseline = args.baseline ? openResult(args.baseline, '--baseline') : undefined;
  if (baseline && !args.force) {
    const mismatch = workloadMismatch(baseline.manifest, { workload: { name: w.name, sha256: w.sha256, resolved: w.loaded.workload.spec as unknown as Record<string, unknown> } });
    if (mismatch) throw new UsageError(`--baseline ${args.baseline}: ${mismatch}. A baseline must be a run of the same workload; record one with \`kbench run ${args.workload} --out <dir>\`, or pass --force.`);
  }
  if (!baseline && args.failOnRegression) throw new UsageError('--fail-on-regression needs --baseline <result folder> to compare the run with');
  await runOnTarget({
    ...(baseline ? { baseline: { folder: baseline, flags: args } } : {}),
    workload: w,
    resolvedSpec: w.loaded.workload.spec,
    title: `kbench run ${w.name}`,
    out: args.out ?? defaultOut(w.name),
    target: { kubeconfig: args.kubeconfig, context: args.context, sim: args.sim, localCluster: args.localCluster, cleanupWait: args.cleanupWait, serverGrace: args.serverGrace, ...(seed !== undefined ? { seed } : {}) },
    collect: args,
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
  let interrupts = 0;
  let runId: string | undefined;
  let opened: OpenedTarget | undefined;
  const onSignal = (signal: string): void => {
    interrupts++;
    if (interrupts > 1) {
      const left = runId && !opened?.simDiscovery && !opened?.localCluster ? `; the run's namespaces may still be on the cluster: \`kbench cleanup --run ${runId}\` removes them` : '';
      console.error(`kbench: ${signal} again: exiting without writing results or cleaning up${runId ? ` (run ${runId})` : ''}${left}`);
      // The target kbench started goes with it: a sim must not outlive the command.
      void (opened?.close(2000) ?? Promise.resolve()).finally(() => process.exit(EXIT.failed));
      return;
    }
    reporter.info(`${signal}: stopping, writing what was measured and cleaning up (${signal} again to exit at once)`);
    controller.abort();
  };
  const onInt = (): void => onSignal('SIGINT');
  const onTerm = (): void => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    opened = await openTarget({
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
        listener: (e) => {
          if (e.type === 'run-start') runId = e.runId;
          reporter.listener(e);
        },
        ...(metrics.config ? { collect: metrics.config } : {}),
        serverGraceMs,
        ...(o.measureOnly ? { measureOnly: o.measureOnly } : {}),
      });
    } finally {
      reporter.done();
      await metrics.close();
    }
    await report(outcome, o.baseline);
  } finally {
    await opened?.close();
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
  const run = ResultFolder.open(dir);
  let regressed = 0;
  let comparison;
  if (baseline) {
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

