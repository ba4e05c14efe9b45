/**
 * The result-set format: what a result folder's manifest.json and summary.json hold. This
 * file is its one definition. The writer, the reader, compare, report, merge and the tests'
 * synthetic result sets use these types; src/results/result-set.schema.json is generated
 * from them (`npm run schema`) and the reader checks every file against it. Files beside
 * the two JSON files (pods.csv, api.csv, histograms/, metrics/, time series) are described
 * in docs/result-set.md, which is generated from this file too.
 *
 * Change the format only with a new FORMAT_VERSION and an upgrade of the previous one in
 * src/results/upgrade.ts.
 */

/** The format this kbench writes. The reader reads this one and the one before. */
export const FORMAT_VERSION = 2;

export type RunStatus = 'running' | 'complete' | 'interrupted' | 'failed';

/** manifest.json: what was run, where, how it ended, and what was left behind. */
export interface Manifest {
  /** The result-set format (2). Missing in results of kbench 0.1 (format 1). */
  formatVersion: number;
  kbenchVersion: string;
  runId: string;
  /** run: kbench created and measured the load; collect: measure only (someone else's load). */
  mode: 'run' | 'collect';
  /** kbench collect: the label selector of the pods tracked. */
  podSelector?: string;
  status: RunStatus;
  error?: string;
  /** ISO 8601. */
  startedAt: string;
  /** ISO 8601; empty while the run goes on. */
  endedAt: string;
  workload: WorkloadIdentity;
  /** The command line, without secrets. */
  args: string[];
  /** The --set overrides, as given. */
  overrides: string[];
  seed: number;
  target: TargetInfo;
  host: HostInfo;
  /** The measurements this run took (a workload may turn some off). */
  measurements: string[];
  /** What became of the objects the run created; written when the run ends. */
  cleanup?: CleanupReport;
  /** Present when this run is one shard of a sharded run (kbench run --shard i/N). */
  shard?: ShardOfRun;
  /** Present when this result set was merged from shards (kbench merge). */
  shards?: ShardInfo[];
  /** Present when this run is one of a series (kbench run --repeat). */
  series?: { id: string; index: number; of: number };
}

export interface WorkloadIdentity {
  name: string;
  /** The workload file, as an absolute path on the machine that ran it. */
  file: string;
  /** sha256 of the workload file as read (before --set). */
  sha256: string;
  /** The spec as run (after --set). */
  resolved: Record<string, unknown>;
}

export interface TargetInfo {
  kind: 'cluster' | 'sim' | 'local-cluster';
  /** The API server URL, without credentials. */
  server: string;
  context: string;
  kubeconfig?: string;
  serverVersion?: string;
  nodes?: number;
  /** The sim's settings and endpoints, or the local control plane's. */
  sim?: Record<string, unknown>;
  /** Why kbench is on this target ("--sim", "no kubeconfig found"). */
  note?: string;
}

export interface HostInfo {
  node: string;
  platform: string;
  cpus: number;
  hostname: string;
}

export interface ShardInfo {
  /** i of `i/N`, from 0. */
  index: number;
  runId: string;
  /** How the shard's own run ended; `running` for a shard killed before it wrote its summary. */
  status: RunStatus;
  /** The shard's own result folder (base name) as merged; empty when there was none. */
  from: string;
  /** Why this shard's share is not (or not wholly) in the merged result set. */
  missing?: string;
  /** The shard process's own health (each shard is a process of its own). */
  harness?: HealthSummary;
  /** The host it ran on. */
  hostname?: string;
}

/** One shard of a sharded run, as its own result set says. */
export interface ShardOfRun {
  /** i of `i/N`, from 0. */
  index: number;
  count: number;
  /** Where the shards met: `configmap <namespace>/<name>`. */
  coordination: string;
  /** What the run did when a shard was lost: stop (fail) or go on without it (continue, --on-shard-loss continue). */
  onLoss: 'fail' | 'continue';
  /** The shards this one saw lost, in order. */
  lost: LostShard[];
  /** Whether this shard collected the control plane's metrics (one shard does). */
  collector: boolean;
}

export interface LostShard {
  index: number;
  reason: string;
  /** When this shard noticed, ISO 8601. */
  at: string;
  /** The phase (or step) this shard was in when it noticed. */
  during: string;
}

/** Where a namespace of the run stands after the cleanup. */
export interface NamespaceCleanup {
  name: string;
  /** deleted: gone; terminating: the API server accepted the delete and is removing it; failed: the delete was refused or got no answer; kept: --keep. */
  result: 'deleted' | 'terminating' | 'failed' | 'kept';
  error?: string;
}

export interface CleanupReport {
  /** delete: the run deleted its namespaces; keep: --keep; discard: the target (a sim kbench started) was thrown away; none: nothing was created. */
  action: 'delete' | 'keep' | 'discard' | 'none';
  /** One sentence a user can act on, e.g. how to finish a failed cleanup. */
  message: string;
  /** Every namespace the run created, when action is delete or keep. */
  namespaces: NamespaceCleanup[];
}

/** count/min/percentiles/max/mean of one measurement, in its unit. */
export interface Stats {
  count: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface StatsWithUnit extends Stats {
  unit: string;
}

/** summary.json: every measurement's summary and the SLO verdicts. */
export interface Summary {
  formatVersion: number;
  kbenchVersion: string;
  workload: string;
  runId: string;
  status: RunStatus;
  error?: string;
  startedAt: string;
  endedAt: string;
  durationS: number;
  /** The pod startup measurement (`pods`). */
  pods?: PodsSummary;
  /** Client-side API latency per request key (`api`). */
  api?: ApiKeySummary[];
  /** How the API percentiles were computed. */
  apiPercentiles?: string;
  /** Time API calls waited on kbench's own rate limiter (not in their latency). */
  limiterWaitMs?: StatsWithUnit | { count: 0; unit: string };
  /** The workload's phases as they ran. */
  phases: PhaseResult[];
  /** kbench watching itself (`harness`). */
  harness?: HealthSummary;
  /** Control-plane metrics (`control-plane`, `prometheus`). */
  collectors?: CollectorsSummary;
  slo: SloVerdict[];
  warnings: string[];
}

export const POD_PHASE_NAMES = ['create_to_schedule', 'schedule_to_run', 'run_to_watch', 'schedule_to_watch', 'pod_startup', 'create_to_ready'] as const;
export type PodPhaseName = (typeof POD_PHASE_NAMES)[number];

/** Where a pod's clock starts: kbench's own create, its watch's first sight, or the server's 1-second creationTimestamp. */
export type PodStart = 'create_sent' | 'watch_first_seen' | 'creation_timestamp';

export interface PodsSummary {
  expected: number;
  seen: number;
  scheduled: number;
  running: number;
  ready: number;
  deleted: number;
  watch: { reconnects: number; relists: number };
  phases: Partial<Record<PodPhaseName, PodPhaseSummary>>;
  /** How many pods started their clock at each kind of start. */
  starts: Partial<Record<PodStart, number>>;
  percentiles: string;
}

export interface PodPhaseSummary extends Partial<Stats> {
  count: number;
  unit: string;
  /** Pods whose value came out below zero from 1-second server stamps and was clamped to 0. */
  clamped: number;
  /** Where each end of the phase comes from. */
  source: string;
}

export interface ApiKeySummary {
  /** `VERB resource[/subresource] scope`, as the apiserver's metrics spell it. */
  key: string;
  verb: string;
  resource: string;
  subresource: string;
  scope: string;
  /** Calls that got an answer other than 429 or 5xx (after retries). */
  count: number;
  /** Failed attempts by code ('429', '503', 'timeout', 'network'), retried or final. */
  errors: Record<string, number>;
  /** Calls that failed after their retries, by final code. */
  failed: Record<string, number>;
  retries: number;
  /** Calls slower than the SLO threshold of their class. */
  slowCount: number;
  thresholdMs: number;
  /** Latency of each call as its caller saw it: from the first attempt to the answer, retries and their waits included. */
  latencyMs?: StatsWithUnit;
  /** Latency of the last attempt alone (what the server spent on the answer that counted). */
  lastAttemptMs?: StatsWithUnit;
}

export type PhaseStatus = 'ok' | 'failed' | 'interrupted';

export interface PhaseResult {
  name: string;
  action: string;
  /** Wall clock, ms since the epoch. */
  startedAt: number;
  endedAt: number;
  durationMs: number;
  status: PhaseStatus;
  error?: string;
  /** API phases: operations planned, started, done, refused (with the first refusal's answer), and skipped (open loop beyond maxInFlight). */
  operations?: { planned: number; started: number; succeeded: number; failed: number; skipped: number; firstError?: string };
  /** Open loop: completion minus scheduled arrival (ms). */
  intendedLatencyMs?: Stats;
  wait?: { for: string; target: number; reached: number };
}

export interface HealthSummary {
  /** Peak resident memory of the kbench process (MiB), up to the moment the summary was written. */
  peakRssMiB: number;
  lagP99Ms: number;
  lagMaxMs: number;
  cpuMeanPct: number;
  cpuMaxPct: number;
  /** Share of the sampled time in which the harness was saturated. */
  saturatedShare: number;
  bottleneck: boolean;
  reason?: string;
}

export type VerdictValue = 'pass' | 'fail' | 'unavailable';

/** One SLO checked against one measurement. */
export interface SloVerdict {
  id: string;
  description: string;
  /** Which side measured it. */
  side: 'client' | 'server';
  threshold: number;
  unit: 'ms' | 'pods' | 'pct';
  /** pass when value <= threshold (or < for 'max below'). */
  comparison: '<=' | '<';
  value?: number;
  verdict: VerdictValue;
  reason?: string;
}

/** A value the collectors could not read: never a zero standing in for "unknown". */
export interface Unavailable {
  unavailable: string;
}

export type Maybe<T> = T | Unavailable;

/** The value of a summary field, or undefined when it is `{ unavailable }`. */
export function known<T>(v: T | Unavailable | undefined): T | undefined {
  return v !== undefined && !(typeof v === 'object' && v !== null && 'unavailable' in v) ? (v as T) : undefined;
}

export type Component = 'apiserver' | 'scheduler' | 'etcd' | 'controller-manager';

/** Observations and quantiles of a server histogram over a period, in milliseconds. */
export interface HistogramSummary {
  count: number;
  p50Ms?: number;
  p90Ms?: number;
  p99Ms?: number;
  meanMs?: number;
  /** The p99 fell in the +Inf bucket: the value is the highest bound, a lower limit. */
  p99AboveHighestBucket?: true;
  /** The histogram's finite bucket bounds (seconds), as the scraped component reported them. */
  bucketsS?: number[];
}

/**
 * An etcd disk histogram over a period, of the member with the worst p99: etcd's latency
 * guidance holds for each member, and a member on a fast disk must not dilute one on a slow
 * disk (the sim's Events etcd, say, against its main one).
 */
export interface EtcdHistogramSummary extends HistogramSummary {
  /** The member (scrape source) whose histogram this is. */
  member?: string;
  /** How many members had a histogram for the period. */
  members?: number;
}

/** One apiserver request key's latency over a period. */
export interface ServerApiKey extends HistogramSummary {
  key: string;
  verb: string;
  resource: string;
  subresource: string;
  scope: string;
  thresholdMs: number;
}

/**
 * Pods waiting in the scheduler; `total` is what the SLO counts: every queue but the gated
 * one (held back on purpose), including the pod-group queues of newer schedulers.
 */
export interface Pending {
  active: number;
  backoff: number;
  unschedulable: number;
  gated?: number;
  /** Queues beyond the four above, by their `queue` label (kube-scheduler 1.37: incomplete, pending). */
  others?: Record<string, number>;
  total: number;
}

/** API Priority and Fairness over a period, per priority level. */
export interface FlowControlLevel {
  priorityLevel: string;
  /** Requests rejected (429) by reason: queue-full, concurrency-limit, time-out, cancelled. */
  rejected: Record<string, number>;
  dispatched: number;
  /** Highest number of requests waiting in the level's queues at any scrape of the period. */
  inqueueMax: number;
  /** Time requests waited in the queues before they ran. */
  waitMs: HistogramSummary;
}

export interface ApiLatencyPeriod {
  /** The family read: apiserver_request_sli_duration_seconds, else apiserver_request_duration_seconds. */
  histogram: string;
  bucketsS?: number[];
  keys: ServerApiKey[];
}

export interface FlowControlPeriod {
  levels: FlowControlLevel[];
}

export interface DbSize {
  max: number;
  end: number;
}

/** The control plane over one period (a phase, or the whole run). */
export interface ServerPeriodSummary {
  apiserver: {
    latency: ApiLatencyPeriod | Unavailable;
    requests: number | Unavailable;
    throttled429: number | Unavailable;
    timeouts504: number | Unavailable;
    errors5xx: number | Unavailable;
    /** API Priority and Fairness, per priority level (servers with APF on). */
    flowControl?: FlowControlPeriod | Unavailable;
  };
  etcd: {
    walFsync: EtcdHistogramSummary | Unavailable;
    backendCommit: EtcdHistogramSummary | Unavailable;
    dbSizeBytes: DbSize | Unavailable;
  };
  scheduler: {
    pendingMax: Pending | Unavailable;
    attempt: HistogramSummary | Unavailable;
    podSchedulingSli: HistogramSummary | Unavailable;
    binds: number | Unavailable;
    bindsPerS: number | Unavailable;
  };
}

export interface SourceStatus {
  name: string;
  component: Component;
  /** apiserver | url | pod-proxy */
  type: string;
  /** A URL or a pod, never with credentials. */
  where: string;
  scrapes: number;
  failures: number;
  lastError?: string;
}

export interface PromValueJson {
  labels: Record<string, string>;
  value: number;
}

/** One Prometheus query: its expression and its value per phase and for the run. */
export interface PrometheusQuerySummary {
  expr: string;
  unavailable?: string;
  [window: string]: string | PromValueJson[] | Unavailable | undefined;
}

/** The control plane's metrics: from scraping (`control-plane`) and from Prometheus (`prometheus`). */
export interface CollectorsSummary {
  intervalS?: number;
  /** How the quantiles were computed. */
  quantiles?: string;
  sources?: SourceStatus[];
  /** Why a component has no readings (e.g. "storage is memory"). */
  missing?: Partial<Record<Component, string>>;
  run?: ServerPeriodSummary;
  phases?: Record<string, ServerPeriodSummary & { durationS: number }>;
  /** Per Prometheus source, per query. */
  prometheus?: Record<string, Record<string, PrometheusQuerySummary>>;
  notes?: string[];
}

/** The series format (series.json, series-summary.json) this kbench writes and reads. */
export const SERIES_FORMAT_VERSION = 1;

/**
 * series.json: a folder of runs of one workload, each a result set in its own subfolder
 * (`kbench run --repeat N`: run-1 ... run-N; `kbench ab`: a/ and b/, each a series).
 * It lists only runs that wrote a result set; it is rewritten after each run, so a series
 * cut short still names what it holds.
 */
export interface SeriesFile {
  /** 1. */
  formatVersion: number;
  kind: 'series';
  /** Names the series in the history; every run's manifest carries it (series.id). */
  id?: string;
  workload: { name: string; sha256: string };
  /** The runs' folders, relative to the series folder, in the order they ran. */
  runs: string[];
}

/** series-summary.json: every measurement's value in each run of a series, and their spread. */
export interface SeriesSummary {
  /** 1. */
  formatVersion: number;
  kind: 'series-summary';
  id: string;
  workload: string;
  runs: { folder: string; runId: string; status: RunStatus }[];
  /** complete: every run planned ran and completed; otherwise why not. */
  status: 'complete' | 'incomplete';
  note?: string;
  measurements: SeriesMeasurement[];
}

export interface SeriesMeasurement {
  /** As in comparisons: pods.pod_startup.p50, api.POST pods resource.p99, ... */
  id: string;
  label: string;
  unit: string;
  better: 'lower' | 'higher';
  /** One value per complete run, in the order of `runs` (null: that run did not measure it). */
  values: (number | null)[];
  median: number;
  min: number;
  max: number;
  /** Between-run spread: standard deviation over mean, in percent (0 with one run). */
  cvPct: number;
}

/** ab.json: the two series of `kbench ab` (a/ and b/ beside it), what each changed, and the order the runs ran in. */
export interface AbFile {
  /** 1. */
  formatVersion: number;
  kind: 'ab';
  workload: { name: string; sha256: string };
  /** The --set overrides of every run, then each side's own. */
  set: string[];
  a: { dir: string; set: string[] };
  b: { dir: string; set: string[] };
  /** Run folders (relative to this folder) in the order they ran: a/run-1, b/run-1, a/run-2, ... */
  order: string[];
}
