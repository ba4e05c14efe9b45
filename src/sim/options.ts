import type { PodStageSpec } from './kubelet/pod-stages.js';

/**
 * Everything `kbench sim` / `startSim` can be told, with the real component flag each
 * setting models. Defaults live here and only here; `resolveSimOptions` applies them.
 */

export type StorageMode = 'auto' | 'etcd' | 'memory';

export interface SimOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default 0 */
  port?: number;
  /** @default 'auto' (etcd when an etcd binary is found, else memory) */
  storage?: StorageMode;
  etcdBinary?: string;
  /** Events in a second etcd, as both source documents did to relieve the main one. @default false */
  eventsEtcd?: boolean;
  /** Where to write the kubeconfig; `<data dir>/kubeconfig` when absent. */
  kubeconfigOut?: string;
  /** Keeps etcd data and the kubeconfig here; a temporary dir (removed at stop) when absent. */
  dataDir?: string;
  /** Seed of every random choice the sim makes (delays, jitter, tie-breaks). @default 1 */
  seed?: number;

  // kube-apiserver
  /** --max-requests-inflight. @default 400 */
  maxRequestsInflight?: number;
  /** --max-mutating-requests-inflight. @default 200 */
  maxMutatingRequestsInflight?: number;
  /**
   * --enable-priority-and-fairness: API Priority and Fairness over the default FlowSchemas
   * and PriorityLevelConfigurations, sharing max-requests-inflight + max-mutating-requests-inflight
   * among priority levels; false: the legacy max-inflight limits. @default true
   */
  enablePriorityAndFairness?: boolean;
  /** How long the watch cache keeps events (ms). @default 75000 */
  watchHistoryWindowMs?: number;
  /** At most this many events per resource in the watch cache. @default 102400 */
  watchHistoryMax?: number;
  /** Interval of watch BOOKMARK events (ms). @default 60000 */
  bookmarkIntervalMs?: number;
  /** --min-request-timeout (s). @default 1800 */
  minRequestTimeoutSeconds?: number;
  /** --etcd-compaction-interval (ms). @default 300000 */
  etcdCompactionIntervalMs?: number;

  // nodes and kubelets
  /** Number of simulated nodes. @default 100 */
  nodes?: number;
  /** Node capacity and allocatable CPU (PayPal: 4 cores). @default '4' */
  nodeCpu?: string;
  /** @default '16Gi' */
  nodeMemory?: string;
  /** kubelet --max-pods (PayPal: 40). @default 40 */
  nodePods?: number;
  /** kubelet node lease renewal (--node-lease-duration / 4 = 10 s). @default 10000 */
  nodeLeaseIntervalMs?: number;
  /** kubelet --node-status-report-frequency: Node status writes when nothing changed. @default 300000 */
  nodeStatusIntervalMs?: number;
  /** Mean time from binding to Running (image pre-pulled). @default 800 */
  podStartupDelayMs?: number;
  /** Startup delay is uniform in delay ± jitter. @default 400 */
  podStartupJitterMs?: number;
  /** Time a deleted pod's containers take to stop (capped by the grace period). @default 200 */
  podTerminationDelayMs?: number;
  /** Write kubelet Events (Pulled, Created, Started) for each pod. @default false */
  kubeletEvents?: boolean;
  /**
   * The pod lifecycle profile: a list of stages (see kubelet/pod-stages.ts: selector, weight,
   * delay {duration, jitter}, next {state, status, events, delete}), or the path of a YAML or
   * JSON file holding one. Replaces the default profile, whose parameters are
   * podStartupDelayMs, podStartupJitterMs, podTerminationDelayMs and kubeletEvents.
   * @default the default profile
   */
  podStages?: PodStageSpec[] | string;

  // kube-scheduler
  /** kube-scheduler --kube-api-qps. @default 50 */
  schedulerQps?: number;
  /** kube-scheduler --kube-api-burst. @default 100 */
  schedulerBurst?: number;

  // kube-controller-manager
  /** kube-controller-manager --kube-api-qps (each controller has its own limiter). @default 20 */
  controllerQps?: number;
  /** kube-controller-manager --kube-api-burst. @default 30 */
  controllerBurst?: number;
  /** --concurrent-deployment-syncs. @default 5 */
  concurrentDeploymentSyncs?: number;
  /** --concurrent-replicaset-syncs. @default 5 */
  concurrentReplicasetSyncs?: number;

  /** Progress and warnings. */
  log?: (line: string) => void;
}

export type ResolvedSimOptions = Required<Omit<SimOptions, 'etcdBinary' | 'kubeconfigOut' | 'dataDir' | 'podStages'>> &
  Pick<SimOptions, 'etcdBinary' | 'kubeconfigOut' | 'dataDir' | 'podStages'>;

export const SIM_DEFAULTS: Omit<ResolvedSimOptions, 'log' | 'etcdBinary' | 'kubeconfigOut' | 'dataDir' | 'podStages'> = {
  host: '127.0.0.1',
  port: 0,
  storage: 'auto',
  eventsEtcd: false,
  seed: 1,
  maxRequestsInflight: 400,
  maxMutatingRequestsInflight: 200,
  enablePriorityAndFairness: true,
  watchHistoryWindowMs: 75_000,
  watchHistoryMax: 100 * 1024,
  bookmarkIntervalMs: 60_000,
  minRequestTimeoutSeconds: 1800,
  etcdCompactionIntervalMs: 300_000,
  nodes: 100,
  nodeCpu: '4',
  nodeMemory: '16Gi',
  nodePods: 40,
  nodeLeaseIntervalMs: 10_000,
  nodeStatusIntervalMs: 300_000,
  podStartupDelayMs: 800,
  podStartupJitterMs: 400,
  podTerminationDelayMs: 200,
  kubeletEvents: false,
  schedulerQps: 50,
  schedulerBurst: 100,
  controllerQps: 20,
  controllerBurst: 30,
  concurrentDeploymentSyncs: 5,
  concurrentReplicasetSyncs: 5,
};

export function resolveSimOptions(o: SimOptions): ResolvedSimOptions {
  const out = { ...SIM_DEFAULTS, log: () => undefined, ...stripUndefined(o) } as ResolvedSimOptions;
  return out;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
