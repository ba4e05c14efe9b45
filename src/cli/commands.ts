import type { Argv, CommandModule } from 'yargs';
import {
  type AbArgs,
  type CleanupArgs,
  type CollectCommandArgs,
  type CompareArgs,
  type JobArgs,
  type JobResultsArgs,
  type MergeArgs,
  type ReportArgs,
  type RunArgs,
  type SimArgs,
  type ValidateArgs,
  withCollectOptions,
  withCompareOptions,
  withShardOptions,
  withSimFlags,
  withTargetOptions,
} from './flags.js';
import { COMMAND_LIST } from './command-list.js';
import { UsageError } from './errors.js';
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

/** `kbench job results <run-id>`: a subcommand of `job`. */
const addJobResults = cmd({
  command: 'results <run-id>',
  describe: "Fetch every shard's uploaded result set of a Job's run (all attempts) and merge them",
  builder: (y: Argv) =>
    y
      .positional('run-id', { type: 'string', demandOption: true, describe: 'The run id kbench job printed' })
      .option('namespace', { alias: 'n', type: 'string', default: 'default', describe: "The Job's namespace" })
      .option('out', { type: 'string', demandOption: true, describe: 'Folder for shards/shard-<i> and merged/ (must not exist or be empty)' })
      .option('kubeconfig', { type: 'string', describe: 'kubeconfig file (default: KUBECONFIG, then ~/.kube/config)' })
      .option('context', { type: 'string', describe: 'kubeconfig context (default: the current one)' }),
  handler: async (a) => (await import('./job.js')).jobResultsHandler(a as unknown as JobResultsArgs),
});

export const COMMANDS: ((y: Argv) => Argv)[] = [
  cmd({
    ...COMMAND_LIST.run,
    builder: (y: Argv) =>
      withShardOptions(withTargetOptions(withCompareOptions(withCollectOptions(y, true))))
        .option('baseline', { type: 'string', describe: 'Result folder to compare the run with (writes comparison.md and comparison.json; exit 3 on a regression with --fail-on-regression)' })
        .positional('workload', { type: 'string', demandOption: true, describe: 'Workload YAML file' })
        .option('out', { type: 'string', describe: 'Result folder (default: results/<workload>-<UTC timestamp>)' })
        .option('keep', { type: 'boolean', default: false, describe: "Keep the run's namespaces and objects (no cleanup)" })
        .option('set', { type: 'string', array: true, default: [], describe: 'Override a workload field: --set sim.storage=etcd --set phases[0].create.count=10' })
        .option('seed', { type: 'string', describe: 'Seed of everything random (a whole number; overrides the workload seed)' })
        .option('repeat', { type: 'number', describe: 'Run the workload N times into one series folder (<out>/run-1 ... run-N, series.json, series-summary.json); with --baseline, the runs are compared with the baseline run or series' })
        .option('one-sim', { type: 'boolean', default: false, describe: 'With --repeat --sim: every run on one sim (default: a fresh sim for each run)' }),
    handler: async (a) => {
      const args = a as unknown as RunArgs;
      if (args.oneSim && args.repeat === undefined) throw new UsageError('--one-sim runs the repeats of --repeat N on one sim: give --repeat');
      if (args.repeat !== undefined) return (await import('./run-series.js')).runSeriesHandler({ ...args, repeat: args.repeat });
      return (await import('./run.js')).runHandler(args);
    },
  }),
  cmd({
    ...COMMAND_LIST.ab,
    builder: (y: Argv) =>
      withTargetOptions(withCompareOptions(withCollectOptions(y, true)))
        .positional('workload', { type: 'string', demandOption: true, describe: 'Workload YAML file' })
        .option('a', { type: 'string', array: true, default: [], describe: "A's settings, as --set: --a sim.controllerQps=20 (repeatable)" })
        .option('b', { type: 'string', array: true, default: [], describe: "B's settings: --b sim.controllerQps=400 (repeatable)" })
        .option('repeat', { type: 'number', default: 5, describe: 'Runs of each side' })
        .option('out', { type: 'string', describe: 'Folder of both series (default: results/ab-<workload>-<UTC timestamp>)' })
        .option('set', { type: 'string', array: true, default: [], describe: 'Override a workload field for both sides' })
        .option('seed', { type: 'string', describe: 'Seed of everything random (both sides)' }),
    handler: async (a) => (await import('./ab.js')).abHandler(a as unknown as AbArgs),
  }),
  cmd({
    ...COMMAND_LIST.validate,
    builder: (y: Argv) =>
      y
        .positional('workload', { type: 'string', demandOption: true, describe: 'Workload YAML file' })
        .option('set', { type: 'string', array: true, default: [], describe: 'Override a field: --set phases[0].create.count=10' })
        .option('seed', { type: 'string', describe: 'Seed (overrides the workload seed)' })
        .option('shards', { type: 'number', describe: "Also print each shard's share of a run in N shards (docs/shards.md)" }),
    handler: async (a) => (await import('./validate.js')).validateHandler(a as unknown as ValidateArgs),
  }),
  cmd({
    ...COMMAND_LIST.collect,
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
    ...COMMAND_LIST.compare,
    builder: (y: Argv) =>
      withCompareOptions(y)
        .positional('a', { type: 'string', demandOption: true, describe: 'Result folder A (the baseline, "before")' })
        .positional('b', { type: 'string', demandOption: true, describe: 'Result folder B (the change, "after")' })
        .option('format', { choices: ['table', 'markdown', 'json'] as const, default: 'table' as const, describe: 'Output format' }),
    handler: async (a) => (await import('./compare.js')).compareHandler(a as unknown as CompareArgs),
  }),
  cmd({
    ...COMMAND_LIST.merge,
    builder: (y: Argv) =>
      y
        .positional('dirs', { type: 'string', array: true, demandOption: true, describe: 'Result folders of the shards (kbench run --shard i/N)' })
        .option('out', { type: 'string', demandOption: true, describe: 'The merged result folder (must not exist or be empty)' })
        .option('allow-missing', { type: 'boolean', default: false, describe: "Merge even when some shards' result sets are missing (the result set is then marked failed and names them)" }),
    handler: async (a) => (await import('./merge.js')).mergeHandler(a as unknown as MergeArgs),
  }),
  cmd({
    ...COMMAND_LIST.job,
    builder: (y: Argv) =>
      addJobResults(y)
        // Checked in the handler: demanded here, they would be demanded of `job results` too.
        .positional('workload', { type: 'string', describe: 'Workload YAML file (it and its templates go into a ConfigMap)' })
        .option('shards', { type: 'number', describe: 'Number of shards: pods of the Job, each `kbench run --shard i/N` (required)' })
        .option('image', { type: 'string', describe: 'kbench image (Dockerfile in the repository; required)' })
        .option('namespace', { alias: 'n', type: 'string', default: 'default', describe: 'Namespace of the Job, its ServiceAccount, coordination and results (must exist)' })
        .option('run-id', { type: 'string', describe: 'Run id (default: a new one)' })
        .option('apply', { type: 'boolean', default: false, describe: 'Create the objects on the cluster (default: print them as YAML)' })
        .option('out', { type: 'string', describe: 'Write the YAML to this file instead of stdout' })
        .option('set', { type: 'string', array: true, default: [], describe: 'Override a workload field, passed to every shard' })
        .option('seed', { type: 'string', describe: 'Seed, passed to every shard' })
        .option('on-shard-loss', { type: 'string', default: 'fail', choices: ['fail', 'continue'], describe: 'When a shard is lost: stop the run, or go on without it' })
        .option('collector-shard', { type: 'string', default: '0', describe: "The shard that scrapes the control plane's metrics (`none`: no shard, and no RBAC for it)" })
        .option('cpu', { type: 'string', default: '1', describe: "Each shard pod's CPU request" })
        .option('memory', { type: 'string', default: '1Gi', describe: "Each shard pod's memory request and limit" })
        .option('kubeconfig', { type: 'string', describe: 'kubeconfig file (with --apply)' })
        .option('context', { type: 'string', describe: 'kubeconfig context (with --apply)' }),
    handler: async (a) => (await import('./job.js')).jobHandler(a as unknown as JobArgs),
  }),
  cmd({
    ...COMMAND_LIST.report,
    builder: (y: Argv) =>
      withCompareOptions(y, false)
        .positional('dir', { type: 'string', demandOption: true, describe: 'Result folder (B when comparing)' })
        .option('compare', { type: 'string', describe: 'Result folder to compare with (A, the baseline)' })
        .option('out', { type: 'string', describe: 'HTML file to write (default: <dir>/report.html)' }),
    handler: async (a) => (await import('./report.js')).reportHandler(a as unknown as ReportArgs),
  }),
  cmd({
    ...COMMAND_LIST.cleanup,
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
    ...COMMAND_LIST.sim,
    builder: (y: Argv) =>
      withSimFlags(y)
        .option('json', { type: 'boolean', default: false, describe: 'Print one JSON line with the endpoints when ready' })
        .option('lifeline', { type: 'boolean', default: false, hidden: true, describe: 'Stop when stdin closes (kbench run starts the sim so)' }),
    handler: async (a) => (await import('./sim.js')).simHandler(a as unknown as SimArgs),
  }),
  cmd({
    ...COMMAND_LIST.cluster,
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
    ...COMMAND_LIST.history,
    builder: historyCommands,
    handler: () => undefined,
  }),
  cmd({
    ...COMMAND_LIST.schema,
    handler: async () => (await import('./schema.js')).schemaHandler(),
  }),
];
