import type { FlowControlLevel, FlowControlPeriod, Unavailable } from '../results/format.js';
import type { ResultWriter } from '../results/writer.js';
import { counterIncrease, gaugeValue, type MissingComponents, periodHistograms, type Scrape, summarize } from './readings.js';

/**
 * API Priority and Fairness, the current apiserver's answer to the seeds' inflight tuning:
 * per priority level, how many requests were dispatched, queued, rejected (429) and how
 * long they waited for a seat. Names and labels of kube-apiserver's own metrics.
 */
export const APF_FAMILIES = {
  dispatched: 'apiserver_flowcontrol_dispatched_requests_total',
  rejected: 'apiserver_flowcontrol_rejected_requests_total',
  inqueue: 'apiserver_flowcontrol_current_inqueue_requests',
  executing: 'apiserver_flowcontrol_current_executing_requests',
  wait: 'apiserver_flowcontrol_request_wait_duration_seconds',
} as const;

export const APF_SERIES_COLUMNS = ['time', 'elapsed_s', 'phase', 'priority_level', 'dispatched_per_s', 'rejected_per_s', 'inqueue', 'executing', 'wait_p99_ms'];

/** The priority levels a scrape set reports (on any of the APF families). */
export function priorityLevels(set: readonly Scrape[]): string[] {
  const levels = new Set<string>();
  for (const s of set) {
    if (s.component !== 'apiserver' || !s.families) continue;
    for (const name of [APF_FAMILIES.dispatched, APF_FAMILIES.inqueue, APF_FAMILIES.executing]) {
      for (const x of s.families.get(name)?.samples ?? []) if (x.labels.priority_level) levels.add(x.labels.priority_level);
    }
  }
  return [...levels].sort();
}

const ofLevel = (level: string) => (l: Record<string, string>) => l.priority_level === level;

const REASONS = ['queue-full', 'concurrency-limit', 'time-out', 'cancelled'] as const;

/**
 * API Priority and Fairness over a period, from its start and end scrapes and the queue
 * maxima seen inside it: per priority level, requests dispatched and rejected (by reason,
 * summed over flow schemas) and the time they waited for a seat.
 */
export function flowControlPeriod(start: readonly Scrape[], end: readonly Scrape[], inqueueMax: ReadonlyMap<string, number>, missing: MissingComponents): FlowControlPeriod | Unavailable {
  const levels = priorityLevels(end);
  if (levels.length === 0) {
    const any = end.some((s) => s.component === 'apiserver' && s.families);
    return { unavailable: any ? `${APF_FAMILIES.dispatched} not in the apiserver's metrics (API Priority and Fairness off, or not a real kube-apiserver)` : 'no apiserver scrape' };
  }
  const waits = periodHistograms(start, end, 'apiserver', [APF_FAMILIES.wait], missing, (l) => l.priority_level);
  const out: FlowControlLevel[] = [];
  for (const level of levels) {
    const dispatched = counterIncrease(start, end, 'apiserver', APF_FAMILIES.dispatched, missing, ofLevel(level));
    const rejected: Record<string, number> = {};
    for (const reason of REASONS) {
      // No series until the first rejection: with APF on, an absent counter is none.
      const r = counterIncrease(start, end, 'apiserver', APF_FAMILIES.rejected, missing, (l) => l.priority_level === level && l.reason === reason);
      if (r.ok && r.value > 0) rejected[reason] = r.value;
    }
    const h = waits.ok ? waits.value.groups.get(level) : undefined;
    const bucketsS = h?.buckets.filter((b) => Number.isFinite(b.le)).map((b) => b.le);
    out.push({
      priorityLevel: level,
      rejected,
      dispatched: dispatched.ok ? dispatched.value : 0,
      inqueueMax: inqueueMax.get(level) ?? 0,
      waitMs: { ...(h ? summarize(h) : { count: 0 }), ...(bucketsS?.length ? { bucketsS } : {}) },
    });
  }
  return { levels: out };
}

/**
 * Follows APF through a run: the queue lengths at every scrape (for each period's maximum),
 * one row per priority level per interval into apf-timeseries.csv, and the per-period
 * readings. A cluster without APF metrics (the sim) gets no rows and an `unavailable`.
 */
export class ApfRecorder {
  #log: { phase: string; inqueue: Map<string, number> }[] = [];

  constructor(private readonly missing: MissingComponents) {}

  /** Every scrape set, as it comes. */
  observe(set: readonly Scrape[], phase: string): void {
    const inqueue = new Map<string, number>();
    for (const level of priorityLevels(set)) {
      const v = gaugeValue(set, 'apiserver', APF_FAMILIES.inqueue, this.missing, ofLevel(level));
      if (v.ok) inqueue.set(level, v.value);
    }
    if (inqueue.size > 0) this.#log.push({ phase, inqueue });
  }

  /** The inqueue maximum per level over the scrapes of one phase (or all). */
  maxima(phase?: string): Map<string, number> {
    const out = new Map<string, number>();
    for (const e of this.#log) {
      if (phase !== undefined && e.phase !== phase) continue;
      for (const [level, v] of e.inqueue) out.set(level, Math.max(out.get(level) ?? 0, v));
    }
    return out;
  }

  /** One row per priority level for the interval prev..set; an empty cell is "not known". */
  appendRows(rs: Pick<ResultWriter, 'appendRow'>, prev: readonly Scrape[] | undefined, set: readonly Scrape[], at: number, elapsedS: string, phase: string): void {
    const levels = priorityLevels(set);
    if (levels.length === 0) return;
    const dt = prev ? (at - Math.max(...prev.map((s) => s.at))) / 1000 : 0;
    const waits = prev ? periodHistograms(prev, set, 'apiserver', [APF_FAMILIES.wait], this.missing, (l) => l.priority_level) : undefined;
    for (const level of levels) {
      const rate = (name: string): string => {
        if (!prev || dt <= 0) return '';
        const r = counterIncrease(prev, set, 'apiserver', name, this.missing, ofLevel(level));
        if (r.ok) return (r.value / dt).toFixed(2);
        // The rejection counter has no series until the first rejection: with APF on, none is 0.
        return name === APF_FAMILIES.rejected && /not in the metrics/.test(r.reason) ? '0.00' : '';
      };
      const gauge = (name: string): string => {
        const r = gaugeValue(set, 'apiserver', name, this.missing, ofLevel(level));
        return r.ok ? String(r.value) : '';
      };
      const h = waits?.ok ? waits.value.groups.get(level) : undefined;
      const p99 = h && h.count > 0 ? summarize(h).p99Ms : undefined;
      rs.appendRow('apf-timeseries.csv', APF_SERIES_COLUMNS, [
        new Date(at).toISOString(),
        elapsedS,
        phase,
        level,
        rate(APF_FAMILIES.dispatched),
        rate(APF_FAMILIES.rejected),
        gauge(APF_FAMILIES.inqueue),
        gauge(APF_FAMILIES.executing),
        p99 === undefined ? '' : p99.toFixed(3),
      ]);
    }
  }
}

