import type { SloVerdict } from '../results/format.js';
/**
 * The SLOs kbench judges, as data: each one's workload key, default threshold, unit and
 * wording (Kubernetes sig-scalability and etcd guidance; see DESIGN.md). The workload
 * schema's `slo:` block, the resolved thresholds and the verdicts all come from here.
 */

import { DURATION as durationSchema } from './formats.js';

export const SLO_DEFS = {
  podStartupP99: { kind: 'duration', default: '5s', text: 'Pod startup p99', schema: { ...durationSchema, description: 'Pod startup p99 (default 5s).' } },
  mutatingApiP99: { kind: 'duration', default: '1s', text: 'Mutating API calls p99', schema: { ...durationSchema, description: 'Mutating API calls p99 per (verb, resource) (default 1s).' } },
  readResourceApiP99: { kind: 'duration', default: '1s', text: 'Read-only calls for one object p99', schema: { ...durationSchema, description: 'Read-only calls for one object, p99 (default 1s).' } },
  readNamespaceApiP99: { kind: 'duration', default: '5s', text: 'Read-only calls over a namespace p99', schema: { ...durationSchema, description: 'Read-only calls over a namespace, p99 (default 5s).' } },
  readClusterApiP99: { kind: 'duration', default: '30s', text: 'Read-only calls over the cluster p99', schema: { ...durationSchema, description: 'Read-only calls over the cluster, p99 (default 30s).' } },
  schedulerPendingMax: { kind: 'count', default: 100, text: 'Scheduler pending pods max', schema: { type: 'integer', minimum: 0, description: 'Scheduler pending queue must stay below this (default 100).' } },
  etcdWalFsyncP99: { kind: 'duration', default: '10ms', text: 'etcd WAL fsync p99', schema: { ...durationSchema, description: 'etcd WAL fsync p99 (default 10ms).' } },
  etcdBackendCommitP99: { kind: 'duration', default: '25ms', text: 'etcd backend commit p99', schema: { ...durationSchema, description: 'etcd backend commit p99 (default 25ms).' } },
} as const;

export type SloName = keyof typeof SLO_DEFS;
export const SLO_NAMES = Object.keys(SLO_DEFS) as SloName[];

/** Thresholds after defaults: durations in milliseconds, counts as they are. */
export type ResolvedSlo = Record<SloName, number>;

/** The `slo:` block of the workload schema, one property per SLO. */
export const SLO_SCHEMA_PROPERTIES = Object.fromEntries(Object.entries(SLO_DEFS).map(([k, d]) => [k, d.schema])) as {
  readonly [K in SloName]: (typeof SLO_DEFS)[K]['schema'];
};

/**
 * The classes an API request falls in for the latency SLO, first match wins: every
 * mutating verb, then read-only calls by scope (one object, a namespace, the cluster).
 */
export const API_SLO_CLASSES = [
  { name: 'mutating', verbs: ['POST', 'PUT', 'PATCH', 'DELETE', 'APPLY', 'DELETECOLLECTION'], slo: 'mutatingApiP99', text: 'mutating calls' },
  { name: 'resource', scope: 'resource', slo: 'readResourceApiP99', text: 'read-only calls for one object' },
  { name: 'namespace', scope: 'namespace', slo: 'readNamespaceApiP99', text: 'read-only calls over a namespace' },
  { name: 'cluster', scope: 'cluster', slo: 'readClusterApiP99', text: 'read-only calls over the cluster' },
] as const satisfies readonly { name: string; verbs?: readonly string[]; scope?: string; slo: SloName; text: string }[];

export type ApiSloClass = (typeof API_SLO_CLASSES)[number];
export type ApiSloClassName = ApiSloClass['name'];

/** The SLO class of a request key (verb as the apiserver's metrics spell it, and scope). */
export function apiSloClass(verb: string, scope: string): ApiSloClass {
  const v = verb.toUpperCase();
  for (const c of API_SLO_CLASSES) {
    if ('verbs' in c && (c.verbs as readonly string[]).includes(v)) return c;
    if ('scope' in c && c.scope === scope) return c;
  }
  // An unknown scope reads like the widest one: the loosest threshold, never a false FAIL.
  return API_SLO_CLASSES[API_SLO_CLASSES.length - 1]!;
}

export function isMutatingVerb(verb: string): boolean {
  return apiSloClass(verb, '').name === 'mutating';
}

/** The p99 threshold (ms) a request key is judged by. */
export function apiThresholdMs(slo: ResolvedSlo, verb: string, scope: string): number {
  return slo[apiSloClass(verb, scope).slo];
}

/** A measured value against its threshold: pass, fail, or unavailable with the reason (never a pass). */
export function judge(v: Omit<SloVerdict, 'verdict' | 'reason'> & { value?: number; unavailable?: string }): SloVerdict {
  const { unavailable, ...rest } = v;
  if (v.value === undefined || !Number.isFinite(v.value)) return { ...rest, verdict: 'unavailable', reason: unavailable ?? 'no samples' };
  const ok = v.comparison === '<' ? v.value < v.threshold : v.value <= v.threshold;
  return { ...rest, verdict: ok ? 'pass' : 'fail' };
}
