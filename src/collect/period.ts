import { isMutating } from '../cluster/request-key.js';
import type { ResolvedSlo } from '../spec/resolve.js';
import { counterIncrease, gaugeValue, type HistogramSummary, type MissingComponents, periodHistograms, type Reading, type Scrape, summarize } from './readings.js';

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

/**
 * Pods waiting in the scheduler; `total` is what the SLO counts: every queue but the gated
 * one (held back on purpose). Schedulers before 1.26 have no gated queue; newer ones add
 * queues for pod groups (`incomplete`, `pending`), which wait like any other and are kept
 * in `others`.
 */
export interface Pending {
  active: number;
  backoff: number;
  unschedulable: number;
  gated?: number;
  /** Queues beyond the four above, by their `queue` label (1.37: incomplete, pending). */
  others?: Record<string, number>;
  total: number;
}

/** One apiserver request key's latency over a period: its histogram summary and its SLO threshold. */
export interface ServerApiKey extends HistogramSummary {
  key: string;
  verb: string;
  resource: string;
  subresource: string;
  scope: string;
  thresholdMs: number;
}

export interface ServerPeriod {
  apiserver: {
    latency: Reading<{ histogram: string; keys: ServerApiKey[] }>;
    requests: Reading<number>;
    throttled429: Reading<number>;
    timeouts504: Reading<number>;
    errors5xx: Reading<number>;
  };
  etcd: {
    walFsync: Reading<HistogramSummary>;
    backendCommit: Reading<HistogramSummary>;
    dbSizeBytes: Reading<{ max: number; end: number }>;
  };
  scheduler: {
    pendingMax: Reading<Pending>;
    attempt: Reading<HistogramSummary>;
    podSchedulingSli: Reading<HistogramSummary>;
    binds: Reading<number>;
    bindsPerS: Reading<number>;
  };
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

function apiKeys(start: readonly Scrape[], end: readonly Scrape[], missing: MissingComponents, slo: ResolvedSlo): ServerPeriod['apiserver']['latency'] {
  // Long-running requests are not in the SLI; the fallback histogram has them, so they go.
  const r = periodHistograms(start, end, 'apiserver', [FAMILIES.apiSli, FAMILIES.apiDuration], missing, (l) =>
    l.verb === 'WATCH' || l.verb === 'CONNECT' || !l.resource ? undefined : `${l.verb} ${l.resource}${l.subresource ? `/${l.subresource}` : ''} ${l.scope}`,
  );
  if (!r.ok) return r;
  const keys: ServerApiKey[] = [];
  for (const [key, h] of r.value.groups) {
    if (h.count <= 0) continue;
    const [verb = '', res = '', scope = ''] = key.split(' ');
    const [resource = '', subresource = ''] = res.split('/');
    const thresholdMs = isMutating(verb)
      ? slo.mutatingApiP99Ms
      : scope === 'resource'
        ? slo.readResourceApiP99Ms
        : scope === 'namespace'
          ? slo.readNamespaceApiP99Ms
          : slo.readClusterApiP99Ms;
    keys.push({ key, verb, resource, subresource, scope, ...summarize(h), thresholdMs });
  }
  keys.sort((a, b) => (a.key < b.key ? -1 : 1));
  return { ok: true, value: { histogram: r.value.family, keys } };
}

function merged(r: ReturnType<typeof periodHistograms>): Reading<HistogramSummary> {
  if (!r.ok) return r;
  const h = r.value.groups.get('');
  return { ok: true, value: h ? summarize(h) : { count: 0 } };
}

/**
 * The control plane over one period (a phase, or the whole run): histogram differences
 * between the scrapes at its start and end, counter increases, and the gauges' extremes
 * over every scrape taken inside it.
 */
export function serverPeriod(
  start: readonly Scrape[],
  end: readonly Scrape[],
  inside: { pending: readonly Reading<Pending>[]; dbSize: readonly Reading<number>[] },
  missing: MissingComponents,
  slo: ResolvedSlo,
): ServerPeriod {
  const t0 = Math.min(...start.map((s) => s.at));
  const t1 = Math.max(...end.map((s) => s.at));
  const code = (c: (code: string) => boolean) => (l: Record<string, string>) => c(l.code ?? '');
  const binds = counterIncrease(start, end, 'scheduler', FAMILIES.attempts, missing, (l) => l.result === 'scheduled');
  const dbSizes = inside.dbSize.filter((r): r is { ok: true; value: number } => r.ok);
  const dbEnd = gaugeValue(end, 'etcd', FAMILIES.dbSize, missing, () => true, 'max');
  return {
    apiserver: {
      latency: apiKeys(start, end, missing, slo),
      requests: counterIncrease(start, end, 'apiserver', FAMILIES.apiTotal, missing),
      throttled429: counterIncrease(start, end, 'apiserver', FAMILIES.apiTotal, missing, code((c) => c === '429')),
      timeouts504: counterIncrease(start, end, 'apiserver', FAMILIES.apiTotal, missing, code((c) => c === '504')),
      errors5xx: counterIncrease(start, end, 'apiserver', FAMILIES.apiTotal, missing, code((c) => c.startsWith('5'))),
    },
    etcd: {
      walFsync: merged(periodHistograms(start, end, 'etcd', [FAMILIES.walFsync], missing)),
      backendCommit: merged(periodHistograms(start, end, 'etcd', [FAMILIES.backendCommit], missing)),
      dbSizeBytes: dbEnd.ok ? { ok: true, value: { max: Math.max(dbEnd.value, ...dbSizes.map((r) => r.value)), end: dbEnd.value } } : dbEnd,
    },
    scheduler: {
      pendingMax: maxPending(inside.pending),
      attempt: merged(periodHistograms(start, end, 'scheduler', [FAMILIES.attemptDuration], missing)),
      podSchedulingSli: merged(periodHistograms(start, end, 'scheduler', [FAMILIES.podSchedulingSli], missing)),
      binds,
      bindsPerS: binds.ok && t1 > t0 ? { ok: true, value: Math.round((binds.value / ((t1 - t0) / 1000)) * 100) / 100 } : binds.ok ? { ok: false, reason: 'the period has no length' } : binds,
    },
  };
}

/** A Reading as it goes into summary.json: the value, or `{ unavailable: reason }`. */
export function readingJson<T>(r: Reading<T>): T | { unavailable: string } {
  return r.ok ? r.value : { unavailable: r.reason };
}

export function periodJson(p: ServerPeriod): Record<string, unknown> {
  const map = <T extends Record<string, Reading<unknown>>>(o: T): Record<string, unknown> =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, readingJson(v)]));
  return { apiserver: map(p.apiserver), etcd: map(p.etcd), scheduler: map(p.scheduler) };
}
