import type { Argv } from 'yargs';
import { DEFAULT_SETTINGS, GROUPS } from '../compare/settings.js';
import { FLAG_SIM_KEYS, flagOf, SIM_SETTINGS } from '../spec/sim-settings.js';

/**
 * Every command's flags and their parsed shapes. This module is light on purpose (yargs'
 * types, and small tables): `kbench --help` loads it and nothing of what the commands do.
 */

export interface CollectArgs {
  collect: boolean;
  metricsUrl: string[];
  metricsCaFile?: string;
  metricsCertFile?: string;
  metricsKeyFile?: string;
  metricsTokenFile?: string;
  metricsInsecure: boolean;
  prometheus?: string;
  collectInterval?: string;
}

export interface CompareFlags {
  threshold: string[];
  noiseFloorMs: number;
  noiseFloorPods: number;
  minSamples: number;
  force: boolean;
  failOnRegression: boolean;
}

/** The target and run-control flags `run` and `collect` share. */
export interface TargetArgs {
  kubeconfig?: string;
  context?: string;
  sim: boolean;
  localCluster: boolean;
  cleanupWait: string;
  serverGrace: string;
}

/** `kbench run --shard i/N` and the flags of a sharded run (docs/shards.md). */
export interface ShardArgs {
  shard?: string;
  runId?: string;
  coordinationNamespace: string;
  onShardLoss: string;
  shardTimeout: string;
  joinTimeout: string;
  collectorShard: string;
  uploadResults: boolean;
}

export interface RunArgs extends CollectArgs, CompareFlags, TargetArgs, ShardArgs {
  baseline?: string;
  /** --repeat N: a series of N runs. */
  repeat?: number;
  oneSim: boolean;
  workload: string;
  out?: string;
  keep: boolean;
  set: string[];
  seed?: string;
}

export interface AbArgs extends CollectArgs, CompareFlags, TargetArgs {
  workload: string;
  a: string[];
  b: string[];
  repeat: number;
  out?: string;
  set: string[];
  seed?: string;
}

export interface CollectCommandArgs extends CollectArgs, TargetArgs {
  duration: string;
  workload?: string;
  selector: string;
  out?: string;
  set: string[];
}

export interface CompareArgs extends CompareFlags {
  a: string;
  b: string;
  format: 'table' | 'markdown' | 'json';
}

export interface ReportArgs extends Omit<CompareFlags, 'failOnRegression'> {
  dir: string;
  compare?: string;
  out?: string;
}

export interface ValidateArgs {
  workload: string;
  set: string[];
  seed?: string;
  shards?: number;
}

export interface MergeArgs {
  dirs: string[];
  out: string;
  allowMissing: boolean;
}

/** The cluster `kbench job --apply` and `kbench job results` talk to. */
export interface KubeconfigArgs {
  kubeconfig?: string;
  context?: string;
}

export interface JobArgs extends KubeconfigArgs {
  workload?: string;
  shards?: number;
  image?: string;
  namespace: string;
  runId?: string;
  apply: boolean;
  out?: string;
  set: string[];
  seed?: string;
  onShardLoss: string;
  collectorShard: string;
  cpu: string;
  memory: string;
}

export interface JobResultsArgs extends KubeconfigArgs {
  runId: string;
  namespace: string;
  out: string;
}

export interface CleanupArgs {
  run?: string;
  allRuns: boolean;
  kubeconfig?: string;
  context?: string;
  dryRun: boolean;
  yes: boolean;
  wait: string;
}

export interface SimArgs {
  json: boolean;
  lifeline: boolean;
  [flag: string]: unknown;
}

/** The metrics flags `run` and `collect` share. */
export function withCollectOptions<T>(y: Argv<T>, canDisable: boolean): Argv<T & CollectArgs> {
  let out = y
    .option('metrics-url', { type: 'string', array: true, default: [], describe: 'Scrape a component: --metrics-url etcd=https://10.0.0.10:2379/metrics (repeatable)' })
    .option('metrics-ca-file', { type: 'string', describe: 'CA bundle for --metrics-url and --prometheus' })
    .option('metrics-cert-file', { type: 'string', describe: 'Client certificate for --metrics-url (etcd)' })
    .option('metrics-key-file', { type: 'string', describe: 'Client key for --metrics-url (etcd)' })
    .option('metrics-token-file', { type: 'string', describe: 'Bearer token file for --metrics-url and --prometheus' })
    .option('metrics-insecure', { type: 'boolean', default: false, describe: "Do not verify the metrics servers' certificates" })
    .option('prometheus', { type: 'string', describe: 'Also query this Prometheus server (built-in queries)' })
    .option('collect-interval', { type: 'string', describe: 'Sampling interval of the server-side time series (default 5s, or collect.interval)' });
  if (canDisable) out = out.option('collect', { type: 'boolean', default: true, describe: 'Collect control-plane metrics (--no-collect: client-side only)' });
  return out as unknown as Argv<T & CollectArgs>;
}

export function withCompareOptions<T>(y: Argv<T>, failFlag = true): Argv<T> {
  const withFlags = y
    .option('threshold', {
      type: 'string',
      array: true,
      default: [],
      describe: `Smallest change (percent of A) that counts: default ${DEFAULT_SETTINGS.thresholdPct}, api and server 25; per group: --threshold api=50 (groups ${GROUPS.join(', ')})`,
    })
    .option('noise-floor-ms', { type: 'number', default: DEFAULT_SETTINGS.noiseFloorMs, describe: 'A latency change smaller than this is unchanged, whatever its percentage' })
    .option('noise-floor-pods', { type: 'number', default: DEFAULT_SETTINGS.noiseFloorPods, describe: "A change of the scheduler's pending-queue max smaller than this is unchanged" })
    .option('min-samples', { type: 'number', default: DEFAULT_SETTINGS.minSamples, describe: 'Fewer samples on a side is inconclusive (a p99 needs at least 100)' })
    .option('force', { type: 'boolean', default: false, describe: 'Compare result sets of different workloads' });
  return (failFlag ? withFlags.option('fail-on-regression', { type: 'boolean', default: false, describe: 'Exit 3 when any measurement regressed' }) : withFlags) as Argv<T>;
}

/** The flags that choose the target and govern a run, for `run` and `collect`. */
export function withTargetOptions<T>(y: Argv<T>): Argv<T & TargetArgs> {
  return y
    .option('kubeconfig', { type: 'string', describe: 'kubeconfig file (default: KUBECONFIG, then ~/.kube/config)' })
    .option('context', { type: 'string', describe: 'kubeconfig context (default: the current one)' })
    .option('sim', { type: 'boolean', default: false, describe: "Run on the embedded sim, started with the workload's sim: block" })
    .option('local-cluster', { type: 'boolean', default: false, describe: "Run on a real control plane started on this machine for the command (kbench cluster build first), with the workload's sim: block mapped to real flags" })
    .option('cleanup-wait', { type: 'string', default: '30s', describe: "How long the cleanup waits for the run's namespaces to be gone before it says they are still terminating" })
    .option('server-grace', { type: 'string', default: '30s', describe: 'Stop the run when the API server has answered nothing (or not been ready) for this long' }) as unknown as Argv<T & TargetArgs>;
}

/** The flags of a sharded run, for `run`. */
export function withShardOptions<T>(y: Argv<T>): Argv<T & ShardArgs> {
  return y
    .option('shard', { type: 'string', describe: 'Run shard i of N (i from 0) of a sharded run: its share of every phase (docs/shards.md); needs --run-id' })
    .option('run-id', { type: 'string', describe: 'The run id every shard of a sharded run shares (`kbench validate W --shards N` prints a fresh one)' })
    .option('coordination-namespace', { type: 'string', default: 'default', describe: "Namespace of the run's coordination ConfigMap and Leases" })
    .option('on-shard-loss', { type: 'string', default: 'fail', choices: ['fail', 'continue'], describe: 'When a shard is lost: stop the run (fail) or go on without it (continue)' })
    .option('shard-timeout', { type: 'string', default: '10s', describe: 'A shard whose Lease is not renewed for this long is lost' })
    .option('join-timeout', { type: 'string', default: '10m', describe: 'How long the first phase waits for every shard to join' })
    .option('collector-shard', { type: 'string', default: '0', describe: "The shard that scrapes the control plane's metrics (`none`: no shard does)" })
    .option('upload-results', { type: 'boolean', default: false, describe: "When the shard ends, keep its result set in the cluster (ConfigMaps in --coordination-namespace) for `kbench job results`; what `kbench job` runs" }) as unknown as Argv<T & ShardArgs>;
}

/** `kbench sim`'s flags, one per setting of src/spec/sim-settings.ts (the key in kebab-case). */
export function withSimFlags<T>(y: Argv<T>): Argv<T> {
  let out = y;
  for (const key of FLAG_SIM_KEYS) {
    const d = SIM_SETTINGS[key];
    const schema: { type?: string; enum?: readonly string[] } = d.schema as { type?: string; enum?: readonly string[] };
    const real = 'real' in d ? ` (${d.real.component} ${d.real.flag})` : '';
    const def = 'default' in d ? ` [default: ${String(d.default)}]` : '';
    out = out.option(flagOf(key), {
      // Numbers are read by readSimSetting, so `--nodes lots` is an error, not NaN.
      type: schema.type === 'boolean' ? 'boolean' : 'string',
      describe: `${d.describe}${real}${def}`,
      ...(schema.enum ? { choices: [...schema.enum] } : {}),
    });
  }
  return out;
}
