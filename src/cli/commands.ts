import type { Argv, CommandModule } from 'yargs';
import {
  type CleanupArgs,
  type CollectCommandArgs,
  type CompareArgs,
  type ReportArgs,
  type RunArgs,
  type SimArgs,
  type ValidateArgs,
  withCollectOptions,
  withCompareOptions,
  withSimFlags,
  withTargetOptions,
} from './flags.js';
import { withClusterBuildFlags, withClusterDownFlags, withClusterUpFlags } from './cluster-flags.js';
import { historyCommands } from './history.js';

/**
 * Every command: its flags, and its work loaded only when it runs (a command's modules
 * pull in HTTP clients, the sim, chart libraries; `kbench --help` needs none of them).
 */
/** A command as a function that adds it to yargs (each command has its own argument type). */
function cmd<U>(c: CommandModule<object, U>): (y: Argv) => Argv {
  return (y) => y.command(c);
}

export const COMMANDS: ((y: Argv) => Argv)[] = [
  cmd({
    command: 'run <workload>',
    describe: 'Run a workload against a cluster (or the embedded sim) and write a result set',
    builder: (y: Argv) =>
      withTargetOptions(withCompareOptions(withCollectOptions(y, true)))
        .option('baseline', { type: 'string', describe: 'Result folder to compare the run with (writes comparison.md and comparison.json; exit 3 on a regression with --fail-on-regression)' })
        .positional('workload', { type: 'string', demandOption: true, describe: 'Workload YAML file' })
        .option('out', { type: 'string', describe: 'Result folder (default: results/<workload>-<UTC timestamp>)' })
        .option('keep', { type: 'boolean', default: false, describe: "Keep the run's namespaces and objects (no cleanup)" })
        .option('set', { type: 'string', array: true, default: [], describe: 'Override a workload field: --set sim.storage=etcd --set phases[0].create.count=10' })
        .option('seed', { type: 'string', describe: 'Seed of everything random (a whole number; overrides the workload seed)' }),
    handler: async (a) => (await import('./run.js')).runHandler(a as unknown as RunArgs),
  }),
  cmd({
    command: 'validate <workload>',
    describe: 'Check a workload spec and its templates; print the resolved plan',
    builder: (y: Argv) =>
      y
        .positional('workload', { type: 'string', demandOption: true, describe: 'Workload YAML file' })
        .option('set', { type: 'string', array: true, default: [], describe: 'Override a field: --set phases[0].create.count=10' })
        .option('seed', { type: 'string', describe: 'Seed (overrides the workload seed)' }),
    handler: async (a) => (await import('./validate.js')).validateHandler(a as unknown as ValidateArgs),
  }),
  cmd({
    command: 'collect',
    describe: 'Measure only: watch a cluster someone else loads (pods, API, control-plane metrics) and write a result set',
    builder: (y: Argv) =>
      withTargetOptions(withCollectOptions(y, false))
        .option('duration', { type: 'string', default: '60s', describe: 'How long to watch (60s, 10m, 1h)' })
        .option('workload', { type: 'string', describe: 'Take collect:, slo: and sim: from this workload file (its phases are not run)' })
        .option('selector', { type: 'string', default: '', describe: 'Label selector of the pods to track (default: every pod created while collecting)' })
        .option('out', { type: 'string', describe: 'Result folder (default: results/collect-<UTC timestamp>)' })
        .option('set', { type: 'string', array: true, default: [], describe: 'Override a field of --workload' }),
    handler: async (a) => (await import('./collect.js')).collectHandler(a as unknown as CollectCommandArgs),
  }),
  cmd({
    command: 'compare <a> <b>',
    describe: 'Compare two result sets (A before, B after): every shared measurement with a verdict',
    builder: (y: Argv) =>
      withCompareOptions(y)
        .positional('a', { type: 'string', demandOption: true, describe: 'Result folder A (the baseline, "before")' })
        .positional('b', { type: 'string', demandOption: true, describe: 'Result folder B (the change, "after")' })
        .option('format', { choices: ['table', 'markdown', 'json'] as const, default: 'table' as const, describe: 'Output format' }),
    handler: async (a) => (await import('./compare.js')).compareHandler(a as unknown as CompareArgs),
  }),
  cmd({
    command: 'report <dir>',
    describe: 'Write a self-contained HTML report of a result set (with --compare: overlaid on another)',
    builder: (y: Argv) =>
      withCompareOptions(y, false)
        .positional('dir', { type: 'string', demandOption: true, describe: 'Result folder (B when comparing)' })
        .option('compare', { type: 'string', describe: 'Result folder to compare with (A, the baseline)' })
        .option('out', { type: 'string', describe: 'HTML file to write (default: <dir>/report.html)' }),
    handler: async (a) => (await import('./report.js')).reportHandler(a as unknown as ReportArgs),
  }),
  cmd({
    command: 'cleanup',
    describe: 'Remove what earlier runs left behind (--keep, a killed run, a failed cleanup): only namespaces labelled with a kbench run id',
    builder: (y: Argv) =>
      y
        .option('run', { type: 'string', describe: 'Remove the leftovers of this run id' })
        .option('all-runs', { type: 'boolean', default: false, describe: 'Remove the leftovers of every kbench run (asks first, or --yes)' })
        .option('yes', { type: 'boolean', default: false, describe: 'With --all-runs: do not ask' })
        .option('wait', { type: 'string', default: '60s', describe: 'How long to wait for the namespaces to be gone (0s: do not wait)' })
        .option('kubeconfig', { type: 'string', describe: 'kubeconfig file' })
        .option('context', { type: 'string', describe: 'kubeconfig context' })
        .option('dry-run', { type: 'boolean', default: false, describe: 'Only list what would be removed' }),
    handler: async (a) => (await import('./cleanup.js')).cleanupHandler(a as unknown as CleanupArgs),
  }),
  cmd({
    command: 'sim',
    describe: 'Run the embedded simulated control plane (API server, storage, scheduler, controllers, nodes) until interrupted',
    builder: (y: Argv) =>
      withSimFlags(y)
        .option('json', { type: 'boolean', default: false, describe: 'Print one JSON line with the endpoints when ready' })
        .option('lifeline', { type: 'boolean', default: false, hidden: true, describe: 'Stop when stdin closes (kbench run starts the sim so)' }),
    handler: async (a) => (await import('./sim.js')).simHandler(a as unknown as SimArgs),
  }),
  cmd({
    command: 'cluster <command>',
    describe: 'A real control plane on this machine (kube-apiserver, kube-scheduler, kube-controller-manager, etcd, kwok fake nodes)',
    builder: (y: Argv) =>
      y
        .command({
          command: 'build',
          describe: 'Build the pinned components with Go into the cache (seconds when they are there already)',
          builder: withClusterBuildFlags,
          handler: async (a) => (await import('./cluster.js')).clusterBuild(a),
        })
        .command({
          command: 'up',
          describe: 'Start a local control plane with kwok fake nodes and run until Ctrl-C',
          builder: withClusterUpFlags,
          handler: async (a) => (await import('./cluster.js')).clusterUp(a),
        })
        .command({
          command: 'down',
          describe: 'Stop a local control plane started by `kbench cluster up` (from another terminal)',
          builder: withClusterDownFlags,
          handler: async (a) => (await import('./cluster.js')).clusterDown(a),
        })
        .demandCommand(1, 'Name a cluster command: build, up or down'),
    handler: () => undefined,
  }),
  cmd({
    command: 'history <command>',
    describe: 'Run history in a database: add, list, show, trend, check (change points), ack',
    builder: historyCommands,
    handler: () => undefined,
  }),
  cmd({
    command: 'schema',
    describe: 'Print the workload JSON Schema (for editors; workloads/schema.json is this)',
    handler: async () => (await import('./schema.js')).schemaHandler(),
  }),
];
