import { launchLocalCluster, localSettingsOrThrow } from '../localcluster/launch.js';
import type { LocalCluster } from '../localcluster/local-cluster.js';
import type { SimSpec } from '../spec/schema.js';
import { clusterError } from './cluster.js';

export interface LocalTarget {
  cluster: LocalCluster;
  /** What the manifest records: versions, how each `sim:` setting was applied, the endpoints. */
  manifest: Record<string, unknown>;
}

/**
 * `--local-cluster`: a real control plane for this one command, with the workload's `sim:`
 * settings mapped to real flags (a setting without a real counterpart is bad input, checked
 * before anything starts). Recorded as `run-<pid>` for `kbench cluster down --all`.
 */
export async function startLocalTarget(sim: SimSpec, info: (line: string) => void, signal?: AbortSignal): Promise<LocalTarget> {
  try {
    const { settings, applied } = localSettingsOrThrow(sim, 'sim');
    info(`target: a local control plane (--local-cluster), ${settings.nodes} kwok nodes${applied.length ? `; ${applied.map((a) => `${a.key}=${String(a.value)} -> ${a.real}`).join('; ')}` : ''}`);
    const t0 = Date.now();
    const cluster = await launchLocalCluster({ name: `run-${process.pid}`, settings, log: (l) => info(`cluster: ${l}`), ...(signal ? { signal } : {}) });
    info(`cluster: up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    // A component dying mid-run: said at once; the run's own checks (a dead apiserver, wait timeouts) then end it.
    void cluster.failed.then((e) => info(`cluster: ${e.message}; last lines of ${e.logFile}:\n  ${e.logLines.join('\n  ')}`));
    return { cluster, manifest: { versions: cluster.endpoints.versions, settings: applied, endpoints: cluster.endpoints, startedBy: 'kbench --local-cluster' } };
  } catch (e) {
    throw clusterError(e);
  }
}
