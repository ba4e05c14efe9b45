import type { Argv, CommandModule } from 'yargs';
import { BuildError, buildComponents } from '../localcluster/build.js';
import { readState, stateNames, stopRecordedCluster } from '../localcluster/cluster-state.js';
import { ComponentFailedError } from '../localcluster/component-process.js';
import { GoToolchainError } from '../localcluster/go-toolchain.js';
import { launchLocalCluster, LocalClusterInputError, localSettingsOrThrow, parseComponentFlags } from '../localcluster/launch.js';
import { LOCAL_DEFAULTS, settingFlags } from '../localcluster/settings.js';
import type { SimSpec } from '../spec/schema.js';
import { formatDuration } from '../util/duration.js';
import { RunError, UsageError } from './errors.js';
import { loadOrThrow } from './validate.js';

/** Maps the local cluster's errors to exit codes: input 2, a component or build that failed 1 (with its log lines). */
export function clusterError(e: unknown): Error {
  if (e instanceof LocalClusterInputError || e instanceof GoToolchainError) return new UsageError(e.message);
  if (e instanceof ComponentFailedError) {
    const lines = e.logLines.length ? `\nlast lines of its log (${e.logFile}):\n  ${e.logLines.join('\n  ')}` : '';
    return new RunError(`the local control plane could not start: ${e.message}; everything it started was stopped${lines}`);
  }
  if (e instanceof BuildError) return new RunError(e.message);
  return e instanceof Error ? e : new Error(String(e));
}

interface BuildArgs {
  go?: string;
  force: boolean;
}

async function build(args: BuildArgs): Promise<void> {
  const log = (line: string): void => console.error(`kbench cluster build: ${line}`);
  const t0 = Date.now();
  let out;
  try {
    out = await buildComponents({ ...(args.go ? { go: args.go } : {}), force: args.force, log });
  } catch (e) {
    throw clusterError(e);
  }
  const v = out.record.versions;
  const mib = Object.values(out.record.binaries).reduce((a, b) => a + b.bytes, 0) / 2 ** 20;
  const what = `Kubernetes ${v.kubernetes}, etcd ${v.etcd}, kwok ${v.kwok}`;
  if (out.cached) console.log(`up to date: ${what} (built ${out.record.builtAt} with ${out.record.go} in ${formatDuration(out.record.durationS * 1000)}); checked in ${formatDuration(Date.now() - t0)}`);
  else console.log(`built ${what} with ${out.record.go} in ${formatDuration(Date.now() - t0)}`);
  console.log(`binaries: ${out.cache.binDir} (${mib.toFixed(0)} MiB)`);
}

interface UpArgs {
  workload?: string;
  set: string[];
  'kubeconfig-out'?: string;
  'data-dir'?: string;
  name: string;
  'component-flag': string[];
  json: boolean;
  [flag: string]: unknown;
}

function defaultText(key: string): string | undefined {
  const map: Record<string, unknown> = { ...LOCAL_DEFAULTS, nodeLeaseInterval: `${LOCAL_DEFAULTS.nodeLeaseDurationS / 4}s` };
  const v = map[key] ?? map[`${key}Ms`];
  if (v === undefined) return undefined;
  return map[`${key}Ms`] !== undefined ? formatDuration(Number(v)) : String(v);
}

function upBuilder(y: Argv): Argv<UpArgs> {
  let out = y
    .option('workload', { type: 'string', describe: "Take the cluster's settings from this workload's sim: block (flags override it)" })
    .option('set', { type: 'string', array: true, default: [], describe: 'With --workload: override a field, --set sim.nodes=50' })
    .option('kubeconfig-out', { type: 'string', describe: 'Where to write the admin kubeconfig (default: in the data dir); its endpoints go beside it, <file>.endpoints.json' })
    .option('data-dir', { type: 'string', describe: 'Keep etcd data, certificates and logs here (default: a temp dir removed at exit)' })
    .option('name', { type: 'string', default: 'local', describe: 'Name of this cluster, for `kbench cluster down --name`' })
    .option('component-flag', { type: 'string', array: true, default: [], describe: 'Add a flag to a component: kube-apiserver=--v=2 (repeatable)' })
    .option('json', { type: 'boolean', default: false, describe: 'Print one JSON line with the endpoints when ready' });
  for (const f of settingFlags()) {
    const c = f.counterpart;
    const type = 'flag' in c ? 'number' : c.kind === 'number' ? 'number' : c.kind === 'boolean' ? 'boolean' : 'string';
    const real = 'flag' in c ? `${c.flag.component} ${c.flag.name}` : c.real;
    const def = defaultText(f.key);
    out = out.option(f.flag, { type, describe: `${real}${def !== undefined ? ` [default: ${def}]` : ''}` });
  }
  return out as unknown as Argv<UpArgs>;
}

/** The `sim:` settings of `cluster up`: the workload's, then the flags given. */
function upSimSpec(args: UpArgs): SimSpec {
  const base = args.workload ? loadOrThrow(args.workload, args.set).loaded.workload.spec.sim ?? {} : {};
  const out: Record<string, unknown> = { ...base };
  for (const f of settingFlags()) {
    const v = args[f.flag];
    if (v === undefined) continue;
    if (typeof v === 'number' && (!Number.isFinite(v) || v < 0)) throw new UsageError(`--${f.flag} ${v}: must be a non-negative number`);
    out[f.key] = v;
  }
  return out as SimSpec;
}

async function up(args: UpArgs): Promise<void> {
  const log = (line: string): void => console.error(`kbench cluster: ${line}`);
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let cluster;
  try {
    const { settings, applied } = localSettingsOrThrow(upSimSpec(args), args.workload ? `${args.workload}: sim` : 'settings');
    for (const a of applied) log(`${a.key}=${String(a.value)} -> ${a.real}`);
    cluster = await launchLocalCluster({
      name: args.name,
      settings,
      ...(args['data-dir'] ? { dataDir: args['data-dir'] } : {}),
      ...(args['kubeconfig-out'] ? { kubeconfigOut: args['kubeconfig-out'] } : {}),
      extraFlags: parseComponentFlags(args['component-flag']),
      log,
      signal: controller.signal,
    });
  } catch (e) {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (controller.signal.aborted) throw new RunError('interrupted while starting; everything started was stopped');
    throw clusterError(e);
  }
  const ep = cluster.endpoints;
  if (args.json) console.log(JSON.stringify({ kubeconfig: cluster.kubeconfig, endpointsFile: cluster.endpointsFile, ...ep }));
  else {
    console.log(`API server:          ${ep.apiserver} (Kubernetes ${ep.versions.kubernetes}, ${ep.nodes} kwok nodes Ready)`);
    console.log(`scheduler:           ${ep.scheduler}`);
    console.log(`controller-manager:  ${ep.controllerManager}`);
    console.log(`etcd metrics:        ${ep.etcdMetrics}`);
    if (ep.eventsEtcdMetrics) console.log(`events etcd metrics: ${ep.eventsEtcdMetrics}`);
    console.log(`kubeconfig:          ${cluster.kubeconfig}`);
    console.log(`endpoints:           ${cluster.endpointsFile}`);
    console.log(`\n  export KUBECONFIG=${cluster.kubeconfig}\n  kubectl get nodes\n  kbench run workloads/smoke.yaml\n\nCtrl-C (or \`kbench cluster down${args.name === 'local' ? '' : ` --name ${args.name}`}\`) stops every component and removes what it started.`);
  }
  const outcome = await Promise.race([
    new Promise<'signal'>((resolve) => (controller.signal.aborted ? resolve('signal') : controller.signal.addEventListener('abort', () => resolve('signal')))),
    cluster.failed,
  ]);
  log(outcome === 'signal' ? 'stopping' : `${outcome.message}: stopping the others`);
  await cluster.stop();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  if (outcome !== 'signal') throw clusterError(outcome);
}

interface DownArgs {
  name: string;
  all: boolean;
}

async function down(args: DownArgs): Promise<void> {
  const names = args.all ? stateNames() : [args.name];
  let stopped = 0;
  for (const name of names) {
    const st = await readState(name);
    if (!st) continue;
    const how = await stopRecordedCluster(st, 60_000);
    console.log(`stopped local cluster "${name}" (${st.processes.length} processes${how === 'direct' ? ', its kbench process was gone' : ''}); ${st.keep ? `data kept in ${st.dir}` : 'its files are removed'}`);
    stopped++;
  }
  if (stopped === 0) console.log(args.all ? 'no local cluster is running' : `no local cluster named "${args.name}" is running`);
}

export const clusterCommand: CommandModule = {
  command: 'cluster <command>',
  describe: 'A real control plane on this machine (kube-apiserver, kube-scheduler, kube-controller-manager, etcd, kwok fake nodes)',
  builder: (y: Argv) =>
    y
      .command<BuildArgs>({
        command: 'build',
        describe: 'Build the pinned components with Go into the cache (seconds when they are there already)',
        builder: (b) =>
          b
            .option('go', { type: 'string', describe: 'The go command to use (default: go on PATH)' })
            .option('force', { type: 'boolean', default: false, describe: 'Rebuild even when the cache has this version' }) as unknown as Argv<BuildArgs>,
        handler: build,
      })
      .command<UpArgs>({ command: 'up', describe: 'Start a local control plane with kwok fake nodes and run until Ctrl-C', builder: upBuilder, handler: up })
      .command<DownArgs>({
        command: 'down',
        describe: 'Stop a local control plane started by `kbench cluster up` (from another terminal)',
        builder: (b) =>
          b
            .option('name', { type: 'string', default: 'local', describe: 'Which cluster (cluster up --name)' })
            .option('all', { type: 'boolean', default: false, describe: 'Every local cluster kbench recorded, including ones `run --local-cluster` started' }) as unknown as Argv<DownArgs>,
        handler: down,
      })
      .demandCommand(1, 'Name a cluster command: build, up or down'),
  handler: () => undefined,
};
