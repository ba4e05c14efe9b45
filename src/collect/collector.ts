import type { ResultSet } from '../results/result-set.js';
import type { SloVerdict } from '../results/slo.js';
import type { ResolvedSlo } from '../spec/resolve.js';
import { APF_FAMILIES, apfJson, apfPeriod, type ApfPeriod, ApfRecorder } from './apf.js';
import type { CollectConfig } from './config.js';
import { FAMILIES, type Pending, pendingOf, periodJson, readingJson, serverPeriod, type ServerPeriod } from './period.js';
import { evaluateQueries, type QueryOutcome, type Window } from './prometheus.js';
import { parsePrometheusText } from './prom-text.js';
import { counterIncrease, gaugeValue, periodHistograms, type Reading, type Scrape, summarize } from './readings.js';
import { serverVerdicts } from './server-slo.js';

/** Control-plane metrics collection for a run, driven by the run's clock and phases. */
export interface RunCollectors {
  /** How often sample() is called while the run goes on. */
  intervalMs: number;
  start(rs: ResultSet): Promise<void>;
  phaseStart(phase: string): Promise<void>;
  phaseEnd(phase: string): Promise<void>;
  sample(): Promise<void>;
  finish(): Promise<CollectorResult>;
}

export interface CollectorResult {
  summary: Record<string, unknown>;
  verdicts: SloVerdict[];
  warnings: string[];
  /** The whole run, for the perfdata export. */
  run?: ServerPeriod;
}

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
];

export const PROMETHEUS_SERIES_COLUMNS = ['time', 'elapsed_s', 'source', 'query', 'labels', 'value'];

/** The families the collector reads; the rest of a scrape is skipped unparsed (raw text is saved at start and end). */
const READ = new Set<string>([...Object.values(FAMILIES), ...Object.values(APF_FAMILIES)]);

interface SourceStats {
  scrapes: number;
  failures: number;
  lastError?: string;
}

interface Logged<T> {
  phase: string;
  reading: Reading<T>;
}

/**
 * Scrapes every source at the start and end of the run and of each phase, and every
 * interval in between. Histograms are differenced between a period's two scrapes; gauges
 * (pending pods, DB size) are taken from every scrape inside the period. Prometheus
 * sources are queried once the run is over, for the same periods. A source that fails is
 * reported once and its measurements become unavailable with the reason; the run goes on.
 */
export class MetricsCollector implements RunCollectors {
  readonly intervalMs: number;
  #rs: ResultSet | undefined;
  #t0 = 0;
  #phase = '';
  #startSet: Scrape[] = [];
  #phaseStarts = new Map<string, Scrape[]>();
  #phases: Record<string, { durationS: number; period: ServerPeriod; apf: Reading<ApfPeriod> }> = {};
  readonly #apf: ApfRecorder;
  #windows: Window[] = [];
  #pending: Logged<Pending>[] = [];
  #dbSize: Logged<number>[] = [];
  #lastRow: Scrape[] | undefined;
  #sampling = false;
  #stats = new Map<string, SourceStats>();

  constructor(
    private readonly config: CollectConfig,
    private readonly slo: ResolvedSlo,
    private readonly info: (line: string) => void,
  ) {
    this.intervalMs = config.intervalMs;
    this.#apf = new ApfRecorder(config.missing);
    for (const s of config.sources) this.#stats.set(s.name, { scrapes: 0, failures: 0 });
  }

  async #scrapeAll(keepText: boolean): Promise<(Scrape & { text?: string })[]> {
    const set = await Promise.all(
      this.config.sources.map(async (s): Promise<Scrape & { text?: string }> => {
        const at = Date.now();
        const stats = this.#stats.get(s.name)!;
        stats.scrapes++;
        try {
          const text = await s.scrape();
          const parsed = parsePrometheusText(text, READ);
          if (parsed.samples === 0) {
            throw new Error(`no metrics in the answer${parsed.errors[0] ? ` (line ${parsed.errors[0].line}: ${parsed.errors[0].message})` : ''}`);
          }
          if (stats.lastError) this.info(`metrics: source ${s.name} answers again`);
          delete stats.lastError;
          return { source: s.name, component: s.component, at, families: parsed.families, ...(keepText ? { text } : {}) };
        } catch (e) {
          const error = (e as Error).message;
          stats.failures++;
          // Said once per outage, not every interval.
          if (stats.lastError === undefined) this.info(`metrics: source ${s.name} (${s.where}) unavailable: ${error}`);
          stats.lastError = error;
          return { source: s.name, component: s.component, at, error };
        }
      }),
    );
    this.#pending.push({ phase: this.#phase, reading: pendingOf(set, this.config.missing) });
    this.#dbSize.push({ phase: this.#phase, reading: gaugeValue(set, 'etcd', FAMILIES.dbSize, this.config.missing, () => true, 'max') });
    this.#apf.observe(set, this.#phase);
    return set;
  }

  async #saveRaw(set: (Scrape & { text?: string })[], when: 'start' | 'end'): Promise<void> {
    for (const s of set) {
      if (s.text !== undefined) await this.#rs!.writeText(`metrics/${s.source}-${when}.prom`, s.text);
      delete s.text;
    }
  }

  async start(rs: ResultSet): Promise<void> {
    this.#rs = rs;
    this.#t0 = Date.now();
    const set = await this.#scrapeAll(true);
    await this.#saveRaw(set, 'start');
    this.#startSet = set;
    this.#row(set);
  }

  async phaseStart(phase: string): Promise<void> {
    this.#phase = phase;
    this.#phaseStarts.set(phase, await this.#scrapeAll(false));
  }

  async phaseEnd(phase: string): Promise<void> {
    const start = this.#phaseStarts.get(phase);
    if (!start) return;
    const end = await this.#scrapeAll(false);
    const t0 = Math.min(...start.map((s) => s.at), Number.POSITIVE_INFINITY);
    const t1 = Math.max(...end.map((s) => s.at), 0);
    const inside = { pending: this.#of(this.#pending, phase), dbSize: this.#of(this.#dbSize, phase) };
    this.#phases[phase] = {
      durationS: Math.round((t1 - t0) / 100) / 10,
      period: serverPeriod(start, end, inside, this.config.missing, this.slo),
      apf: apfPeriod(start, end, this.#apf.maxima(phase), this.config.missing),
    };
    this.#windows.push({ name: phase, start: t0, end: t1 });
    this.#phaseStarts.delete(phase);
  }

  #of<T>(log: Logged<T>[], phase?: string): Reading<T>[] {
    return log.filter((l) => phase === undefined || l.phase === phase).map((l) => l.reading);
  }

  async sample(): Promise<void> {
    // A slow source must not pile up scrapes: skip the tick while one is running.
    if (this.#sampling || !this.#rs) return;
    this.#sampling = true;
    try {
      this.#row(await this.#scrapeAll(false));
    } finally {
      this.#sampling = false;
    }
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
        const r = periodHistograms(prev, set, 'etcd', [name], m);
        const h = r.ok ? r.value.groups.get('') : undefined;
        const v = h ? summarize(h).p99Ms : undefined;
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
    this.#rs!.appendRow('server-timeseries.csv', SERVER_SERIES_COLUMNS, [
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
    this.#apf.appendRows(this.#rs!, prev, set, at, ((at - this.#t0) / 1000).toFixed(1), this.#phase);
  }

  async finish(): Promise<CollectorResult> {
    const end = await this.#scrapeAll(true);
    await this.#saveRaw(end, 'end');
    this.#row(end);
    const run = serverPeriod(this.#startSet, end, { pending: this.#of(this.#pending), dbSize: this.#of(this.#dbSize) }, this.config.missing, this.slo);
    const apfRun = apfPeriod(this.#startSet, end, this.#apf.maxima(), this.config.missing);
    const t1 = Math.max(...end.map((s) => s.at));

    const prometheus: Record<string, QueryOutcome[]> = {};
    for (const p of this.config.prometheus) {
      this.info(`metrics: querying Prometheus source ${p.name} (${Object.keys(p.queries).length} queries)`);
      const outcomes = await evaluateQueries(p.client, p.queries, { name: 'run', start: this.#t0, end: t1 }, this.#windows, Math.max(1, Math.round(this.intervalMs / 1000)), p.rateWindowMs);
      await p.client.close();
      prometheus[p.name] = outcomes;
      const failed = outcomes.find((o) => !o.series.ok);
      for (const o of outcomes) {
        if (!o.series.ok) this.info(`metrics: Prometheus ${p.name} query ${o.name} unavailable: ${o.series.reason}`);
      }
      if (failed) this.info(`metrics: ${outcomes.filter((o) => !o.series.ok).length} of ${outcomes.length} Prometheus queries of ${p.name} failed`);
      await this.#rs!.writeJson(`metrics/${p.name}.json`, { url: p.client.url, queries: outcomes });
      for (const o of outcomes) {
        if (!o.series.ok) continue;
        for (const s of o.series.value) {
          for (const [t, v] of s.points) {
            this.#rs!.appendRow('prometheus-timeseries.csv', PROMETHEUS_SERIES_COLUMNS, [
              new Date(t * 1000).toISOString(),
              ((t * 1000 - this.#t0) / 1000).toFixed(1),
              p.name,
              o.name,
              Object.entries(s.labels)
                .map(([k, val]) => `${k}=${val}`)
                .join(','),
              v,
            ]);
          }
        }
      }
    }

    const { verdicts, notes } = serverVerdicts(run, prometheus, this.slo);
    const warnings: string[] = [];
    for (const [name, st] of this.#stats) {
      if (st.failures === st.scrapes) warnings.push(`metrics source ${name} could not be scraped: ${st.lastError ?? 'unknown error'}`);
    }
    const summary: Record<string, unknown> = {
      intervalS: this.intervalMs / 1000,
      quantiles: "from Prometheus histograms as PromQL's histogram_quantile (linear interpolation inside a bucket), end minus start of each period",
      sources: this.config.sources.map((s) => {
        const st = this.#stats.get(s.name)!;
        return { name: s.name, component: s.component, type: s.type, where: s.where, scrapes: st.scrapes, failures: st.failures, ...(st.lastError ? { lastError: st.lastError } : {}) };
      }),
      ...(Object.keys(this.config.missing).length > 0 ? { missing: this.config.missing } : {}),
      run: periodJson(run),
      phases: Object.fromEntries(Object.entries(this.#phases).map(([k, v]) => [k, { durationS: v.durationS, ...periodJson(v.period) }])),
      // API Priority and Fairness per priority level; per interval in apf-timeseries.csv.
      apf: { run: apfJson(apfRun), phases: Object.fromEntries(Object.entries(this.#phases).map(([k, v]) => [k, apfJson(v.apf)])) },
      ...(Object.keys(prometheus).length > 0
        ? {
            prometheus: Object.fromEntries(
              Object.entries(prometheus).map(([name, outcomes]) => [
                name,
                Object.fromEntries(
                  outcomes.map((o) => [
                    o.name,
                    { expr: o.expr, ...(o.series.ok ? {} : { unavailable: o.series.reason }), ...Object.fromEntries(Object.entries(o.windows).map(([w, r]) => [w, readingJson(r)])) },
                  ]),
                ),
              ]),
            ),
          }
        : {}),
      ...(notes.length > 0 ? { notes } : {}),
    };
    return { summary, verdicts, warnings, run };
  }
}
