import { parseDuration } from '../util/duration.js';
import { DURATION, QUANTITY } from './formats.js';

export { DURATION, QUANTITY };

/**
 * Every setting of the simulated control plane, defined once: the workload's `sim:` key,
 * the `kbench sim` flag (the key in kebab-case), the option the sim reads, its type (a JSON
 * Schema fragment, which the workload schema uses as is), its default, and the flag of the
 * real component it models. The sim's option types and defaults, the `kbench sim` flags,
 * the workload schema's `sim:` block and the translation of a workload's `sim:` block into
 * `kbench sim` flags are all derived from this table.
 */

const COUNT = { type: 'integer', minimum: 0 } as const;
const POSITIVE = { type: 'integer', minimum: 1 } as const;
const RATE = { type: 'number', minimum: 0 } as const;
const FLAG = { type: 'boolean' } as const;
const TEXT = { type: 'string', minLength: 1 } as const;
/** A file of stages, or (in a workload) the list itself; the sim checks each stage (docs/sim.md). */
const STAGES = { anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', minItems: 1, items: { type: 'object' } }] } as const;

/** Where a real component takes the same setting (kbench cluster maps it there). */
export interface RealFlag {
  component: 'kube-apiserver' | 'kube-scheduler' | 'kube-controller-manager' | 'kubelet' | 'etcd';
  flag: string;
}

interface SettingDef {
  /** The SimOptions field; durations are held in ms (the field ends in Ms). */
  readonly option: string;
  readonly schema: object;
  readonly default?: unknown;
  readonly describe: string;
  /** Only a `kbench sim` flag (process settings): not in a workload's `sim:` block. */
  readonly flagOnly?: boolean;
  /** Only an option of startSim (tests, benchmarks): neither a flag nor a workload key. */
  readonly internal?: boolean;
  /** The sim declares this option's type itself (a structure the table's types cannot say). */
  readonly ownType?: boolean;
  readonly real?: RealFlag;
}

export const SIM_SETTINGS = {
  host: { option: 'host', schema: TEXT, default: '127.0.0.1', describe: 'Address to bind', flagOnly: true },
  port: { option: 'port', schema: { type: 'integer', minimum: 0, maximum: 65535 }, default: 0, describe: 'HTTPS port of the API server (0 picks a free one)', flagOnly: true },
  storage: { option: 'storage', schema: { enum: ['auto', 'etcd', 'memory'] }, default: 'auto', describe: 'etcd (spawns the etcd binary), memory (in-process), auto (etcd when found)' },
  etcdBinary: { option: 'etcdBinary', schema: TEXT, describe: 'Path of the etcd binary (default: etcd on PATH)', flagOnly: true },
  eventsEtcd: { option: 'eventsEtcd', schema: FLAG, default: false, describe: 'Keep Events in a second etcd', real: { component: 'kube-apiserver', flag: '--etcd-servers-overrides=/events#...' } },
  kubeconfigOut: { option: 'kubeconfigOut', schema: TEXT, describe: 'Where to write the kubeconfig (default: in the data dir)', flagOnly: true },
  dataDir: { option: 'dataDir', schema: TEXT, describe: 'Keep etcd data and the kubeconfig here (default: a temp dir removed at exit)', flagOnly: true },
  seed: { option: 'seed', schema: COUNT, default: 1, describe: 'Seed of every random choice of the sim (delays, tie-breaks)' },
  enablePriorityAndFairness: { option: 'enablePriorityAndFairness', schema: FLAG, default: true, describe: 'API Priority and Fairness over the default FlowSchemas and priority levels, sharing the two inflight limits; false: the legacy max-inflight limits', real: { component: 'kube-apiserver', flag: '--enable-priority-and-fairness' } },
  maxRequestsInflight: { option: 'maxRequestsInflight', schema: COUNT, default: 400, describe: 'Concurrent reads before 429 (0: no limit)', real: { component: 'kube-apiserver', flag: '--max-requests-inflight' } },
  maxMutatingRequestsInflight: { option: 'maxMutatingRequestsInflight', schema: COUNT, default: 200, describe: 'Concurrent writes before 429', real: { component: 'kube-apiserver', flag: '--max-mutating-requests-inflight' } },
  apiLatency: { option: 'apiLatencyMs', schema: DURATION, default: '0s', describe: 'Added to every API request but watches, inside its inflight seat: a slower apiserver or storage (to inject a known regression)' },
  watchHistoryWindow: { option: 'watchHistoryWindowMs', schema: DURATION, default: '75s', describe: 'How long the watch cache keeps events for resuming watches (older: 410 Gone)' },
  watchHistoryMax: { option: 'watchHistoryMax', schema: POSITIVE, default: 102400, describe: 'At most this many events per resource in the watch cache', internal: true },
  minRequestTimeout: { option: 'minRequestTimeoutSeconds', schema: POSITIVE, default: 1800, describe: 'Watches without timeoutSeconds end after [t, 2t] s', real: { component: 'kube-apiserver', flag: '--min-request-timeout' } },
  bookmarkInterval: { option: 'bookmarkIntervalMs', schema: DURATION, default: '1m', describe: 'Interval of watch BOOKMARK events' },
  etcdCompactionInterval: { option: 'etcdCompactionIntervalMs', schema: DURATION, default: '5m', describe: 'Compaction interval of the storage', internal: true, real: { component: 'kube-apiserver', flag: '--etcd-compaction-interval' } },
  nodes: { option: 'nodes', schema: COUNT, default: 100, describe: 'Number of simulated nodes' },
  nodeCpu: { option: 'nodeCpu', schema: QUANTITY, default: '4', describe: 'CPU capacity and allocatable of each node (a quantity: 4, 3500m)' },
  nodeMemory: { option: 'nodeMemory', schema: QUANTITY, default: '16Gi', describe: 'Memory capacity and allocatable of each node (a quantity: 16Gi)' },
  nodePods: { option: 'nodePods', schema: POSITIVE, default: 40, describe: 'Pods per node', real: { component: 'kubelet', flag: '--max-pods' } },
  nodeLeaseInterval: { option: 'nodeLeaseIntervalMs', schema: DURATION, default: '10s', describe: 'Node Lease renewal interval (kubelet: --node-lease-duration-seconds / 4)' },
  nodeStatusInterval: { option: 'nodeStatusIntervalMs', schema: DURATION, default: '5m', describe: 'Node status write interval when nothing changed', real: { component: 'kubelet', flag: '--node-status-report-frequency' } },
  podStartupDelay: { option: 'podStartupDelayMs', schema: DURATION, default: '800ms', describe: 'Mean time from binding to Running (image pre-pulled)' },
  podStartupJitter: { option: 'podStartupJitterMs', schema: DURATION, default: '400ms', describe: 'Startup delay is uniform in delay ± jitter' },
  podTerminationDelay: { option: 'podTerminationDelayMs', schema: DURATION, default: '200ms', describe: 'Time a deleted pod takes to stop (capped by its grace period)' },
  podStages: { option: 'podStages', schema: STAGES, describe: 'The pod lifecycle as kwok-style stages (replaces the default profile): a YAML or JSON file, or in a workload the list itself (docs/sim.md)', ownType: true },
  kubeletEvents: { option: 'kubeletEvents', schema: FLAG, default: false, describe: 'Write kubelet Events (Pulled, Created, Started) for every pod' },
  schedulerQps: { option: 'schedulerQps', schema: RATE, default: 50, describe: 'Scheduler client rate limit', real: { component: 'kube-scheduler', flag: '--kube-api-qps' } },
  schedulerBurst: { option: 'schedulerBurst', schema: POSITIVE, default: 100, describe: 'Scheduler client burst', real: { component: 'kube-scheduler', flag: '--kube-api-burst' } },
  schedulerThread: { option: 'schedulerThread', schema: FLAG, default: true, describe: "Run the scheduler's queue and filter/score cycles in a worker thread of their own (another core, as the real kube-scheduler is a process of its own); false: in the API server's thread" },
  controllerQps: { option: 'controllerQps', schema: RATE, default: 20, describe: 'Controller client rate limit (per controller)', real: { component: 'kube-controller-manager', flag: '--kube-api-qps' } },
  controllerBurst: { option: 'controllerBurst', schema: POSITIVE, default: 30, describe: 'Controller client burst (per controller)', real: { component: 'kube-controller-manager', flag: '--kube-api-burst' } },
  concurrentDeploymentSyncs: { option: 'concurrentDeploymentSyncs', schema: POSITIVE, default: 5, describe: 'Deployments synced at once', real: { component: 'kube-controller-manager', flag: '--concurrent-deployment-syncs' } },
  concurrentReplicasetSyncs: { option: 'concurrentReplicasetSyncs', schema: POSITIVE, default: 5, describe: 'ReplicaSets synced at once', real: { component: 'kube-controller-manager', flag: '--concurrent-replicaset-syncs' } },
} as const satisfies Record<string, SettingDef>;

type Table = typeof SIM_SETTINGS;
export type SimSettingKey = keyof Table;

/** The keys a workload's `sim:` block may hold (not the process-only or internal ones). */
export type WorkloadSimKey = {
  [K in SimSettingKey]: Table[K] extends { flagOnly: true } | { internal: true } ? never : K;
}[SimSettingKey];

/** The keys that are `kbench sim` flags. */
export type FlagSimKey = { [K in SimSettingKey]: Table[K] extends { internal: true } ? never : K }[SimSettingKey];

/** The value a setting holds once read: durations in ms, enums as their members. */
type ValueOf<S> = S extends { pattern: string } ? (S extends typeof DURATION ? number : string) : S extends { enum: readonly (infer E)[] } ? E : S extends { type: 'boolean' } ? boolean : S extends { type: 'integer' | 'number' } ? number : string;

/** startSim's options, one per setting, keyed by the option name. */
export type SimSettingsOptions = {
  -readonly [K in SimSettingKey as Table[K] extends { ownType: true } ? never : Table[K]['option']]?: ValueOf<Table[K]['schema']>;
};

/** What a setting's value becomes once read: durations in ms; stages a path or a list. */
export type SimValue = string | number | boolean | unknown[];

export function isDurationSetting(key: SimSettingKey): boolean {
  return SIM_SETTINGS[key].schema === DURATION;
}

export function flagOf(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The workload schema's `sim:` properties. */
export const SIM_SCHEMA_PROPERTIES = Object.fromEntries(
  Object.entries(SIM_SETTINGS)
    .filter(([, d]) => !('flagOnly' in d) && !('internal' in d))
    .map(([k, d]) => [k, { ...d.schema, description: d.describe }]),
) as { readonly [K in WorkloadSimKey]: Table[K]['schema'] & { readonly description: string } };

export const WORKLOAD_SIM_KEYS = Object.keys(SIM_SCHEMA_PROPERTIES) as WorkloadSimKey[];
export const FLAG_SIM_KEYS = (Object.keys(SIM_SETTINGS) as SimSettingKey[]).filter((k) => !('internal' in SIM_SETTINGS[k])) as FlagSimKey[];

/**
 * Reads one setting's value (a flag's or a workload's) into what the sim takes, or says why
 * it cannot be: `lots` is not a memory quantity, `-1` is not a node count.
 */
export function readSimSetting(key: SimSettingKey, value: unknown): { ok: true; value: SimValue } | { ok: false; message: string } {
  const schema = SIM_SETTINGS[key].schema as { type?: string; pattern?: string; enum?: readonly string[]; minimum?: number; maximum?: number; minLength?: number };
  const got = JSON.stringify(value);
  if ((schema as object) === STAGES) {
    // A list given inline (a workload's, passed on to `kbench sim` as JSON), or a file's path.
    if (Array.isArray(value)) return value.length > 0 ? { ok: true, value } : { ok: false, message: 'must list at least one stage' };
    if (typeof value !== 'string' || value.trim() === '') return { ok: false, message: `must be a file of stages or a list of them (got ${got})` };
    if (!value.trim().startsWith('[')) return { ok: true, value: value.trim() };
    try {
      const list = JSON.parse(value) as unknown;
      return Array.isArray(list) && list.length > 0 ? { ok: true, value: list } : { ok: false, message: 'must list at least one stage' };
    } catch (e) {
      return { ok: false, message: `is not a JSON list of stages (${(e as Error).message})` };
    }
  }
  if (schema.enum) return schema.enum.includes(String(value)) ? { ok: true, value: String(value) } : { ok: false, message: `must be one of ${schema.enum.join(', ')} (got ${got})` };
  if (schema.type === 'boolean') {
    if (typeof value === 'boolean') return { ok: true, value };
    if (value === 'true' || value === 'false') return { ok: true, value: value === 'true' };
    return { ok: false, message: `must be true or false (got ${got})` };
  }
  if (schema.type === 'integer' || schema.type === 'number') {
    const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
    const what = schema.type === 'integer' ? 'a whole number' : 'a number';
    if (!Number.isFinite(n) || (schema.type === 'integer' && !Number.isInteger(n))) return { ok: false, message: `must be ${what} (got ${got})` };
    if (schema.minimum !== undefined && n < schema.minimum) return { ok: false, message: `must be ${what} of at least ${schema.minimum} (got ${got})` };
    if (schema.maximum !== undefined && n > schema.maximum) return { ok: false, message: `must be ${what} of at most ${schema.maximum} (got ${got})` };
    return { ok: true, value: n };
  }
  if (typeof value !== 'string' && typeof value !== 'number') return { ok: false, message: `must be a string (got ${got})` };
  const text = String(value).trim();
  if (schema === DURATION) {
    const ms = durationMs(text);
    return ms === undefined ? { ok: false, message: `must be a duration like 800ms, 5s, 2m (got ${got})` } : { ok: true, value: ms };
  }
  if (schema === QUANTITY && !new RegExp(QUANTITY.pattern).test(text)) return { ok: false, message: `must be a Kubernetes quantity like 4, 3500m, 16Gi (got ${got})` };
  if (text === '') return { ok: false, message: 'must not be empty' };
  return { ok: true, value: text };
}

function durationMs(s: string): number | undefined {
  try {
    return parseDuration(s);
  } catch {
    return undefined;
  }
}

/** Every setting's default, keyed by the sim's option name (durations in ms). */
export function simOptionDefaults(): Record<string, SimValue> {
  const out: Record<string, SimValue> = {};
  for (const [key, d] of Object.entries(SIM_SETTINGS) as [SimSettingKey, SettingDef][]) {
    if (d.default === undefined) continue;
    const r = readSimSetting(key, d.default);
    if (!r.ok) throw new Error(`sim setting ${key}: default ${String(d.default)} ${r.message}`);
    out[d.option] = r.value;
  }
  return out;
}

/** `kbench sim` flags for a workload's `sim:` block (durations as written, e.g. 800ms). */
export function simFlagsFor(sim: Partial<Record<WorkloadSimKey, unknown>>, seed: number | undefined): string[] {
  const flags: string[] = [];
  for (const [k, v] of Object.entries(sim)) {
    if (v === undefined) continue;
    if (typeof v === 'boolean') flags.push(v ? `--${flagOf(k)}` : `--no-${flagOf(k)}`);
    else if (typeof v === 'object') flags.push(`--${flagOf(k)}`, JSON.stringify(v));
    else flags.push(`--${flagOf(k)}`, String(v));
  }
  if (seed !== undefined && sim.seed === undefined) flags.push('--seed', String(seed));
  return flags;
}
