import { cliPath, removeAfterExit } from '../util/child-life.js';

export interface ClusterWatchdog {
  /** A file or folder the cluster's stop removes: removed after kbench's exit too. */
  add(path: string): void;
  /** The owner stopped the cluster itself: the watchdog goes, doing nothing. */
  disarm(): void;
}

/**
 * What cleans up after a kbench that dies owning a local cluster without stopping it
 * (SIGKILL, the OOM killer). Its components die with it (setpriv --pdeathsig), but their
 * folder (etcd's data, certificates, logs), the kubeconfig and the `cluster down` record
 * would stay: after kbench's exit, `kbench cluster down --name <name>` runs with kbench's own
 * Node, stops whatever is left and removes the recorded files, and the paths given to `add`
 * go too (a kbench killed before its first component started has no record yet).
 */
export function armClusterWatchdog(name: string): ClusterWatchdog {
  return removeAfterExit([process.execPath, cliPath(), 'cluster', 'down', '--name', name]);
}
