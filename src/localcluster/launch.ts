import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { SimSpec } from '../spec/schema.js';
import { builtComponents } from './build.js';
import { type ClusterState, ownerAlive, readState, removeState, writeState } from './cluster-state.js';
import { armClusterWatchdog } from './watchdog.js';
import type { ProcessName } from './component-args.js';
import { clusterLayout } from './layout.js';
import { endpointsPath, type LocalCluster, startLocalCluster } from './local-cluster.js';
import { type AppliedSetting, type LocalSettings, resolveLocalSettings } from './settings.js';

/** Something the user must change before a local cluster can start: exit 2, nothing started. */
export class LocalClusterInputError extends Error {}

const PROCESS_NAMES: readonly ProcessName[] = ['etcd', 'etcd-events', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'];

/** `--component-flag kube-apiserver=--v=2` (repeatable) as flags per process. */
export function parseComponentFlags(values: readonly string[]): Partial<Record<ProcessName, string[]>> {
  const out: Partial<Record<ProcessName, string[]>> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    const name = (i > 0 ? v.slice(0, i) : '') as ProcessName;
    const flag = i > 0 ? v.slice(i + 1) : '';
    if (!PROCESS_NAMES.includes(name) || !flag.startsWith('-')) {
      throw new LocalClusterInputError(`--component-flag ${v}: expected <component>=<flag>, e.g. kube-apiserver=--v=2, with component one of ${PROCESS_NAMES.join(', ')}`);
    }
    (out[name] ??= []).push(flag);
  }
  return out;
}

/** The settings for a `sim:` block, or every problem with it as one input error. */
export function localSettingsOrThrow(sim: SimSpec, where: string): { settings: LocalSettings; applied: AppliedSetting[] } {
  const r = resolveLocalSettings(sim, where);
  if (r.problems.length > 0) throw new LocalClusterInputError(r.problems.map((p) => p.message).join('; '));
  return { settings: r.settings, applied: r.applied };
}

function checkDataDir(dataDir: string): void {
  const dir = path.resolve(dataDir);
  if (!existsSync(dir)) return;
  const entries = readdirSync(dir);
  if (entries.length > 0 && !existsSync(clusterLayout(dir).ca)) {
    throw new LocalClusterInputError(`--data-dir ${dataDir}: the folder is not empty and holds no kbench cluster (no pki/ca.crt); name an empty or new folder`);
  }
}

function checkKubeconfigOut(file: string): void {
  // Never overwrite someone's kubeconfig: only one a local cluster wrote (its endpoints file is beside it).
  if (existsSync(file) && !existsSync(endpointsPath(path.resolve(file)))) {
    throw new LocalClusterInputError(`--kubeconfig-out ${file}: the file exists and is not a kubeconfig kbench cluster wrote; refusing to overwrite it`);
  }
}

export interface LaunchOptions {
  /** The name `kbench cluster down --name` finds it by. */
  name: string;
  settings: LocalSettings;
  dataDir?: string;
  kubeconfigOut?: string;
  extraFlags?: Partial<Record<ProcessName, string[]>>;
  log(line: string): void;
  signal?: AbortSignal;
}

/**
 * Starts a local control plane and records it, so `kbench cluster down` can stop it from
 * another terminal (or after its owner was killed). Input problems are checked before any
 * process starts.
 */
export async function launchLocalCluster(o: LaunchOptions): Promise<LocalCluster> {
  const built = builtComponents();
  if ('missing' in built) throw new LocalClusterInputError(built.missing);
  const existing = await readState(o.name);
  if (existing && ownerAlive(existing)) {
    throw new LocalClusterInputError(`a local cluster named "${o.name}" is running already (kbench pid ${existing.owner}, kubeconfig ${existing.kubeconfig}); stop it with \`kbench cluster down --name ${o.name}\` or choose another --name`);
  }
  if (o.dataDir) checkDataDir(o.dataDir);
  if (o.kubeconfigOut) checkKubeconfigOut(o.kubeconfigOut);
  let state: ClusterState | undefined;
  // One write at a time, in order, so the record on disk only ever grows.
  let written: Promise<void> = Promise.resolve();
  const watchdog = armClusterWatchdog(o.name);
  const cluster = await startLocalCluster({
    settings: o.settings,
    components: built,
    ...(o.dataDir ? { dataDir: o.dataDir } : {}),
    ...(o.kubeconfigOut ? { kubeconfigOut: o.kubeconfigOut } : {}),
    ...(o.extraFlags ? { extraFlags: o.extraFlags } : {}),
    log: o.log,
    ...(o.signal ? { signal: o.signal } : {}),
    onFiles: (paths) => {
      for (const p of paths) watchdog.add(p);
    },
    onProcess: (p, files) => {
      state ??= { name: o.name, owner: process.pid, dir: files.dir, keep: !!o.dataDir, kubeconfig: files.kubeconfig, endpointsFile: files.endpointsFile, processes: [] };
      state.processes.push(p);
      const snapshot: ClusterState = { ...state, processes: [...state.processes] };
      written = written.then(() => writeState(snapshot));
    },
  }).catch(async (e: unknown) => {
    await written.catch(() => undefined);
    await removeState(o.name);
    watchdog.disarm();
    throw e;
  });
  await written;
  const stop = cluster.stop;
  return {
    ...cluster,
    stop: async () => {
      await stop();
      await removeState(o.name);
      watchdog.disarm();
    },
  };
}
