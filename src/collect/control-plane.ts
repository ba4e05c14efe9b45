import type { Measurement, MeasureContext, MeasurementResult } from '../measure/measurement.js';
import type { CollectorsSummary, HistogramSummary, Pending, ServerPeriodSummary, Unavailable } from '../results/format.js';
import type { ResolvedPhase } from '../spec/resolve.js';
import { APF_FAMILIES, ApfRecorder } from './apf.js';
import type { CollectConfig } from './config.js';
import { known } from '../results/format.js';
import { FAMILIES, pendingOf, serverPeriod, worstEtcdMember } from './period.js';
import type { PrometheusMeasurement } from './prometheus-measurement.js';
import { parsePrometheusText } from './prom-text.js';
import { counterIncrease, gaugeValue, type Reading, type Scrape } from './readings.js';
import { serverVerdicts } from './server-slo.js';

export const SERVER_SERIES_COLUMNS = [
  'time',
  'elapsed_s',
  'phase',
  'sched_pending_active',
  'sched_pending_backoff',
  'sched_pending_unschedulable',
  'sched_pending_gated',
  'sched_pending_total',
  'sched_binds_per_s',
  'api_inflight_readonly',
  'api_inflight_mutating',
  'api_requests_per_s',
  'api_429_per_s',
  'api_5xx_per_s',
  'etcd_wal_fsync_p99_ms',
  'etcd_backend_commit_p99_ms',
  'etcd_db_size_bytes',
] as const;

/** The families the collectors read; the rest of a scrape is skipped unparsed (the raw start and end scrapes are saved whole). */
const READ = new Set<string>([...Object.values(FAMILIES), ...Object.values(APF_FAMILIES)]);
/**
 * What an interval's scrape reads: the gauges and counters of a server-timeseries.csv row.
 * The latency histograms of API calls and scheduling attempts (most of a kube-apiserver's
 * samples) are differenced only between a period's boundary scrapes.
 */
const READ_INTERVAL = new Set<string>([...READ].filter((f) => !([FAMILIES.apiSli, FAMILIES.apiDuration, FAMILIES.attemptDuration, FAMILIES.podSchedulingSli] as string[]).includes(f)));

interface SourceStats {
  scrapes: number;
  failures: number;
  lastError?: string;
}

interface Logged<T> {
  phase: string;
  reading: Reading<T>;
}

/** A phase that starts within this of the last one's end starts at its end scrape. */
const SAME_BOUNDARY_MS = 1000;

const QUANTILES = "from Prometheus histograms as PromQL's histogram_quantile (linear interpolation inside a bucket), end minus start of each period";

/**
 * The control plane's own metrics, scraped from every source at the start and end of the
 * run and of each phase, and every interval in between. Histograms are differenced
 * between a period's two scrapes; gauges (pending pods, DB size) are taken from every
 * scrape inside the period. A source that fails is reported once and its measurements
 * become unavailable with the reason; the run goes on.
 */
export class ControlPlaneMeasurement implements Measurement {
  readonly name = 'control-plane';
  #t0 = 0;
  #phase = '';
  #startSet: Scrape[] = [];
  #phaseStarts = new Map<string, Promise<Scrape[]>>();
  /** The last boundary's scrape (the run's start, a phase's end), for what begins or ends right after it. */
  #boundary: { scrape: Promise<(Scrape & { text?: string })[]>; at: number } | undefined;
  /** Each phase's period, computed once its end scrape is in (the load does not wait for it). */
  #periods: { name: string; done: Promise<ServerPeriodSummary & { durationS: number }> }[] = [];
  #phases: Record<string, ServerPeriodSummary & { durationS: number }> = {};
  #pending: Logged<Pending>[] = [];
  #dbSize: Logged<number>[] = [];
  #lastRow: Scrape[] | undefined;
  #sampling: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stats = new Map<string, SourceStats>();
  readonly #apf: ApfRecorder;

  constructor(
    private readonly ctx: MeasureContext,
    private readonly config: CollectConfig,
    private readonly prometheus?: PrometheusMeasurement,
  ) {
    for (const s of config.sources) this.#stats.set(s.name, { scrapes: 0, failures: 0 });
    this.#apf = new ApfRecorder(config.missing);
  }

  /** One scrape of every source; its readings count in `phase` (the phase when it was sent). */
  async #scrapeAll(keepText: boolean, phase = this.#phase, read = READ): Promise<(Scrape & { text?: string })[]> {
    const set = await Promise.all(
      this.config.sources.map(async (s): Promise<Scrape & { text?: string }> => {
        const at = Date.now();
        const stats = this.#stats.get(s.name)!;
        stats.scrapes++;
        try {
          const text = await s.scrape();
          const parsed = parsePrometheusText(text, read);
          if (parsed.samples === 0) {
            throw new Error(`no metrics in the answer${parsed.errors[0] ? ` (line ${parsed.errors[0].line}: ${parsed.errors[0].message})` : ''}`);
          }
          if (stats.lastError) this.ctx.info(`metrics: source ${s.name} answers again`);
          delete stats.lastError;
          return { source: s.name, component: s.component, at, families: parsed.families, ...(keepText ? { text } : {}) };
        } catch (e) {
          const error = (e as Error).message;
          stats.failures++;
          // Said once per outage, not every interval.
          if (stats.lastError === undefined) this.ctx.info(`metrics: source ${s.name} (${s.where}) unavailable: ${error}`);
          stats.lastError = error;
          return { source: s.name, component: s.component, at, error };
        }
      }),
    );
    this.#log(set, phase);
    return set;
  }

  /** The gauges of one scrape, counted in `phase`. */
  #log(set: Scrape[], phase: string): void {
    this.#pending.push({ phase, reading: pendingOf(set, this.config.missing) });
    this.#dbSize.push({ phase, reading: gaugeValue(set, 'etcd', FAMILIES.dbSize, this.config.missing, () => true, 'max') });
    this.#apf.observe(set, phase);
  }

  async #saveRaw(set: (Scrape & { text?: string })[], when: 'start' | 'end'): Promise<void> {
    for (const s of set) {
      if (s.text !== undefined) await this.ctx.out.writeText(`metrics/${s.source}-${when}.prom`, s.text);
      delete s.text;
    }
  }

  async start(): Promise<void> {
    this.#t0 = Date.now();
    const set = await this.#scrapeAll(true);
    await this.#saveRaw(set, 'start');
    this.#startSet = set;
    this.#boundary = { scrape: Promise.resolve(set), at: performance.now() };
    this.#row(set);
    this.#timer = setInterval(() => void this.#sample(), this.config.intervalMs);
  }

  // The boundary scrapes are sent at the boundary but not waited for: a real kube-apiserver's
  // /metrics (some 20,000 samples) takes a second or more to fetch and read on a busy machine,
  // and the next phase's load must not pause for it.
  // Back-to-back periods share their boundary scrape: the run's start is its first phase's,
  // the end of one phase the start of the next, the last phase's end the run's (a /metrics
  // page is read once, not twice, at each boundary).
  async phaseStart(phase: ResolvedPhase): Promise<void> {
    this.#phase = phase.name;
    const shared = this.#takeBoundary();
    this.#phaseStarts.set(
      phase.name,
      shared
        ? shared.then((set) => {
            for (const x of set) delete x.text;
            this.#log(set, phase.name);
            return set;
          })
        : this.#scrapeAll(false, phase.name),
    );
  }

  /** The last boundary's scrape if it was taken just now (then it is shared); an older one's kept text is dropped. */
  #takeBoundary(): Promise<(Scrape & { text?: string })[]> | undefined {
    const boundary = this.#boundary;
    this.#boundary = undefined;
    if (!boundary) return undefined;
    if (performance.now() - boundary.at < SAME_BOUNDARY_MS) return boundary.scrape;
    void boundary.scrape.then((set) => {
      for (const x of set) delete x.text;
    });
    return undefined;
  }

  async phaseEnd(phase: ResolvedPhase): Promise<void> {
    const start = this.#phaseStarts.get(phase.name);
    if (!start) return;
    this.#phaseStarts.delete(phase.name);
    // Its text is kept in case it is also the run's end (saved whole, see finish()).
    const endScrape = this.#scrapeAll(true, phase.name);
    this.#boundary = { scrape: endScrape, at: performance.now() };
    const done = Promise.all([start, endScrape]).then(([s, end]) => {
      const t0 = Math.min(...s.map((x) => x.at), Number.POSITIVE_INFINITY);
      const t1 = Math.max(...end.map((x) => x.at), 0);
      const inside = { pending: this.#of(this.#pending, phase.name), dbSize: this.#of(this.#dbSize, phase.name), inqueueMax: this.#apf.maxima(phase.name) };
      return { durationS: Math.round((t1 - t0) / 100) / 10, ...serverPeriod(s, end, inside, this.config.missing, this.ctx.workload.slo) };
    });
    // Awaited in finish(); marked handled here so a failure is reported there, not as unhandled.
    done.catch(() => undefined);
    this.#periods.push({ name: phase.name, done });
  }

  #of<T>(log: Logged<T>[], phase?: string): Reading<T>[] {
    return log.filter((l) => phase === undefined || l.phase === phase).map((l) => l.reading);
  }

  async #sample(): Promise<void> {
    // A slow source must not pile up scrapes: skip the tick while one is running.
    if (this.#sampling) return;
    this.#sampling = this.#scrapeAll(false, this.#phase, READ_INTERVAL).then((set) => this.#row(set));
    try {
      await this.#sampling;
    } finally {
      this.#sampling = undefined;
    }
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#sampling;
  }

  /** One row of server-timeseries.csv; an empty cell is "not known", never 0. */
  #row(set: Scrape[]): void {
    const prev = this.#lastRow;
    this.#lastRow = set;
    const at = Math.max(...set.map((s) => s.at));
    const m = this.config.missing;
    const cell = (r: Reading<number>, digits = 0): string => (r.ok ? (digits ? r.value.toFixed(digits) : String(r.value)) : '');
    const pending = pendingOf(set, m);
    const gauge = (c: 'apiserver' | 'etcd', name: string, match: (l: Record<string, string>) => boolean = () => true) => gaugeValue(set, c, name, m, match, c === 'etcd' ? 'max' : 'sum');
    let rates: string[] = ['', '', '', '', '', ''];
    if (prev) {
      const dt = (at - Math.max(...prev.map((s) => s.at))) / 1000;
      const rate = (c: 'apiserver' | 'scheduler', name: string, match?: (l: Record<string, string>) => boolean): string => {
        const r = counterIncrease(prev, set, c, name, m, match);
        return !r.ok || dt <= 0 ? '' : (r.value / dt).toFixed(2);
      };
      const p99 = (name: string): string => {
        const v = known(worstEtcdMember(prev, set, name, m))?.p99Ms;
        return v === undefined ? '' : v.toFixed(3);
      };
      rates = [
        rate('scheduler', FAMILIES.attempts, (l) => l.result === 'scheduled'),
        rate('apiserver', FAMILIES.apiTotal),
        rate('apiserver', FAMILIES.apiTotal, (l) => l.code === '429'),
        rate('apiserver', FAMILIES.apiTotal, (l) => (l.code ?? '').startsWith('5')),
        p99(FAMILIES.walFsync),
        p99(FAMILIES.backendCommit),
      ];
    }
    const p = pending.ok ? pending.value : undefined;
    this.ctx.out.appendRow('server-timeseries.csv', SERVER_SERIES_COLUMNS, [
      new Date(at).toISOString(),
      ((at - this.#t0) / 1000).toFixed(1),
      this.#phase,
      p?.active ?? '',
      p?.backoff ?? '',
      p?.unschedulable ?? '',
      p?.gated ?? '',
      p?.total ?? '',
      rates[0],
      cell(gauge('apiserver', FAMILIES.apiInflight, (l) => l.request_kind === 'readOnly')),
      cell(gauge('apiserver', FAMILIES.apiInflight, (l) => l.request_kind === 'mutating')),
      rates[1],
      rates[2],
      rates[3],
      rates[4],
      rates[5],
      cell(gauge('etcd', FAMILIES.dbSize)),
    ]);
    this.#apf.appendRows(this.ctx.out, prev, set, at, ((at - this.#t0) / 1000).toFixed(1), this.#phase);
  }

  async finish(): Promise<MeasurementResult> {
    for (const p of this.#periods) this.#phases[p.name] = await p.done;
    const shared = this.#takeBoundary();
    const end = shared ? await shared : await this.#scrapeAll(true);
    await this.#saveRaw(end, 'end');
    this.#row(end);
    const run = serverPeriod(this.#startSet, end, { pending: this.#of(this.#pending), dbSize: this.#of(this.#dbSize), inqueueMax: this.#apf.maxima() }, this.config.missing, this.ctx.workload.slo);
    const { verdicts, notes } = serverVerdicts(run, this.prometheus?.outcomes ?? {}, this.ctx.workload.slo);
    const warnings: string[] = [];
    for (const [name, st] of this.#stats) {
      if (st.failures === st.scrapes) warnings.push(`metrics source ${name} could not be scraped: ${st.lastError ?? 'unknown error'}`);
    }
    const collectors: CollectorsSummary = {
      intervalS: this.config.intervalMs / 1000,
      quantiles: QUANTILES,
      sources: this.config.sources.map((s) => {
        const st = this.#stats.get(s.name)!;
        return { name: s.name, component: s.component, type: s.type, where: s.where, scrapes: st.scrapes, failures: st.failures, ...(st.lastError ? { lastError: st.lastError } : {}) };
      }),
      ...(Object.keys(this.config.missing).length > 0 ? { missing: this.config.missing } : {}),
      run,
      phases: this.#phases,
      ...(notes.length > 0 ? { notes } : {}),
    };
    await writeServerPerfdata(this.ctx, run);
    return { summary: { collectors }, verdicts, warnings };
  }
}

/**
 * Server-side measurements in clusterloader2's perfdata form (APIResponsivenessPrometheus,
 * etcd and scheduling items), for perfdash.
 */
async function writeServerPerfdata(ctx: MeasureContext, run: ServerPeriodSummary): Promise<void> {
  const name = ctx.workload.name;
  const item = (s: HistogramSummary, labels: Record<string, string>) => ({ data: { Perc50: s.p50Ms, Perc90: s.p90Ms, Perc99: s.p99Ms }, unit: 'ms', labels: { ...labels, Count: String(s.count) } });
  const lat = known(run.apiserver.latency);
  if (lat) {
    await ctx.out.writeJson(`APIResponsivenessPrometheus_${name}_${ctx.stamp}.json`, {
      version: 'v1',
      dataItems: lat.keys.map((k) => item(k, { Verb: k.verb, Resource: k.resource, Subresource: k.subresource, Scope: k.scope })),
    });
  }
  const histograms = (entries: [string, HistogramSummary | Unavailable][]) =>
    entries.flatMap(([metric, v]) => {
      const h = known(v);
      return h && h.count > 0 ? [item(h, { Metric: metric })] : [];
    });
  const etcd = histograms([
    ['wal_fsync', run.etcd.walFsync],
    ['backend_commit', run.etcd.backendCommit],
  ]);
  if (etcd.length > 0) await ctx.out.writeJson(`EtcdMetrics_${name}_${ctx.stamp}.json`, { version: 'v1', dataItems: etcd });
  const sched = histograms([
    ['scheduling_attempt', run.scheduler.attempt],
    ['pod_scheduling_sli', run.scheduler.podSchedulingSli],
  ]);
  if (sched.length > 0) await ctx.out.writeJson(`SchedulingMetrics_${name}_${ctx.stamp}.json`, { version: 'v1', dataItems: sched });
}
