import { Agent, request } from '../util/http-client.js';
import type { Reading } from './readings.js';
import { SourceError } from './sources.js';

/**
 * What a Prometheus source asks when the workload gives no queries: the same measurements
 * the scrape sources give, in PromQL. `$window` is the range of rate() and increase(): the
 * source's rateWindow in the time series, the whole phase (or run) in per-phase values.
 */
export const DEFAULT_PROMETHEUS_QUERIES: Record<string, string> = {
  scheduler_pending_total: 'sum(scheduler_pending_pods{queue!="gated"})',
  scheduler_binds_per_s: 'sum(rate(scheduler_schedule_attempts_total{result="scheduled"}[$window]))',
  api_inflight: 'sum by (request_kind) (apiserver_current_inflight_requests)',
  api_requests_per_s: 'sum(rate(apiserver_request_total[$window]))',
  api_429_per_s: 'sum(rate(apiserver_request_total{code="429"}[$window]))',
  api_5xx_per_s: 'sum(rate(apiserver_request_total{code=~"5.."}[$window]))',
  // Per member, the worst: etcd's latency guidance holds for each member.
  etcd_wal_fsync_p99_ms: '1000 * max(histogram_quantile(0.99, sum by (instance, le) (rate(etcd_disk_wal_fsync_duration_seconds_bucket[$window]))))',
  etcd_backend_commit_p99_ms: '1000 * max(histogram_quantile(0.99, sum by (instance, le) (rate(etcd_disk_backend_commit_duration_seconds_bucket[$window]))))',
  etcd_db_size_bytes: 'max(etcd_mvcc_db_total_size_in_bytes)',
  api_sli_p99_ms:
    '1000 * histogram_quantile(0.99, sum by (le, verb, resource, subresource, scope) (rate(apiserver_request_sli_duration_seconds_bucket{verb!~"WATCH|CONNECT"}[$window])))',
};

export interface PromSeries {
  labels: Record<string, string>;
  /** (unix seconds, value) */
  points: [number, number][];
}

export interface PromValue {
  labels: Record<string, string>;
  value: number;
}

function clip(s: string, n = 300): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > n ? `${t.slice(0, n)}...` : t;
}

/** A Prometheus server's HTTP API (/api/v1/query and /api/v1/query_range). */
export class PrometheusClient {
  readonly #dispatcher: Agent;
  constructor(
    readonly url: string,
    private readonly opts: { ca?: string | Buffer; token?: () => string | undefined; insecureSkipVerify?: boolean; timeoutMs?: number } = {},
  ) {
    const tls: Record<string, unknown> = {};
    if (opts.ca) tls.ca = opts.ca;
    if (opts.insecureSkipVerify) tls.rejectUnauthorized = false;
    this.#dispatcher = new Agent({ connect: tls });
  }

  async #get(path: string, params: Record<string, string>): Promise<unknown> {
    const u = new URL(path, this.url.endsWith('/') ? this.url : `${this.url}/`);
    for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
    const headers: Record<string, string> = {};
    const token = this.opts.token?.();
    if (token) headers.authorization = `Bearer ${token}`;
    let res;
    try {
      res = await request(u, { dispatcher: this.#dispatcher, headers, signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000) });
    } catch (e) {
      const err = e as Error & { code?: string; cause?: { code?: string } };
      throw new SourceError(`cannot reach Prometheus at ${this.url}: ${err.cause?.code ?? err.code ?? err.message}`);
    }
    const text = await res.body.text();
    let body: { status?: string; error?: string; errorType?: string; data?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new SourceError(`Prometheus at ${this.url} answered ${res.statusCode} without JSON: ${clip(text)}`);
    }
    if (body.status !== 'success') throw new SourceError(`Prometheus refused the query (${body.errorType ?? `HTTP ${res.statusCode}`}): ${body.error ?? clip(text)}`);
    return body.data;
  }

  /** An instant query: every series' value at `at` (NaN values, as from an empty histogram, dropped). */
  async query(expr: string, at: Date): Promise<PromValue[]> {
    const data = (await this.#get('api/v1/query', { query: expr, time: String(at.getTime() / 1000) })) as {
      resultType: string;
      result: unknown;
    };
    if (data.resultType === 'scalar') {
      const v = Number((data.result as [number, string])[1]);
      return Number.isFinite(v) ? [{ labels: {}, value: v }] : [];
    }
    if (data.resultType !== 'vector') throw new SourceError(`the query gives a ${data.resultType}, not an instant vector or scalar`);
    return (data.result as { metric: Record<string, string>; value: [number, string] }[])
      .map((r) => ({ labels: r.metric, value: Number(r.value[1]) }))
      .filter((r) => Number.isFinite(r.value));
  }

  /** A range query over [start, end] every `stepS` seconds. */
  async queryRange(expr: string, start: Date, end: Date, stepS: number): Promise<PromSeries[]> {
    const data = (await this.#get('api/v1/query_range', {
      query: expr,
      start: String(start.getTime() / 1000),
      end: String(end.getTime() / 1000),
      step: String(stepS),
    })) as { resultType: string; result: { metric: Record<string, string>; values: [number, string][] }[] };
    if (data.resultType !== 'matrix') throw new SourceError(`query_range gave a ${data.resultType}`);
    return data.result.map((r) => ({
      labels: r.metric,
      points: r.values.map(([t, v]): [number, number] => [t, Number(v)]).filter(([, v]) => Number.isFinite(v)),
    }));
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }
}

export interface Window {
  name: string;
  start: number;
  end: number;
}

export interface QueryOutcome {
  name: string;
  expr: string;
  series: Reading<PromSeries[]>;
  /** Per phase, and `run` for the whole run. */
  windows: Record<string, Reading<PromValue[]>>;
}

function seconds(ms: number): string {
  return `${Math.max(1, Math.ceil(ms / 1000))}s`;
}

/**
 * Runs each query as a range query over the run (the time series) and once per window:
 * a query with `$window` is evaluated at the window's end with the window as its range
 * (the phase's own rate or quantile); a gauge query without it gives its highest value
 * in the window.
 */
export async function evaluateQueries(
  client: PrometheusClient,
  queries: Record<string, string>,
  run: Window,
  phases: readonly Window[],
  stepS: number,
  rateWindowMs: number,
): Promise<QueryOutcome[]> {
  const out: QueryOutcome[] = [];
  for (const [name, expr] of Object.entries(queries)) {
    const outcome: QueryOutcome = { name, expr, series: { ok: false, reason: 'not run' }, windows: {} };
    try {
      const series = await client.queryRange(expr.replaceAll('$window', seconds(rateWindowMs)), new Date(run.start), new Date(run.end), stepS);
      outcome.series = { ok: true, value: series };
    } catch (e) {
      outcome.series = { ok: false, reason: (e as Error).message };
    }
    for (const w of [...phases, { ...run, name: 'run' }]) {
      if (!outcome.series.ok) {
        outcome.windows[w.name] = outcome.series;
        continue;
      }
      try {
        let values: PromValue[];
        if (expr.includes('$window')) {
          values = await client.query(expr.replaceAll('$window', seconds(w.end - w.start)), new Date(w.end));
        } else {
          values = outcome.series.value
            .map((s) => ({ labels: s.labels, points: s.points.filter(([t]) => t * 1000 >= w.start - stepS * 1000 && t * 1000 <= w.end + stepS * 1000) }))
            .filter((s) => s.points.length > 0)
            .map((s) => ({ labels: s.labels, value: Math.max(...s.points.map(([, v]) => v)) }));
        }
        outcome.windows[w.name] =
          values.length > 0
            ? { ok: true, value: values }
            : { ok: false, reason: `Prometheus has no data for ${w.name === 'run' ? 'the run' : `phase ${w.name}`} (${seconds(w.end - w.start)}; shorter than two of its scrape intervals, or the metric is not scraped)` };
      } catch (e) {
        outcome.windows[w.name] = { ok: false, reason: (e as Error).message };
      }
    }
    out.push(outcome);
  }
  return out;
}
