import { BuildError, buildComponents } from '../localcluster/build.js';
import { readState, stateNames, stopRecordedCluster } from '../localcluster/cluster-state.js';
import { ComponentFailedError } from '../localcluster/component-process.js';
import { GoToolchainError } from '../localcluster/go-toolchain.js';
import { launchLocalCluster, LocalClusterInputError, localSettingsOrThrow, parseComponentFlags } from '../localcluster/launch.js';
import { settingFlags } from '../localcluster/settings.js';
import type { SimSpec } from '../spec/schema.js';
import { flagOf, readSimSetting } from '../spec/sim-settings.js';
import { formatDuration } from '../util/duration.js';
import type { ClusterBuildArgs, ClusterDownArgs, ClusterUpArgs } from './cluster-flags.js';
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

/** `kbench cluster build`. */
export async function clusterBuild(args: ClusterBuildArgs): Promise<void> {
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

/** The `sim:` settings of `cluster up`: the workload's, then the flags given. */
function upSimSpec(args: ClusterUpArgs): SimSpec {
  const base = args.workload ? loadOrThrow(args.workload, args.set).loaded.workload.spec.sim ?? {} : {};
  const out: Record<string, unknown> = { ...base };
  for (const f of settingFlags()) {
    const v = args[flagOf(f.key)];
    if (v === undefined) continue;
    const r = readSimSetting(f.key, v);
    if (!r.ok) throw new UsageError(`--${flagOf(f.key)} ${String(v)}: ${r.message}`);
    out[f.key] = v;
  }
  return out as SimSpec;
}

/** `kbench cluster up`: until Ctrl-C, `kbench cluster down`, or a component that dies. */
export async function clusterUp(args: ClusterUpArgs): Promise<void> {
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

/** `kbench cluster down`. */
export async function clusterDown(args: ClusterDownArgs): Promise<void> {
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
