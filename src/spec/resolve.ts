import { type ResourceType, typeForKind } from '../cluster/resources.js';
import { parseDuration } from '../util/duration.js';
import { actionOf, type LoadedTemplate, type LoadedWorkload } from './load.js';
import type { ActionName, CollectSpec, MeasurementsSpec, PhaseSpec, SimSpec } from './schema.js';
import { type ResolvedSlo, SLO_DEFS, SLO_NAMES, type SloName } from './slos.js';
import { renderTemplate } from './template.js';

export type { ResolvedSlo } from './slos.js';

/** The SLO thresholds when a workload says nothing (ms, or pods for the pending queue). */
export const DEFAULT_SLO: ResolvedSlo = Object.fromEntries(
  SLO_NAMES.map((k) => {
    const d = SLO_DEFS[k].default;
    return [k, typeof d === 'number' ? d : parseDuration(d)];
  }),
) as ResolvedSlo;

export interface Pacing {
  mode: 'closed' | 'open';
  workers: number;
  arrivalRate?: number;
  maxInFlight: number;
  qps: number;
  burst: number;
  batch?: { size: number; intervalMs: number };
  repeat: number;
}

export interface ResolvedCreate {
  template: LoadedTemplate;
  count: number;
  vars: Record<string, string | number | boolean>;
  type: ResourceType;
  podsPerObject: number;
  /** Namespace index of each object, in creation order (count * repeat entries; 4 bytes each). */
  namespaceOf: Uint32Array;
}

export interface ResolvedPhase {
  index: number;
  name: string;
  action: ActionName;
  spec: PhaseSpec;
  pacing: Pacing;
  create?: ResolvedCreate;
  sleepMs?: number;
  waitTimeoutMs?: number;
  /** Operations this phase performs (requests for API actions; 0 for wait/sleep). */
  operations: number;
  /** Pods this phase is expected to bring into existence. */
  expectedPods: number;
}

export interface ResolvedWorkload {
  name: string;
  description: string;
  file: string;
  sha256: string;
  overrides: string[];
  seed: number;
  timeoutMs: number;
  namespacePrefix: string;
  maxPodsPerNamespace: number;
  namespaceCount: number;
  phases: ResolvedPhase[];
  expectedPods: number;
  slo: ResolvedSlo;
  sim: SimSpec;
  collect: CollectSpec;
  /** Measurements turned on or off by the workload (absent: on). */
  measurements: MeasurementsSpec;
}

/** Defaults applied in one place: what every later stage works from. */
export function resolveWorkload(w: LoadedWorkload, seedOverride?: number): ResolvedWorkload {
  const s = w.spec;
  const maxPods = s.namespaces?.maxPodsPerNamespace ?? 3000;
  const slo = { ...DEFAULT_SLO };
  for (const [k, v] of Object.entries(s.slo ?? {}) as [SloName, string | number][]) {
    slo[k] = typeof v === 'number' ? v : parseDuration(v);
  }
  const seed = seedOverride ?? s.seed ?? 1;
  const objects = new Map<string, { count: number; pods: number }>();
  // Namespaces fill in creation order; a new one starts before maxPods would be exceeded.
  let ns = 0;
  let nsPods = 0;
  let nsObjects = 0;
  const phases: ResolvedPhase[] = s.phases.map((p, index) => {
    const action = actionOf(p)!;
    const workers = p.workers ?? s.defaults?.workers ?? 10;
    const qps = p.qps ?? s.defaults?.qps ?? 0;
    const pacing: Pacing = {
      mode: p.arrivalRate !== undefined ? 'open' : 'closed',
      workers,
      maxInFlight: p.maxInFlight ?? 1000,
      qps,
      burst: p.burst ?? s.defaults?.burst ?? Math.max(1, Math.ceil(qps)),
      repeat: p.repeat ?? 1,
    };
    if (p.arrivalRate !== undefined) pacing.arrivalRate = p.arrivalRate;
    if (p.batch) pacing.batch = { size: p.batch.size, intervalMs: parseDuration(p.batch.interval) };
    const out: ResolvedPhase = { index, name: p.name, action, spec: p, pacing, operations: 0, expectedPods: 0 };
    if (p.create) {
      const template = w.templates.get(p.create.template)!;
      const vars = { ...(p.create.vars ?? {}) };
      const sample = renderTemplate(template.text, { index: 0, name: `${p.name}-0`, namespace: 'x', runId: 'x', workload: s.name, phase: p.name, random: 'abcde', ...vars });
      const type = typeForKind(sample.apiVersion, sample.kind)!;
      const podsPerObject = type.podsOf?.(sample) ?? 0;
      const total = p.create.count * pacing.repeat;
      const namespaceOf = new Uint32Array(total);
      for (let i = 0; i < total; i++) {
        if (nsObjects > 0 && nsPods + podsPerObject > maxPods) {
          ns++;
          nsPods = 0;
          nsObjects = 0;
        }
        namespaceOf[i] = ns;
        nsPods += podsPerObject;
        nsObjects++;
      }
      out.create = { template, count: p.create.count, vars, type, podsPerObject, namespaceOf };
      out.operations = total;
      out.expectedPods = total * podsPerObject;
      objects.set(p.name, { count: total, pods: out.expectedPods });
    } else if (p.sleep !== undefined) {
      out.sleepMs = parseDuration(p.sleep);
    } else if (p.wait) {
      out.waitTimeoutMs = parseDuration(p.wait.timeout ?? '10m');
    } else if (p.list) {
      out.operations = (p.list.count ?? 1) * pacing.repeat;
    } else {
      const ref = (p.get ?? p.patch ?? p.update ?? p.scale ?? p.delete)!;
      const objs = objects.get(ref.from)?.count ?? 0;
      const count = 'count' in ref && typeof ref.count === 'number' ? ref.count : objs;
      out.operations = count * pacing.repeat;
      if (p.delete) out.expectedPods = -(objects.get(ref.from)?.pods ?? 0);
    }
    return out;
  });
  const expectedPods = phases.filter((p) => p.create).reduce((n, p) => n + p.expectedPods, 0);
  return {
    name: s.name,
    description: s.description ?? '',
    file: w.file,
    sha256: w.sha256,
    overrides: w.overrides,
    seed,
    timeoutMs: parseDuration(s.timeout ?? '1h'),
    namespacePrefix: s.namespaces?.prefix ?? 'kbench',
    maxPodsPerNamespace: maxPods,
    namespaceCount: phases.some((p) => p.create) ? ns + 1 : 0,
    phases,
    expectedPods,
    slo,
    sim: s.sim ?? {},
    collect: s.collect ?? {},
    measurements: s.measurements ?? {},
  };
}
