import type { SimOptions } from '../sim/index.js';
import { parseDuration } from '../util/duration.js';
import { UsageError } from './errors.js';

type Kind = 'string' | 'number' | 'boolean' | 'duration' | 'storage';

interface SimFlag {
  /** The SimOptions field (also the key in a workload's `sim:` block). */
  key: keyof SimOptions;
  flag: string;
  kind: Kind;
  describe: string;
}

/**
 * Every sim setting as a `kbench sim` flag, with the real component flag it models. The
 * same keys are accepted in a workload's `sim:` block. Durations take 800ms, 10s, 5m.
 */
export const SIM_FLAGS: readonly SimFlag[] = [
  { key: 'port', flag: 'port', kind: 'number', describe: 'HTTPS port of the API server (0 picks a free one)' },
  { key: 'host', flag: 'host', kind: 'string', describe: 'Address to bind' },
  { key: 'storage', flag: 'storage', kind: 'storage', describe: 'etcd (spawns the etcd binary), memory (in-process), auto (etcd when found)' },
  { key: 'etcdBinary', flag: 'etcd-binary', kind: 'string', describe: 'Path of the etcd binary (default: etcd on PATH)' },
  { key: 'eventsEtcd', flag: 'events-etcd', kind: 'boolean', describe: 'Keep Events in a second etcd (kube-apiserver --etcd-servers-overrides=/events#...)' },
  { key: 'kubeconfigOut', flag: 'kubeconfig-out', kind: 'string', describe: 'Where to write the kubeconfig (default: in the data dir)' },
  { key: 'dataDir', flag: 'data-dir', kind: 'string', describe: 'Keep etcd data and the kubeconfig here (default: a temp dir removed at exit)' },
  { key: 'seed', flag: 'seed', kind: 'number', describe: 'Seed of every random choice of the sim (delays, tie-breaks)' },
  { key: 'maxRequestsInflight', flag: 'max-requests-inflight', kind: 'number', describe: 'kube-apiserver --max-requests-inflight: concurrent reads before 429 (0: no limit)' },
  { key: 'maxMutatingRequestsInflight', flag: 'max-mutating-requests-inflight', kind: 'number', describe: 'kube-apiserver --max-mutating-requests-inflight: concurrent writes before 429' },
  { key: 'watchHistoryWindowMs', flag: 'watch-history-window', kind: 'duration', describe: 'How long the watch cache keeps events for resuming watches (older: 410 Gone)' },
  { key: 'minRequestTimeoutSeconds', flag: 'min-request-timeout', kind: 'number', describe: 'kube-apiserver --min-request-timeout: watches without timeoutSeconds end after [t, 2t] s' },
  { key: 'bookmarkIntervalMs', flag: 'bookmark-interval', kind: 'duration', describe: 'Interval of watch BOOKMARK events' },
  { key: 'nodes', flag: 'nodes', kind: 'number', describe: 'Number of simulated nodes' },
  { key: 'nodeCpu', flag: 'node-cpu', kind: 'string', describe: 'CPU capacity and allocatable of each node' },
  { key: 'nodeMemory', flag: 'node-memory', kind: 'string', describe: 'Memory capacity and allocatable of each node' },
  { key: 'nodePods', flag: 'node-pods', kind: 'number', describe: 'Pods per node (kubelet --max-pods)' },
  { key: 'nodeLeaseIntervalMs', flag: 'node-lease-interval', kind: 'duration', describe: 'Node Lease renewal interval (kubelet: --node-lease-duration-seconds / 4)' },
  { key: 'nodeStatusIntervalMs', flag: 'node-status-interval', kind: 'duration', describe: 'Node status write interval (kubelet --node-status-report-frequency)' },
  { key: 'podStartupDelayMs', flag: 'pod-startup-delay', kind: 'duration', describe: 'Mean time from binding to Running (image pre-pulled)' },
  { key: 'podStartupJitterMs', flag: 'pod-startup-jitter', kind: 'duration', describe: 'Startup delay is uniform in delay ± jitter' },
  { key: 'podTerminationDelayMs', flag: 'pod-termination-delay', kind: 'duration', describe: 'Time a deleted pod takes to stop (capped by its grace period)' },
  { key: 'kubeletEvents', flag: 'kubelet-events', kind: 'boolean', describe: 'Write kubelet Events (Pulled, Created, Started) for every pod' },
  { key: 'schedulerQps', flag: 'scheduler-qps', kind: 'number', describe: 'kube-scheduler --kube-api-qps' },
  { key: 'schedulerBurst', flag: 'scheduler-burst', kind: 'number', describe: 'kube-scheduler --kube-api-burst' },
  { key: 'controllerQps', flag: 'controller-qps', kind: 'number', describe: 'kube-controller-manager --kube-api-qps (per controller)' },
  { key: 'controllerBurst', flag: 'controller-burst', kind: 'number', describe: 'kube-controller-manager --kube-api-burst (per controller)' },
  { key: 'concurrentDeploymentSyncs', flag: 'concurrent-deployment-syncs', kind: 'number', describe: 'kube-controller-manager --concurrent-deployment-syncs' },
  { key: 'concurrentReplicasetSyncs', flag: 'concurrent-replicaset-syncs', kind: 'number', describe: 'kube-controller-manager --concurrent-replicaset-syncs' },
];

const STORAGE = ['auto', 'etcd', 'memory'];

/** Checks and converts one setting (a flag value or a `sim:` key); throws UsageError with `where`. */
export function simSetting(key: keyof SimOptions, value: unknown, where: string): unknown {
  const f = SIM_FLAGS.find((x) => x.key === key);
  if (!f) throw new UsageError(`${where}: unknown sim setting "${String(key)}"`);
  switch (f.kind) {
    case 'duration':
      try {
        return parseDuration(value as string | number);
      } catch (e) {
        throw new UsageError(`${where}: ${(e as Error).message}`);
      }
    case 'number': {
      const n = typeof value === 'number' ? value : Number(value);
      if (!Number.isFinite(n) || n < 0) throw new UsageError(`${where}: must be a non-negative number (got ${JSON.stringify(value)})`);
      if (key === 'port' && (!Number.isInteger(n) || n > 65535)) throw new UsageError(`${where}: must be an integer between 0 and 65535 (got ${value})`);
      return n;
    }
    case 'boolean':
      if (typeof value !== 'boolean') throw new UsageError(`${where}: must be true or false (got ${JSON.stringify(value)})`);
      return value;
    case 'storage':
      if (!STORAGE.includes(String(value))) throw new UsageError(`${where}: must be one of ${STORAGE.join(', ')} (got ${JSON.stringify(value)})`);
      return value;
    case 'string':
      if (typeof value !== 'string' || value === '') throw new UsageError(`${where}: must be a non-empty string`);
      return value;
  }
}

/** SimOptions from parsed `kbench sim` flags (only the ones given). */
export function simOptionsFromFlags(args: Record<string, unknown>): SimOptions {
  const out: Record<string, unknown> = {};
  for (const f of SIM_FLAGS) {
    const v = args[f.flag];
    if (v === undefined) continue;
    out[f.key] = simSetting(f.key, v, `--${f.flag}`);
  }
  return out as SimOptions;
}
