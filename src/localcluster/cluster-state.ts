import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { processAlive, stopGroup } from './component-process.js';

/**
 * What `kbench cluster down` needs to stop a local control plane another kbench process
 * started, even one that was killed: the owner's pid, every component's process group,
 * and the files to remove.
 */
export interface ClusterState {
  name: string;
  /** The kbench process that owns the cluster (`cluster up`, or `run --local-cluster`). */
  owner: number;
  dir: string;
  /** --data-dir: the folder stays. */
  keep: boolean;
  kubeconfig: string;
  endpointsFile: string;
  processes: { name: string; pid: number; binary: string }[];
}

/** $XDG_RUNTIME_DIR/kbench, else <tmp>/kbench-<uid>: state that must not outlive a reboot. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.XDG_RUNTIME_DIR && path.isAbsolute(env.XDG_RUNTIME_DIR)) return path.join(env.XDG_RUNTIME_DIR, 'kbench');
  return path.join(os.tmpdir(), `kbench-${process.getuid?.() ?? 'user'}`);
}

export function stateFile(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(stateDir(env), `cluster-${name}.json`);
}

export async function readState(name: string, env: NodeJS.ProcessEnv = process.env): Promise<ClusterState | undefined> {
  try {
    return JSON.parse(await readFile(stateFile(name, env), 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

/** Every recorded cluster's name. */
export function stateNames(env: NodeJS.ProcessEnv = process.env): string[] {
  try {
    return readdirSync(stateDir(env))
      .map((f) => /^cluster-(.+)\.json$/.exec(f)?.[1])
      .filter((n): n is string => !!n);
  } catch {
    return [];
  }
}

/** Records the state atomically (a reader never sees half a file). */
export async function writeState(st: ClusterState, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const file = stateFile(st.name, env);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(st, null, 2) + '\n', { mode: 0o600 });
  await rename(tmp, file);
}

export async function removeState(name: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  await rm(stateFile(name, env), { force: true });
}

/** A recorded cluster whose owner still runs. */
export function ownerAlive(st: ClusterState): boolean {
  return st.owner !== process.pid && processAlive(st.owner);
}

/** The process is still the component that was recorded (its pid not reused by another program since). */
function stillOurs(p: { pid: number; binary: string }): boolean {
  try {
    return readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0')[0] === p.binary;
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Stops a recorded cluster: asks its owner to stop it (SIGTERM, as Ctrl-C would), and when
 * the owner is gone or does not finish in time, stops every component's process group
 * itself and removes the files the owner would have removed.
 */
export async function stopRecordedCluster(st: ClusterState, graceMs: number, env: NodeJS.ProcessEnv = process.env): Promise<'owner' | 'direct'> {
  let how: 'owner' | 'direct' = 'direct';
  if (ownerAlive(st)) {
    process.kill(st.owner, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (processAlive(st.owner) && Date.now() < deadline) await sleep(100);
    if (!processAlive(st.owner)) how = 'owner';
  }
  for (const p of [...st.processes].reverse()) if (stillOurs(p)) await stopGroup(p.pid, 10_000);
  await rm(st.kubeconfig, { force: true });
  await rm(st.endpointsFile, { force: true });
  if (!st.keep) await rm(st.dir, { recursive: true, force: true });
  await removeState(st.name, env);
  return how;
}
