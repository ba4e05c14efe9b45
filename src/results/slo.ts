import type { ApiKeySummary } from '../measure/api-latency.js';
import type { PhaseName, PhaseSummary } from '../measure/pod-tracker.js';
import type { ResolvedSlo } from '../spec/resolve.js';
import { isMutatingVerb } from '../spec/slos.js';

export type VerdictValue = 'pass' | 'fail' | 'unavailable';

/** One SLO checked against one measurement. */
export interface SloVerdict {
  id: string;
  description: string;
  /** Which side measured it. */
  side: 'client' | 'server';
  threshold: number;
  unit: 'ms' | 'pods';
  /** pass when value <= threshold (or < for 'max below'). */
  comparison: '<=' | '<';
  value?: number;
  verdict: VerdictValue;
  reason?: string;
}

export function check(v: Omit<SloVerdict, 'verdict'> & { value?: number; unavailable?: string }): SloVerdict {
  const { unavailable, ...rest } = v;
  if (v.value === undefined) return { ...rest, verdict: 'unavailable', reason: unavailable ?? 'no samples' };
  const ok = v.comparison === '<' ? v.value < v.threshold : v.value <= v.threshold;
  return { ...rest, verdict: ok ? 'pass' : 'fail' };
}

/** Client-side SLOs: pod startup, and API call latency per key (Kubernetes sig-scalability). */
export function clientVerdicts(slo: ResolvedSlo, phases: Record<PhaseName, PhaseSummary>, api: ApiKeySummary[]): SloVerdict[] {
  const out: SloVerdict[] = [];
  out.push(
    check({
      id: 'pod_startup_p99',
      description: 'Pod startup p99 (creation to Running observed by watch)',
      side: 'client',
      threshold: slo.podStartupP99,
      unit: 'ms',
      comparison: '<=',
      value: phases.pod_startup.stats?.p99,
      unavailable: 'no pod reached Running',
    }),
  );
  for (const k of api) {
    if (!k.latencyMs) continue;
    const mutating = isMutatingVerb(k.verb);
    out.push(
      check({
        id: `api_p99 ${k.key}`,
        description: `${mutating ? 'Mutating' : 'Read-only'} API call p99: ${k.key}`,
        side: 'client',
        threshold: k.thresholdMs,
        unit: 'ms',
        comparison: '<=',
        value: k.latencyMs.p99,
      }),
    );
  }
  return out;
}

export function worstVerdict(vs: SloVerdict[]): VerdictValue {
  if (vs.some((v) => v.verdict === 'fail')) return 'fail';
  return 'pass';
}
