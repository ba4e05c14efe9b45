import { afterThisProcess, cliPath } from '../util/child-life.js';

export interface ClusterWatchdog {
  /** The owner stopped the cluster itself: the watchdog goes, doing nothing. */
  disarm(): void;
}

/**
 * What cleans up after a kbench that dies owning a local cluster without stopping it
 * (SIGKILL, the OOM killer). Its components die with it (setpriv --pdeathsig), but their
 * folder (etcd's data, certificates, logs), the kubeconfig and the `cluster down` record
 * would stay: after kbench's exit, `kbench cluster down --name <name>` runs with kbench's own
 * Node, stops whatever is left and removes the files.
 */
export function armClusterWatchdog(name: string): ClusterWatchdog {
  const after = afterThisProcess('cat >/dev/null; exec "$1" "$2" cluster down --name "$3"', [process.execPath, cliPath(), name]);
  return { disarm: after.disarm };
}
