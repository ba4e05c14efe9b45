import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { cliPath } from '../util/child-life.js';

export interface ClusterWatchdog {
  /** The owner stopped the cluster itself: the watchdog goes, doing nothing. */
  disarm(): void;
}

/**
 * What cleans up after a kbench that dies owning a local cluster without stopping it
 * (SIGKILL, the OOM killer). Its components die with it (setpriv --pdeathsig), but their
 * folder (etcd's data, certificates, logs), the kubeconfig and the `cluster down` record
 * would stay. A shell in a session of its own (out of reach of the terminal's Ctrl-C and
 * hangup) waits for its stdin, a pipe from kbench, to close; the kernel closes it whenever
 * kbench exits. Then it runs `kbench cluster down --name <name>` with kbench's own Node,
 * which stops whatever is left and removes the files.
 */
export function armClusterWatchdog(name: string): ClusterWatchdog {
  if (process.platform === 'win32') return { disarm: () => undefined };
  const child = spawn('/bin/sh', ['-c', 'cat >/dev/null; exec "$0" "$1" cluster down --name "$2"', process.execPath, cliPath(), name], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  child.on('error', () => undefined); // no /bin/sh: the components still die with kbench
  const stdin = child.stdin as Socket | null;
  stdin?.on('error', () => undefined);
  // Neither the watchdog nor its pipe keeps kbench's event loop alive.
  stdin?.unref();
  child.unref();
  return {
    disarm: () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    },
  };
}
