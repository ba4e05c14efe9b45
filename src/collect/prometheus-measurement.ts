import type { Measurement, MeasureContext, MeasurementResult } from '../measure/measurement.js';
import type { PrometheusQuerySummary } from '../results/format.js';
import type { PrometheusConfig } from './config.js';
import { readingJson } from './period.js';
import { evaluateQueries, type QueryOutcome, type Window } from './prometheus.js';
import { serverVerdicts } from './server-slo.js';

export const PROMETHEUS_SERIES_COLUMNS = ['time', 'elapsed_s', 'source', 'query', 'labels', 'value'] as const;

/**
 * Queries the Prometheus servers of the workload (or --prometheus) once the run is over,
 * for the run and for each phase: metrics/<source>.json, prometheus-timeseries.csv, and
 * the values in summary.json. When the control plane is scraped too, its verdicts use
 * these values for what the scrapes could not read; otherwise these values are judged here.
 */
export class PrometheusMeasurement implements Measurement {
  readonly name = 'prometheus';
  #t0 = 0;
  #windows: Window[] = [];
  #phaseStart = new Map<string, number>();
  #outcomes: Record<string, QueryOutcome[]> = {};

  constructor(
    private readonly ctx: MeasureContext,
    private readonly sources: readonly PrometheusConfig[],
    private readonly intervalMs: number,
    /** Whether the control-plane measurement judges the server SLOs (with these values as fallback). */
    private readonly judgedElsewhere: boolean,
  ) {}

  /** The queries' outcomes, once finish() has run. */
  get outcomes(): Record<string, QueryOutcome[]> {
    return this.#outcomes;
  }

  async start(): Promise<void> {
    this.#t0 = Date.now();
  }

  async phaseStart(phase: { name: string }): Promise<void> {
    this.#phaseStart.set(phase.name, Date.now());
  }

  async phaseEnd(phase: { name: string }): Promise<void> {
    const start = this.#phaseStart.get(phase.name);
    if (start !== undefined) this.#windows.push({ name: phase.name, start, end: Date.now() });
  }

  async stop(): Promise<void> {}

  async finish(): Promise<MeasurementResult> {
    const { out, info } = this.ctx;
    const end = Date.now();
    const summary: Record<string, Record<string, PrometheusQuerySummary>> = {};
    for (const p of this.sources) {
      info(`metrics: querying Prometheus source ${p.name} (${Object.keys(p.queries).length} queries)`);
      const outcomes = await evaluateQueries(p.client, p.queries, { name: 'run', start: this.#t0, end }, this.#windows, Math.max(1, Math.round(this.intervalMs / 1000)), p.rateWindowMs);
      await p.client.close();
      this.#outcomes[p.name] = outcomes;
      const failed = outcomes.filter((o) => !o.series.ok);
      for (const o of failed) if (!o.series.ok) info(`metrics: Prometheus ${p.name} query ${o.name} unavailable: ${o.series.reason}`);
      if (failed.length > 0) info(`metrics: ${failed.length} of ${outcomes.length} Prometheus queries of ${p.name} failed`);
      await out.writeJson(`metrics/${p.name}.json`, { url: p.client.url, queries: outcomes });
      for (const o of outcomes) {
        if (!o.series.ok) continue;
        for (const s of o.series.value) {
          const labels = Object.entries(s.labels)
            .map(([k, v]) => `${k}=${v}`)
            .join(',');
          for (const [t, v] of s.points) {
            out.appendRow('prometheus-timeseries.csv', PROMETHEUS_SERIES_COLUMNS, [new Date(t * 1000).toISOString(), ((t * 1000 - this.#t0) / 1000).toFixed(1), p.name, o.name, labels, v]);
          }
        }
      }
      summary[p.name] = Object.fromEntries(
        outcomes.map((o) => [o.name, { expr: o.expr, ...(o.series.ok ? {} : { unavailable: o.series.reason }), ...Object.fromEntries(Object.entries(o.windows).map(([w, r]) => [w, readingJson(r)])) }]),
      );
    }
    const judged = this.judgedElsewhere ? { verdicts: [], notes: [] } : serverVerdicts(undefined, this.#outcomes, this.ctx.workload.slo);
    return { summary: { collectors: { prometheus: summary, ...(judged.notes.length ? { notes: judged.notes } : {}) } }, verdicts: judged.verdicts, warnings: [] };
  }
}
