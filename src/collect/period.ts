import type { EtcdHistogramSummary, HistogramSummary, Pending, ServerApiKey, ServerPeriodSummary, Unavailable } from '../results/format.js';
import type { ResolvedSlo } from '../spec/resolve.js';
import { apiThresholdMs } from '../spec/slos.js';
import { flowControlPeriod } from './apf.js';
import type { Histogram } from './histogram.js';
import { counterIncrease, gaugeValue, type MissingComponents, type PeriodHistograms, periodHistograms, type Reading, type Scrape, summarize } from './readings.js';

/** The families read, with the names and labels of the real components. */
export const FAMILIES = {
  apiSli: 'apiserver_request_sli_duration_seconds',
  apiDuration: 'apiserver_request_duration_seconds',
  apiTotal: 'apiserver_request_total',
  apiInflight: 'apiserver_current_inflight_requests',
  walFsync: 'etcd_disk_wal_fsync_duration_seconds',
  backendCommit: 'etcd_disk_backend_commit_duration_seconds',
  dbSize: 'etcd_mvcc_db_total_size_in_bytes',
  pending: 'scheduler_pending_pods',
  attempts: 'scheduler_schedule_attempts_total',
  attemptDuration: 'scheduler_scheduling_attempt_duration_seconds',
  podSchedulingSli: 'scheduler_pod_scheduling_sli_duration_seconds',
} as const;

export const QUEUES = ['active', 'backoff', 'unschedulable', 'gated'] as const;
export type Queue = (typeof QUEUES)[number];

/** A Reading as it goes into summary.json: the value, or `{ unavailable: reason }`. */
export function readingJson<T>(r: Reading<T>): T | Unavailable {
  return r.ok ? r.value : { unavailable: r.reason };
}

/** The pods pending in each scheduler queue, from one scrape set. */
export function pendingOf(set: readonly Scrape[], missing: MissingComponents): Reading<Pending> {
  const queue = (q: Queue): Reading<number> => gaugeValue(set, 'scheduler', FAMILIES.pending, missing, (l) => l.queue === q);
  // A scheduler reports every queue, empty ones as 0; a missing one is not known.
  const active = queue('active');
  if (!active.ok) return active;
  const backoff = queue('backoff');
  if (!backoff.ok) return backoff;
  const unschedulable = queue('unschedulable');
  if (!unschedulable.ok) return unschedulable;
  const gated = queue('gated');
  const out: Pending = { active: active.value, backoff: backoff.value, unschedulable: unschedulable.value, total: 0 };
  if (gated.ok) out.gated = gated.value;
  out.total = out.active + out.backoff + out.unschedulable;
  for (const s of set) {
    if (s.component !== 'scheduler') continue;
    for (const x of s.families?.get(FAMILIES.pending)?.samples ?? []) {
      const q = x.labels.queue ?? '';
      if ((QUEUES as readonly string[]).includes(q)) continue;
      out.others = { ...out.others, [q]: (out.others?.[q] ?? 0) + x.value };
      out.total += x.value;
    }
  }
  return { ok: true, value: out };
}

/** The highest pending count of each queue over the readings of a period. */
export function maxPending(readings: readonly Reading<Pending>[]): Reading<Pending> {
  const good = readings.filter((r): r is { ok: true; value: Pending } => r.ok);
  if (good.length === 0) {
    const reason = readings.find((r): r is { ok: false; reason: string } => !r.ok)?.reason ?? 'no scheduler scrape in this period';
    return { ok: false, reason };
  }
  const out: Pending = { active: 0, backoff: 0, unschedulable: 0, total: 0 };
  for (const { value } of good) {
    for (const k of ['active', 'backoff', 'unschedulable', 'total'] as const) out[k] = Math.max(out[k], value[k]);
    if (value.gated !== undefined) out.gated = Math.max(out.gated ?? 0, value.gated);
    for (const [q, n] of Object.entries(value.others ?? {})) out.others = { ...out.others, [q]: Math.max(out.others?.[q] ?? 0, n) };
  }
  return { ok: true, value: out };
}

/** The finite bucket bounds (seconds) of a histogram, as its component defines them. */
export function boundsOf(h: Histogram | undefined): number[] | undefined {
  const b = h?.buckets.filter((x) => Number.isFinite(x.le)).map((x) => x.le);
  return b && b.length > 0 ? b : undefined;
}

function apiKeys(start: readonly Scrape[], end: readonly Scrape[], missing: MissingComponents, slo: ResolvedSlo): ServerPeriodSummary['apiserver']['latency'] {
  // Long-running requests are not in the SLI; the fallback histogram has them, so they go.
  const r = periodHistograms(start, end, 'apiserver', [FAMILIES.apiSli, FAMILIES.apiDuration], missing, (l) =>
    l.verb === 'WATCH' || l.verb === 'CONNECT' || !l.resource ? undefined : `${l.verb} ${l.resource}${l.subresource ? `/${l.subresource}` : ''} ${l.scope}`,
  );
  if (!r.ok) return { unavailable: r.reason };
  const keys: ServerApiKey[] = [];
  let bucketsS: number[] | undefined;
  for (const [key, h] of r.value.groups) {
    bucketsS ??= boundsOf(h);
    if (h.count <= 0) continue;
    const [verb = '', res = '', scope = ''] = key.split(' ');
    const [resource = '', subresource = ''] = res.split('/');
    keys.push({ key, verb, resource, subresource, scope, ...summarize(h), thresholdMs: apiThresholdMs(slo, verb, scope) });
  }
  keys.sort((a, b) => (a.key < b.key ? -1 : 1));
  return { histogram: r.value.family, ...(bucketsS ? { bucketsS } : {}), keys };
}

function merged(r: Reading<PeriodHistograms>): HistogramSummary | Unavailable {
  if (!r.ok) return { unavailable: r.reason };
  const h = r.value.groups.get('');
  const bucketsS = boundsOf(h);
  return { ...(h ? summarize(h) : { count: 0 }), ...(bucketsS ? { bucketsS } : {}) };
}

/**
 * An etcd histogram over a period, of the member with the worst p99 (see
 * EtcdHistogramSummary). Without any member's histogram: the reason, as for one source.
 */
export function worstEtcdMember(start: readonly Scrape[], end: readonly Scrape[], family: string, missing: MissingComponents): EtcdHistogramSummary | Unavailable {
  const members = [...new Set(end.filter((s) => s.component === 'etcd').map((s) => s.source))];
  let worst: EtcdHistogramSummary | undefined;
  let seen = 0;
  for (const member of members) {
    const one = merged(periodHistograms(start.filter((s) => s.source === member), end.filter((s) => s.source === member), 'etcd', [family], missing));
    if ('unavailable' in one) continue;
    seen++;
    if (!worst || (one.p99Ms ?? -1) > (worst.p99Ms ?? -1)) worst = { ...one, member };
  }
  return worst ? { ...worst, members: seen } : merged(periodHistograms(start, end, 'etcd', [family], missing));
}

/**
 * The control plane over one period (a phase, or the whole run): histogram differences
 * between the scrapes at its start and end, counter increases, and the gauges' extremes
 * over every scrape taken inside it. Anything that could not be read is `{ unavailable }`
 * with the reason.
 */
export function serverPeriod(
  start: readonly Scrape[],
  end: readonly Scrape[],
  inside: { pending: readonly Reading<Pending>[]; dbSize: readonly Reading<number>[]; inqueueMax?: ReadonlyMap<string, number> },
  missing: MissingComponents,
  slo: ResolvedSlo,
): ServerPeriodSummary {
  const t0 = Math.min(...start.map((s) => s.at));
  const t1 = Math.max(...end.map((s) => s.at));
  const code = (c: (code: string) => boolean) => (l: Record<string, string>) => c(l.code ?? '');
  const binds = counterIncrease(start, end, 'scheduler', FAMILIES.attempts, missing, (l) => l.result === 'scheduled');
  const dbSizes = inside.dbSize.filter((r): r is { ok: true; value: number } => r.ok);
  const dbEnd = gaugeValue(end, 'etcd', FAMILIES.dbSize, missing, () => true, 'max');
  const j = readingJson;
  return {
    apiserver: {
      latency: apiKeys(start, end, missing, slo),
      requests: j(counterIncrease(start, end, 'apiserver', FAMILIES.apiTotal, missing)),
      throttled429: j(counterIncrease(start, end, 'apiserver', FAMILIES.apiTotal, missing, code((c) => c === '429'))),
      timeouts504: j(counterIncrease(start, end, 'apiserver', FAMILIES.apiTotal, missing, code((c) => c === '504'))),
      errors5xx: j(counterIncrease(start, end, 'apiserver', FAMILIES.apiTotal, missing, code((c) => c.startsWith('5')))),
      ...(inside.inqueueMax ? { flowControl: flowControlPeriod(start, end, inside.inqueueMax, missing) } : {}),
    },
    etcd: {
      walFsync: worstEtcdMember(start, end, FAMILIES.walFsync, missing),
      backendCommit: worstEtcdMember(start, end, FAMILIES.backendCommit, missing),
      dbSizeBytes: dbEnd.ok ? { max: Math.max(dbEnd.value, ...dbSizes.map((r) => r.value)), end: dbEnd.value } : { unavailable: dbEnd.reason },
    },
    scheduler: {
      pendingMax: j(maxPending(inside.pending)),
      attempt: merged(periodHistograms(start, end, 'scheduler', [FAMILIES.attemptDuration], missing)),
      podSchedulingSli: merged(periodHistograms(start, end, 'scheduler', [FAMILIES.podSchedulingSli], missing)),
      binds: j(binds),
      bindsPerS: binds.ok && t1 > t0 ? Math.round((binds.value / ((t1 - t0) / 1000)) * 100) / 100 : binds.ok ? { unavailable: 'the period has no length' } : { unavailable: binds.reason },
    },
  };
}
