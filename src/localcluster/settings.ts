import type { SimSpec } from '../spec/schema.js';
import { parseDuration } from '../util/duration.js';

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
  flags: Partial<Record<'kube-apiserver' | 'kube-controller-manager', string[]>>;
}

/**
 * The fake kubelets' defaults are the sim's (so the two are compared on the same nodes);
 * every real flag keeps the real component's own default.
 */
export const LOCAL_DEFAULTS: Omit<LocalSettings, 'flags'> = {
  nodes: 100,
  nodeCpu: '4',
  nodeMemory: '16Gi',
  nodePods: 40,
  nodeLeaseDurationS: 40,
  nodeStatusIntervalMs: 300_000,
  podStartupDelayMs: 800,
  podStartupJitterMs: 400,
  podTerminationDelayMs: 200,
  eventsEtcd: false,
  schedulerQps: 50,
  schedulerBurst: 100,
};

type SimKey = keyof SimSpec;
type SettingKey = Exclude<keyof LocalSettings, 'flags'>;

/** What a `sim:` setting is on a real control plane. */
export type RealCounterpart =
  /** A component flag, given the value as is. */
  | { flag: { component: 'kube-apiserver' | 'kube-controller-manager'; name: string } }
  /** A local-cluster setting (kwok, the node objects, a config file field). */
  | { setting: SettingKey; real: string; convert?: (ms: number) => number; kind: 'number' | 'string' | 'duration' | 'boolean' }
  /** No real counterpart: an error unless the value is what the real components do anyway. */
  | { none: string; harmless?: (value: unknown) => boolean };

/**
 * Every `sim:` setting and what it means on the real components. Data: kbench's sim
 * settings table can carry the same column.
 */
export const REAL_COUNTERPARTS: Record<SimKey, RealCounterpart> = {
  storage: { none: 'kube-apiserver always stores in etcd', harmless: (v) => v === 'etcd' || v === 'auto' },
  eventsEtcd: { setting: 'eventsEtcd', real: 'a second etcd for Events, kube-apiserver --etcd-servers-overrides=/events#<url>', kind: 'boolean' },
  seed: { none: "kwok draws its delays without a seed; a real control plane's timing is not reproducible" },
  maxRequestsInflight: { flag: { component: 'kube-apiserver', name: '--max-requests-inflight' } },
  maxMutatingRequestsInflight: { flag: { component: 'kube-apiserver', name: '--max-mutating-requests-inflight' } },
  watchHistoryWindow: { none: 'kube-apiserver has no flag for how long its watch cache keeps events' },
  minRequestTimeout: { flag: { component: 'kube-apiserver', name: '--min-request-timeout' } },
  bookmarkInterval: { none: 'kube-apiserver sends watch bookmarks on its own schedule; no flag sets it' },
  nodes: { setting: 'nodes', real: 'kwok fake nodes', kind: 'number' },
  nodeCpu: { setting: 'nodeCpu', real: "the fake nodes' status.capacity/allocatable cpu", kind: 'string' },
  nodeMemory: { setting: 'nodeMemory', real: "the fake nodes' status.capacity/allocatable memory", kind: 'string' },
  nodePods: { setting: 'nodePods', real: "the fake nodes' status.capacity/allocatable pods (kubelet --max-pods)", kind: 'number' },
  nodeLeaseInterval: { setting: 'nodeLeaseDurationS', real: 'kwok --node-lease-duration-seconds (4x the renew interval, as the kubelet)', kind: 'duration', convert: (ms) => Math.max(1, Math.round((ms * 4) / 1000)) },
  nodeStatusInterval: { setting: 'nodeStatusIntervalMs', real: "kwok's node-heartbeat-with-lease stage delay", kind: 'duration' },
  podStartupDelay: { setting: 'podStartupDelayMs', real: "kwok's pod-ready stage delay", kind: 'duration' },
  podStartupJitter: { setting: 'podStartupJitterMs', real: "kwok's pod-ready stage jitter", kind: 'duration' },
  podTerminationDelay: { setting: 'podTerminationDelayMs', real: "kwok's pod-delete stage delay (not capped by the grace period)", kind: 'duration' },
  kubeletEvents: { none: "kwok's stages write no kubelet events", harmless: (v) => v === false },
  schedulerQps: { setting: 'schedulerQps', real: 'kube-scheduler KubeSchedulerConfiguration clientConnection.qps (the --kube-api-qps flag is deprecated)', kind: 'number' },
  schedulerBurst: { setting: 'schedulerBurst', real: 'kube-scheduler KubeSchedulerConfiguration clientConnection.burst', kind: 'number' },
  controllerQps: { flag: { component: 'kube-controller-manager', name: '--kube-api-qps' } },
  controllerBurst: { flag: { component: 'kube-controller-manager', name: '--kube-api-burst' } },
  concurrentDeploymentSyncs: { flag: { component: 'kube-controller-manager', name: '--concurrent-deployment-syncs' } },
  concurrentReplicasetSyncs: { flag: { component: 'kube-controller-manager', name: '--concurrent-replicaset-syncs' } },
};

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

function describe(c: RealCounterpart): string {
  if ('flag' in c) return `${c.flag.component} ${c.flag.name}`;
  if ('setting' in c) return c.real;
  return `none (${c.none})`;
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
  for (const [key, value] of Object.entries(sim) as [SimKey, unknown][]) {
    if (value === undefined) continue;
    const c = REAL_COUNTERPARTS[key];
    if (!c) {
      problems.push({ key, message: `${where}.${key}: not a sim setting` });
      continue;
    }
    if ('none' in c) {
      if (c.harmless?.(value)) continue;
      problems.push({ key, message: `${where}.${key}: has no counterpart on a real control plane (${c.none}); remove it or run on the sim (--sim)` });
      continue;
    }
    if ('flag' in c) {
      (settings.flags[c.flag.component] ??= []).push(`${c.flag.name}=${String(value)}`);
    } else {
      let v: number | string | boolean;
      if (c.kind === 'duration') {
        try {
          const ms = parseDuration(value as string | number);
          v = c.convert ? c.convert(ms) : ms;
        } catch (e) {
          problems.push({ key, message: `${where}.${key}: ${(e as Error).message}` });
          continue;
        }
      } else v = value as number | string | boolean;
      (settings as unknown as Record<string, unknown>)[c.setting] = v;
    }
    applied.push({ key, value, real: describe(c) });
  }
  return { settings, applied, problems };
}

/** The `sim:` keys `kbench cluster up` takes as flags: the ones with a real counterpart. */
export function settingFlags(): { key: SimKey; flag: string; counterpart: Exclude<RealCounterpart, { none: string }> }[] {
  const out: { key: SimKey; flag: string; counterpart: Exclude<RealCounterpart, { none: string }> }[] = [];
  for (const [key, c] of Object.entries(REAL_COUNTERPARTS) as [SimKey, RealCounterpart][]) {
    if ('none' in c) continue;
    out.push({ key, flag: key.replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`), counterpart: c });
  }
  return out;
}

export function realCounterpartText(c: RealCounterpart): string {
  return describe(c);
}
