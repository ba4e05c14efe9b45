import { readFile } from 'node:fs/promises';
import { KubeClient } from '../cluster/kube-client.js';
import { SimProcessError, spawnSim, type SimProcess } from '../cluster/sim-process.js';
import { chooseTarget, connect, type Connection, publicServer, TargetError } from '../cluster/target.js';
import type { TargetInfo } from '../results/format.js';
import type { SimSpec } from '../spec/schema.js';
import { simFlagsFor } from '../spec/sim-settings.js';
import { RunError, UsageError } from './errors.js';
import type { LocalTarget } from './local-target.js';

export interface OpenedTarget {
  connection: Connection;
  target: TargetInfo;
  /** The sim's endpoint discovery file, when kbench started the sim (and stops it). */
  simDiscovery?: string;
  /** The sim's endpoints (scheduler and etcd metrics), for a sim kbench started or found; a local control plane's in the same form. */
  simEndpoints?: Record<string, unknown>;
  /** The local control plane kbench started for this command (--local-cluster). */
  localCluster?: LocalTarget;
  /** Stops what kbench started for this command (the sim or the local control plane), SIGKILL after `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

/**
 * The cluster a command works on: the embedded sim (with --sim, or when no kubeconfig
 * exists at all), a real control plane started on this machine (--local-cluster), or the
 * cluster the kubeconfig and context choose. Checks it answers
 * before anything else happens, so an unreachable cluster ends the command early.
 */
export async function openTarget(opts: {
  kubeconfig?: string;
  context?: string;
  sim: boolean;
  /** Start a real control plane on this machine for the command (`--local-cluster`). */
  localCluster?: boolean;
  simSpec: SimSpec;
  seed?: number;
  info(line: string): void;
  /** Ctrl-C while the target starts: stop it. */
  signal?: AbortSignal;
}): Promise<OpenedTarget> {
  if (opts.localCluster && (opts.sim || opts.kubeconfig || opts.context)) {
    throw new UsageError(`--local-cluster starts its own control plane: it cannot be combined with ${opts.sim ? '--sim' : opts.kubeconfig ? '--kubeconfig' : '--context'}`);
  }
  let choice;
  try {
    choice = opts.sim ? ({ kind: 'none' } as const) : opts.localCluster ? undefined : chooseTarget({ kubeconfig: opts.kubeconfig, context: opts.context });
  } catch (e) {
    if (e instanceof TargetError) throw new UsageError(e.message);
    throw e;
  }
  let sim: SimProcess | undefined;
  let local: LocalTarget | undefined;
  let note: string | undefined;
  if (!choice) {
    note = '--local-cluster';
    // The local cluster's modules (certificates, processes) only when it is asked for.
    const { startLocalTarget } = await import('./local-target.js');
    local = await startLocalTarget(opts.simSpec, opts.info, opts.signal);
    choice = { kind: 'kubeconfig' as const, file: local.cluster.kubeconfig, source: 'flag' as const };
  } else if (choice.kind === 'none') {
    note = opts.sim ? '--sim' : 'no kubeconfig found (--kubeconfig, KUBECONFIG, ~/.kube/config): running on the embedded sim';
    const flags = simFlagsFor(opts.simSpec, opts.seed);
    opts.info(`target: kbench sim (${note}); starting it${flags.length ? ` with ${flags.join(' ')}` : ''}`);
    try {
      sim = await spawnSim(flags, { log: (l) => opts.info(l), startTimeoutMs: 300_000, ...(opts.signal ? { signal: opts.signal } : {}) });
    } catch (e) {
      if (e instanceof SimProcessError && e.badInput) throw new UsageError(`the sim: ${e.message}`);
      throw new RunError(`the embedded sim could not start: ${(e as Error).message}`);
    }
    choice = { kind: 'kubeconfig' as const, file: sim.kubeconfig, source: 'flag' as const };
  }
  let connection: Connection;
  try {
    connection = await connect(choice);
  } catch (e) {
    await sim?.stop();
    await local?.cluster.stop();
    if (e instanceof TargetError) throw new UsageError(e.message);
    throw e;
  }
  // Is anyone there? One quick call without retries before any work starts.
  // Transport errors get two more tries (a flaky network); a refused or answered call does not wait.
  const probe = new KubeClient(connection, { timeoutMs: 10_000, maxRetries: 2 });
  let serverVersion: string | undefined;
  let nodes: number | undefined;
  try {
    const v = await probe.json<{ gitVersion?: string }>('GET', '/version');
    serverVersion = v.gitVersion;
    const list = await probe.json<{ items: unknown[]; metadata: { remainingItemCount?: number } }>('GET', '/api/v1/nodes', { query: { limit: '1' } });
    nodes = list.items.length + (list.metadata.remainingItemCount ?? 0);
  } catch (e) {
    await probe.close();
    await sim?.stop();
    await local?.cluster.stop();
    const where = choice.kind === 'kubeconfig' ? `kubeconfig ${choice.file}${connection.context ? `, context ${connection.context}` : ''}` : 'in-cluster configuration';
    throw new RunError(`cannot reach the cluster at ${publicServer(connection)} (${where}): ${(e as Error).message}. Check the cluster is up and the kubeconfig is right, or run on the embedded sim with --sim.`);
  }
  await probe.close();
  const target: TargetInfo = {
    kind: sim ? 'sim' : local ? 'local-cluster' : 'cluster',
    server: publicServer(connection),
    context: connection.context,
    ...(choice.kind === 'kubeconfig' && !sim && !local ? { kubeconfig: choice.file } : {}),
    ...(serverVersion ? { serverVersion } : {}),
    ...(nodes !== undefined ? { nodes } : {}),
    ...(note ? { note } : {}),
  };
  let simEndpoints: Record<string, unknown> | undefined;
  if (sim) {
    simEndpoints = JSON.parse(await readFile(sim.discovery, 'utf8')) as Record<string, unknown>;
    target.sim = { storage: sim.storage, flags: simFlagsFor(opts.simSpec, opts.seed), endpoints: simEndpoints };
  } else if (local) {
    simEndpoints = local.cluster.endpoints as unknown as Record<string, unknown>;
    target.sim = local.manifest;
  } else if (choice.kind === 'kubeconfig') {
    // A `kbench sim` or `kbench cluster up` started separately writes its endpoints next to its kubeconfig.
    simEndpoints = await foundSim(`${choice.file}.sim.json`, publicServer(connection));
    if (simEndpoints) target.sim = { storage: simEndpoints.storage, endpoints: simEndpoints, startedBy: 'kbench sim, separately' };
    else {
      simEndpoints = await foundSim(`${choice.file}.endpoints.json`, publicServer(connection));
      if (simEndpoints) {
        target.kind = 'local-cluster';
        target.sim = { versions: simEndpoints.versions, endpoints: simEndpoints, startedBy: 'kbench cluster up, separately' };
      }
    }
  }
  opts.info(`target: ${target.kind === 'sim' ? 'kbench sim' : target.kind === 'local-cluster' ? 'local control plane' : 'cluster'} ${target.server} (${serverVersion ?? 'unknown version'}, ${nodes ?? '?'} nodes)`);
  return {
    connection,
    target,
    ...(sim ? { simDiscovery: sim.discovery } : {}),
    ...(simEndpoints ? { simEndpoints } : {}),
    ...(local ? { localCluster: local } : {}),
    close: async (graceMs?: number) => {
      await sim?.stop(graceMs);
      await local?.cluster.stop();
    },
  };
}

/** The discovery file of a running sim, if it describes this server. */
async function foundSim(file: string, server: string): Promise<Record<string, unknown> | undefined> {
  try {
    const d = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    return d.apiserver === server ? d : undefined;
  } catch {
    return undefined;
  }
}
