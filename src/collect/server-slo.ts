import type { EtcdHistogramSummary, HistogramSummary, ServerPeriodSummary, SloVerdict, Unavailable } from '../results/format.js';
import type { ResolvedSlo } from '../spec/resolve.js';
import { API_SLO_CLASSES, apiSloClass, judge } from '../spec/slos.js';
import { known } from '../results/format.js';
import type { QueryOutcome } from './prometheus.js';
import type { Reading } from './readings.js';

/** The run-long value of a Prometheus query (the highest over its series), or why there is none. */
function promValue(prometheus: Record<string, QueryOutcome[]>, query: string): Reading<number> | undefined {
  let reason: string | undefined;
  for (const [source, outcomes] of Object.entries(prometheus)) {
    const o = outcomes.find((x) => x.name === query);
    const r = o?.windows.run;
    if (!r) continue;
    if (r.ok) return { ok: true, value: Math.max(...r.value.map((v) => v.value)) };
    reason = `Prometheus ${source}: ${r.reason}`;
  }
  return reason ? { ok: false, reason } : undefined;
}

function reason(v: Unavailable | object | number | undefined, fallback: string): string {
  return typeof v === 'object' && v !== null && 'unavailable' in v ? v.unavailable : fallback;
}

/** A scrape reading, else the Prometheus one, else the reasons of both. */
function either(scraped: Reading<number>, prometheus: Reading<number> | undefined): { value?: number; unavailable?: string; viaPrometheus: boolean } {
  if (scraped.ok) return { value: scraped.value, viaPrometheus: false };
  if (prometheus?.ok) return { value: prometheus.value, viaPrometheus: true };
  return { unavailable: prometheus ? `${scraped.reason}; ${prometheus.reason}` : scraped.reason, viaPrometheus: false };
}

function p99(v: HistogramSummary | Unavailable | undefined, what: string, noScrape: string): Reading<number> {
  const h = known(v);
  if (!h) return { ok: false, reason: reason(v, noScrape) };
  if (h.count === 0) return { ok: false, reason: `no ${what} observed in the run` };
  return h.p99Ms === undefined ? { ok: false, reason: `the ${what} histogram gives no p99` } : { ok: true, value: h.p99Ms };
}

/**
 * Server-side SLO verdicts next to the client-side ones: the scheduler's pending queue,
 * etcd WAL fsync and backend commit p99, and the apiserver's own latency p99 by SLO class
 * (the worst key of each class, with it named). Scrape sources come first; a Prometheus
 * source answers what they could not. `run` is absent when only Prometheus was asked.
 */
export function serverVerdicts(run: ServerPeriodSummary | undefined, prometheus: Record<string, QueryOutcome[]>, slo: ResolvedSlo): { verdicts: SloVerdict[]; notes: string[] } {
  const notes: string[] = [];
  const verdicts: SloVerdict[] = [];
  const noScrape = 'control-plane metrics were not scraped (the control-plane measurement is off)';
  const pendingMax = known(run?.scheduler.pendingMax);
  const pendingScraped: Reading<number> = pendingMax ? { ok: true, value: pendingMax.total } : { ok: false, reason: reason(run?.scheduler.pendingMax, noScrape) };
  const { viaPrometheus: pendingViaProm, ...pending } = either(pendingScraped, promValue(prometheus, 'scheduler_pending_total'));
  verdicts.push(
    judge({
      id: 'scheduler_pending_max',
      description: `Scheduler pending pods, max (active + backoff + unschedulable)${pendingViaProm ? ', from Prometheus' : ''}`,
      side: 'server',
      threshold: slo.schedulerPendingMax,
      unit: 'pods',
      comparison: '<',
      ...pending,
    }),
  );
  const etcd = (id: string, what: string, reading: EtcdHistogramSummary | Unavailable | undefined, query: string, threshold: number): SloVerdict => {
    const { viaPrometheus, ...v } = either(p99(reading, what, noScrape), promValue(prometheus, query));
    const h = known(reading);
    const worstOf = !viaPrometheus && h?.member && (h.members ?? 1) > 1 ? ` (the worst of ${h.members} members: ${h.member})` : '';
    return judge({
      id,
      description: `etcd ${what} p99${viaPrometheus ? ', from Prometheus, the worst member' : ''}${worstOf}${h?.p99AboveHighestBucket ? ' (above the highest bucket: a lower limit)' : ''}`,
      side: 'server',
      threshold,
      unit: 'ms',
      comparison: '<=',
      ...v,
    });
  };
  verdicts.push(etcd('etcd_wal_fsync_p99', 'WAL fsync', run?.etcd.walFsync, 'etcd_wal_fsync_p99_ms', slo.etcdWalFsyncP99));
  verdicts.push(etcd('etcd_backend_commit_p99', 'backend commit', run?.etcd.backendCommit, 'etcd_backend_commit_p99_ms', slo.etcdBackendCommitP99));

  // API latency by SLO class: the worst key of each class against that class's threshold.
  let keys: { key: string; verb: string; scope: string; p99Ms?: number; capped?: boolean }[] | undefined;
  let source = '';
  let unavailable = reason(run?.apiserver.latency, noScrape);
  const latency = known(run?.apiserver.latency);
  if (latency) {
    keys = latency.keys.map((k) => ({ ...k, capped: k.p99AboveHighestBucket === true }));
    source = latency.histogram;
  } else {
    for (const [name, outcomes] of Object.entries(prometheus)) {
      const r = outcomes.find((o) => o.name === 'api_sli_p99_ms')?.windows.run;
      if (r?.ok) {
        keys = r.value.map((v) => {
          const l = v.labels;
          return { key: `${l.verb} ${l.resource}${l.subresource ? `/${l.subresource}` : ''} ${l.scope}`, verb: l.verb ?? '', scope: l.scope ?? '', p99Ms: v.value };
        });
        source = `Prometheus ${name}`;
        break;
      }
      if (r) unavailable += `; Prometheus ${name}: ${r.reason}`;
    }
  }
  if (!keys) {
    verdicts.push(judge({ id: 'server_api_p99', description: 'Server-side API call p99', side: 'server', threshold: slo.mutatingApiP99, unit: 'ms', comparison: '<=', unavailable }));
    return { verdicts, notes };
  }
  for (const cls of API_SLO_CLASSES) {
    const inClass = keys.filter((k) => k.p99Ms !== undefined && apiSloClass(k.verb, k.scope).name === cls.name);
    if (inClass.length === 0) continue;
    const worst = inClass.reduce((a, b) => (b.p99Ms! > a.p99Ms! ? b : a));
    verdicts.push(
      judge({
        id: `server_api_p99 ${cls.name}`,
        description: `Server-side API p99, ${cls.text} (worst of ${inClass.length}: ${worst.key}${worst.capped ? ', above the highest bucket' : ''})`,
        side: 'server',
        threshold: slo[cls.slo],
        unit: 'ms',
        comparison: '<=',
        value: worst.p99Ms!,
      }),
    );
  }
  notes.push(`server-side API latency from ${source}`);
  return { verdicts, notes };
}
