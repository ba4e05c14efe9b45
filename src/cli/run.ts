import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { workloadMismatch } from '../compare/compatibility.js';
import { formatJson, formatMarkdown, formatTable } from '../compare/format.js';
import { ResultFolder } from '../compare/result-folder.js';
import { runBenchmark, type RunOptions } from '../run/run-benchmark.js';
import type { ResolvedWorkload } from '../spec/resolve.js';
import type { WorkloadSpec } from '../spec/schema.js';
import { type CollectArgs, planCollectors, startCollectors, withCollectOptions } from './collect-options.js';
import { type CompareFlags, compareFolders, openResult, withCompareOptions } from './compare.js';
import { EXIT, RunError, UsageError } from './errors.js';
import { writeReport } from './report.js';
import { type OpenedTarget, openTarget } from './open-target.js';
import { ConsoleReporter } from './progress.js';
import { loadOrThrow } from './validate.js';
import { verdictTable } from './verdict-table.js';

interface RunArgs extends CollectArgs, CompareFlags {
  baseline?: string;
  workload: string;
  kubeconfig?: string;
  context?: string;
  sim: boolean;
  localCluster: boolean;
  out?: string;
  keep: boolean;
  set: string[];
  seed?: number;
}

export function defaultOut(workload: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, 'Z');
  return path.join('results', `${workload}-${stamp}`);
}

async function handler(args: RunArgs): Promise<void> {
  // Bad input stops here, before anything touches a cluster.
  const w = loadOrThrow(args.workload, args.set, args.seed);
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
    target: args,
    collect: args,
    // A sim kbench started is stopped at the end: deleting its contents first is wasted work.
    cleanup: (opened) => (args.keep ? 'keep' : opened.simDiscovery || opened.localCluster ? 'discard' : 'delete'),
  });
}

/**
 * What `run` and `collect` share: open the target, start the collectors, run with
 * SIGINT/SIGTERM handling, print the verdict table and set the exit code.
 */
export async function runOnTarget(o: {
  workload: ResolvedWorkload;
  resolvedSpec: WorkloadSpec;
  title: string;
  out: string;
  target: { kubeconfig?: string | undefined; context?: string | undefined; sim: boolean; localCluster?: boolean; seed?: number | undefined };
  collect: CollectArgs;
  cleanup: (opened: OpenedTarget) => RunOptions['cleanup'];
  measureOnly?: RunOptions['measureOnly'];
  /** kbench run --baseline: compare the finished run with this result set. */
  baseline?: { folder: ResultFolder; flags: CompareFlags };
}): Promise<void> {
  const w = o.workload;
  const plan = planCollectors(o.collect, w);
  const reporter = new ConsoleReporter(o.title);
  const opened = await openTarget({
    kubeconfig: o.target.kubeconfig,
    context: o.target.context,
    sim: o.target.sim,
    localCluster: o.target.localCluster ?? false,
    simSpec: w.sim,
    seed: o.target.seed ?? w.seed,
    info: (l) => reporter.info(l),
  });
  const metrics = startCollectors(plan, w, opened, (l) => reporter.info(l));
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: string): void => {
    interrupts++;
    if (interrupts > 1) {
      console.error(`kbench: ${signal} again: exiting without cleanup`);
      process.exit(EXIT.failed);
    }
    reporter.info(`${signal}: stopping, writing what was measured and cleaning up (again to exit at once)`);
    controller.abort();
  };
  const onInt = (): void => onSignal('SIGINT');
  const onTerm = (): void => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  let outcome;
  try {
    outcome = await runBenchmark({
      workload: w,
      resolvedSpec: o.resolvedSpec,
      connection: opened.connection,
      target: opened.target,
      outDir: o.out,
      cleanup: o.cleanup(opened),
      argv: process.argv.slice(2),
      signal: controller.signal,
      reporter,
      ...(metrics.collectors ? { collectors: metrics.collectors } : {}),
      ...(o.measureOnly ? { measureOnly: o.measureOnly } : {}),
    });
  } finally {
    reporter.done();
    await metrics.close();
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    await opened.close();
  }
  console.log(`\nSLO verdicts (${outcome.podCount} pods tracked; result set ${path.relative(process.cwd(), outcome.dir) || outcome.dir})\n`);
  console.log(verdictTable(outcome.verdicts));
  for (const warning of outcome.warnings) console.log(`\nwarning: ${warning}`);
  let regressed = 0;
  try {
    regressed = await afterRun(outcome.dir, o.baseline);
  } catch (e) {
    // The result set is written; a report or comparison that fails must not hide that.
    console.log(`\nwarning: ${o.baseline ? 'comparing with the baseline or ' : ''}writing the report failed: ${(e as Error).message}`);
  }
  if (outcome.status !== 'complete') {
    throw new RunError(`the run ${outcome.status === 'interrupted' ? 'was interrupted' : 'failed'}${outcome.error ? `: ${outcome.error}` : ''}; the result set is marked ${outcome.status}`);
  }
  const failed = outcome.verdicts.filter((v) => v.verdict === 'fail').length;
  console.log(`\n${failed === 0 ? 'all SLOs met' : `${failed} SLO${failed === 1 ? '' : 's'} violated`}`);
  if (failed > 0) process.exitCode = EXIT.sloViolated;
  if (regressed && o.baseline?.flags.failOnRegression) {
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

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run <workload>',
  describe: 'Run a workload against a cluster (or the embedded sim) and write a result set',
  builder: (y: Argv) =>
    withCompareOptions(withCollectOptions(y, true))
      .option('baseline', { type: 'string', describe: 'Result folder to compare the run with (writes comparison.md and comparison.json; exit 3 on a regression with --fail-on-regression)' })
      .positional('workload', { type: 'string', demandOption: true, describe: 'Workload YAML file' })
      .option('kubeconfig', { type: 'string', describe: 'kubeconfig file (default: KUBECONFIG, then ~/.kube/config)' })
      .option('context', { type: 'string', describe: 'kubeconfig context (default: the current one)' })
      .option('sim', { type: 'boolean', default: false, describe: "Run on the embedded sim, started with the workload's sim: block" })
      .option('local-cluster', { type: 'boolean', default: false, describe: "Run on a real control plane started on this machine for the run (kbench cluster build first), with the workload's sim: block mapped to real flags" })
      .option('out', { type: 'string', describe: 'Result folder (default: results/<workload>-<UTC timestamp>)' })
      .option('keep', { type: 'boolean', default: false, describe: "Keep the run's namespaces and objects (no cleanup)" })
      .option('set', { type: 'string', array: true, default: [], describe: 'Override a workload field: --set sim.storage=etcd --set phases[0].create.count=10' })
      .option('seed', { type: 'number', describe: 'Seed of everything random (overrides the workload seed)' }) as unknown as Argv<RunArgs>,
  handler,
};
