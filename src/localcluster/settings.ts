import type { SimSpec } from '../spec/schema.js';
import { isDurationSetting, type RealFlag, readSimSetting, SIM_SETTINGS, type SimValue, WORKLOAD_SIM_KEYS, type WorkloadSimKey } from '../spec/sim-settings.js';

/** The settings of a local control plane: real component flags and kwok's fake nodes and stages. */
export interface LocalSettings {
  nodes: number;
  nodeCpu: string;
  nodeMemory: string;
  nodePods: number;
  /** kwok --node-lease-duration-seconds (renewed every quarter of it, as the kubelet). */
  nodeLeaseDurationS: number;
  /** kwok's node heartbeat stage: node status written every interval (+10% jitter). */
  nodeStatusIntervalMs: number;
  /** kwok's pod-ready stage: Running after a delay uniform in [delay - jitter, delay + jitter]. */
  podStartupDelayMs: number;
  podStartupJitterMs: number;
  /** kwok's pod-delete stage delay. */
  podTerminationDelayMs: number;
  /** Events in a second etcd (kube-apiserver --etcd-servers-overrides=/events#...). */
  eventsEtcd: boolean;
  /** KubeSchedulerConfiguration clientConnection.qps / burst. */
  schedulerQps: number;
  schedulerBurst: number;
  /** Flags added to each component's command line, from the settings that are real flags. */
  flags: Partial<Record<CommandLineComponent, string[]>>;
}

/** The components whose real flags go on their command line as they are. */
type CommandLineComponent = 'kube-apiserver' | 'kube-controller-manager';
const COMMAND_LINE: readonly RealFlag['component'][] = ['kube-apiserver', 'kube-controller-manager'];

type Fields = Omit<LocalSettings, 'flags'>;
type Apply = (s: Fields, v: SimValue) => void;

/**
 * Which sim setting is which real flag is said once, by the `real` field of the sim-settings
 * table (src/spec/sim-settings.ts). This says how the local control plane applies the real
 * flags of what it does not run as a real process (the kubelet is kwok), or does not take
 * as a flag (the scheduler reads a config file), keyed by that `real` field. A kube-apiserver
 * or kube-controller-manager flag goes on the command line as it is.
 */
const APPLY_REAL: Record<string, { how: string; apply: Apply }> = {
  'kube-apiserver --etcd-servers-overrides=/events#...': { how: 'a second etcd for Events', apply: (s, v) => (s.eventsEtcd = v === true) },
  'kube-scheduler --kube-api-qps': { how: 'KubeSchedulerConfiguration clientConnection.qps (the flag is ignored with --config)', apply: (s, v) => (s.schedulerQps = Number(v)) },
  'kube-scheduler --kube-api-burst': { how: 'KubeSchedulerConfiguration clientConnection.burst', apply: (s, v) => (s.schedulerBurst = Number(v)) },
  'kubelet --max-pods': { how: "the fake nodes' capacity and allocatable pods", apply: (s, v) => (s.nodePods = Number(v)) },
  'kubelet --node-status-report-frequency': { how: "kwok's node-heartbeat-with-lease stage delay", apply: (s, v) => (s.nodeStatusIntervalMs = Number(v)) },
};

/** Settings no real component takes as a flag that kwok's fake kubelets still honour. */
const FAKE_KUBELET: Partial<Record<WorkloadSimKey, { how: string; apply: Apply }>> = {
  nodes: { how: 'kwok fake nodes', apply: (s, v) => (s.nodes = Number(v)) },
  nodeCpu: { how: "the fake nodes' capacity and allocatable cpu", apply: (s, v) => (s.nodeCpu = String(v)) },
  nodeMemory: { how: "the fake nodes' capacity and allocatable memory", apply: (s, v) => (s.nodeMemory = String(v)) },
  nodeLeaseInterval: { how: 'kwok --node-lease-duration-seconds (4x the renew interval, as the kubelet)', apply: (s, v) => (s.nodeLeaseDurationS = Math.max(1, Math.round((Number(v) * 4) / 1000))) },
  podStartupDelay: { how: "kwok's pod-ready stage delay", apply: (s, v) => (s.podStartupDelayMs = Number(v)) },
  podStartupJitter: { how: "kwok's pod-ready stage jitter", apply: (s, v) => (s.podStartupJitterMs = Number(v)) },
  podTerminationDelay: { how: "kwok's pod-delete stage delay (not capped by the grace period)", apply: (s, v) => (s.podTerminationDelayMs = Number(v)) },
};

/** Why a setting has no counterpart, and the values that are what the real components do anyway. */
const NO_COUNTERPART: Partial<Record<WorkloadSimKey, { why: string; harmless?: (v: SimValue) => boolean }>> = {
  storage: { why: 'kube-apiserver always stores in etcd', harmless: (v) => v === 'etcd' || v === 'auto' },
  seed: { why: "kwok draws its delays without a seed; a real control plane's timing is not reproducible" },
  watchHistoryWindow: { why: 'kube-apiserver has no flag for how long its watch cache keeps events' },
  bookmarkInterval: { why: 'kube-apiserver sends watch bookmarks on its own schedule; no flag sets it' },
  kubeletEvents: { why: "kwok's stages write no kubelet events", harmless: (v) => v === false },
  schedulerThread: { why: 'kube-scheduler is always a process of its own', harmless: (v) => v === true },
  apiLatency: { why: "it is latency the sim adds to inject a known regression; a real apiserver's latency is its own", harmless: (v) => v === 0 },
  podStages: { why: "the local control plane runs kwok's published stages with the delays above; other pod stages are not supported" },
};

/** How one setting is applied on the local control plane, or why it cannot be. */
export type Counterpart = { real?: RealFlag; how: string; apply: Apply | { flag: CommandLineComponent; name: string } } | { none: string; harmless?: (v: SimValue) => boolean };

export function counterpart(key: WorkloadSimKey): Counterpart {
  const d = SIM_SETTINGS[key];
  if ('real' in d) {
    const real: RealFlag = d.real;
    const a = APPLY_REAL[`${real.component} ${real.flag}`];
    if (a) return { real, how: a.how, apply: a.apply };
    if (COMMAND_LINE.includes(real.component)) return { real, how: 'the same flag', apply: { flag: real.component as CommandLineComponent, name: real.flag } };
    return { none: `the local control plane does not apply ${real.component} ${real.flag} yet` };
  }
  const f = FAKE_KUBELET[key];
  if (f) return { how: f.how, apply: f.apply };
  const n = NO_COUNTERPART[key];
  return { none: n?.why ?? 'no real component has a flag for it', ...(n?.harmless ? { harmless: n.harmless } : {}) };
}

function describe(c: Counterpart): string {
  if ('none' in c) return `none (${c.none})`;
  return c.real ? `${c.real.component} ${c.real.flag}${c.how === 'the same flag' ? '' : `: ${c.how}`}` : c.how;
}

/** Runs one setting's value through the sim-settings table's reader (durations to ms). */
function read(key: WorkloadSimKey, value: unknown): SimValue {
  const r = readSimSetting(key, value);
  if (!r.ok) throw new Error(r.message);
  return r.value;
}

function applyTo(s: LocalSettings, c: Exclude<Counterpart, { none: string }>, key: WorkloadSimKey, v: SimValue): void {
  if (typeof c.apply === 'function') return c.apply(s, v);
  // A duration setting reads as ms; Go's flag parser takes "1500ms".
  const text = isDurationSetting(key) ? `${String(v)}ms` : String(v);
  (s.flags[c.apply.flag] ??= []).push(`${c.apply.name}=${text}`);
}

/**
 * The fake kubelets' defaults are the sim's (so the two are compared on the same nodes),
 * read from the sim-settings table; the scheduler's client limits are kube-scheduler's own
 * defaults; every command-line flag keeps the real component's default (it is not given).
 */
function localDefaults(): Fields {
  const s: LocalSettings = { nodes: 0, nodeCpu: '', nodeMemory: '', nodePods: 0, nodeLeaseDurationS: 0, nodeStatusIntervalMs: 0, podStartupDelayMs: 0, podStartupJitterMs: 0, podTerminationDelayMs: 0, eventsEtcd: false, schedulerQps: 50, schedulerBurst: 100, flags: {} };
  for (const key of ['nodes', 'nodeCpu', 'nodeMemory', 'nodePods', 'nodeLeaseInterval', 'nodeStatusInterval', 'podStartupDelay', 'podStartupJitter', 'podTerminationDelay'] as const) {
    const c = counterpart(key);
    if ('none' in c) throw new Error(`sim setting ${key}: no local counterpart for its default`);
    applyTo(s, c, key, read(key, SIM_SETTINGS[key].default));
  }
  const { flags: _flags, ...fields } = s;
  return fields;
}

export const LOCAL_DEFAULTS: Fields = localDefaults();

/** A `sim:` setting the real control plane cannot honour. */
export interface SettingProblem {
  key: string;
  message: string;
}

/** How each given setting was applied, for the manifest and the console. */
export interface AppliedSetting {
  key: string;
  value: unknown;
  real: string;
}

/**
 * The local control plane a workload's `sim:` block (or `cluster up` flags) asks for: each
 * setting with a real counterpart is applied to it; one without is a problem, never
 * silently dropped.
 */
export function resolveLocalSettings(sim: SimSpec, where = 'sim'): { settings: LocalSettings; applied: AppliedSetting[]; problems: SettingProblem[] } {
  const settings: LocalSettings = { ...LOCAL_DEFAULTS, flags: {} };
  const applied: AppliedSetting[] = [];
  const problems: SettingProblem[] = [];
  for (const [k, value] of Object.entries(sim)) {
    if (value === undefined) continue;
    if (!(WORKLOAD_SIM_KEYS as string[]).includes(k)) {
      problems.push({ key: k, message: `${where}.${k}: not a sim setting` });
      continue;
    }
    const key = k as WorkloadSimKey;
    let v: SimValue;
    try {
      v = read(key, value);
    } catch (e) {
      problems.push({ key, message: `${where}.${key}: ${(e as Error).message}` });
      continue;
    }
    const c = counterpart(key);
    if ('none' in c) {
      if (c.harmless?.(v)) continue;
      problems.push({ key, message: `${where}.${key}: has no counterpart on a real control plane (${c.none}); remove it or run on the sim (--sim)` });
      continue;
    }
    applyTo(settings, c, key, v);
    applied.push({ key, value, real: describe(c) });
  }
  return { settings, applied, problems };
}

/**
 * The `sim:` keys `kbench cluster up` takes as flags (kebab-case): the ones with a
 * counterpart. `simDefault`: kbench sets it to the sim's default when not given (the fake
 * kubelets, the scheduler's config); else the real component keeps its own default.
 */
export function settingFlags(): { key: WorkloadSimKey; real: string; simDefault: boolean }[] {
  return WORKLOAD_SIM_KEYS.flatMap((key) => {
    const c = counterpart(key);
    return 'none' in c ? [] : [{ key, real: describe(c), simDefault: typeof c.apply === 'function' && key !== 'eventsEtcd' }];
  });
}
