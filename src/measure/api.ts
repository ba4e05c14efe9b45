import { keyString } from '../cluster/request-key.js';
import type { ApiKeySummary, SloVerdict } from '../results/format.js';
import { isMutatingVerb, judge } from '../spec/slos.js';
import { ApiLatency } from './api-latency.js';
import type { Measurement, MeasureContext, MeasurementResult, SeriesColumns } from './measurement.js';
import { encodeHistogram, histogramStatsMs } from './stats.js';

export const API_COLUMNS = ['key', 'verb', 'resource', 'subresource', 'scope', 'count', 'min_ms', 'p50_ms', 'p90_ms', 'p99_ms', 'max_ms', 'mean_ms', 'slow_count', 'threshold_ms', 'retries', 'errors', 'failed'] as const;

const PERCENTILES = "HDR histograms, 1 us resolution, 3 significant digits (0.1% precision); a call's latency runs from its first attempt to its final answer (retries and their waits included) and excludes the wait on kbench's own rate limiter";

function round(v: number | undefined): string {
  return v === undefined ? '' : String(Math.round(v * 1000) / 1000);
}

function codes(m: Record<string, number>): string {
  return Object.entries(m)
    .map(([k, v]) => `${k}:${v}`)
    .join(';');
}

/** A histogram file name for a request key: api-post-pods-resource.hdr */
export function histogramFile(key: string, suffix = ''): string {
  return `api-${key.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase()}${suffix}.hdr`;
}

/** The API SLO verdicts of the client side: one per request key, against its class's threshold. */
export function apiVerdicts(api: readonly ApiKeySummary[]): SloVerdict[] {
  return api
    .filter((k) => k.latencyMs)
    .map((k) =>
      judge({
        id: `api_p99 ${k.key}`,
        description: `${isMutatingVerb(k.verb) ? 'Mutating' : 'Read-only'} API call p99: ${k.key}`,
        side: 'client',
        threshold: k.thresholdMs,
        unit: 'ms',
        comparison: '<=',
        value: k.latencyMs!.p99,
      }),
    );
}

/**
 * Client-side API latency: every call of the run, by request key, into HDR histograms;
 * then api.csv, histograms/ (mergeable across shards), clusterloader2's
 * APIResponsiveness perfdata and one SLO verdict per key.
 */
export class ApiMeasurement implements Measurement {
  readonly name = 'api';
  readonly latency: ApiLatency;
  readonly series: SeriesColumns;
  #lastWaitMs = 0;

  constructor(private readonly ctx: MeasureContext) {
    this.latency = new ApiLatency(ctx.workload.slo);
    const perS = (n: number, s: number): number => (s > 0 ? Math.round((n / s) * 10) / 10 : 0);
    this.series = {
      columns: ['requests_per_s', 'errors_per_s', 'limiter_wait_ms_per_s'],
      row: (s) => {
        const t = this.latency.takeTick();
        const wait = this.latency.limiterWaitTotalMs;
        const waitMs = wait - this.#lastWaitMs;
        this.#lastWaitMs = wait;
        return [perS(t.requests, s), perS(t.errors, s), (s > 0 ? waitMs / s : 0).toFixed(1)];
      },
    };
  }

  async start(): Promise<void> {
    this.ctx.client.addObserver(this.latency);
  }

  async stop(): Promise<void> {
    this.ctx.client.removeObserver(this.latency);
  }

  async finish(): Promise<MeasurementResult> {
    const { out, workload: w } = this.ctx;
    const api = this.latency.summary();
    await out.writeCsv(
      'api.csv',
      API_COLUMNS,
      api.map((k) => [k.key, k.verb, k.resource, k.subresource, k.scope, k.count, round(k.latencyMs?.min), round(k.latencyMs?.p50), round(k.latencyMs?.p90), round(k.latencyMs?.p99), round(k.latencyMs?.max), round(k.latencyMs?.mean), k.slowCount, k.thresholdMs, k.retries, codes(k.errors), codes(k.failed)]),
    );
    const index: { file: string; unit: string; key?: string; of?: string }[] = [];
    for (const r of this.latency.records()) {
      const key = keyString(r.key);
      const file = histogramFile(key);
      await out.writeText(`histograms/${file}`, encodeHistogram(r.histogram) + '\n');
      index.push({ file, unit: 'us', key, of: 'call' });
      if (r.retries > 0) {
        const last = histogramFile(key, '-last-attempt');
        await out.writeText(`histograms/${last}`, encodeHistogram(r.lastAttempt) + '\n');
        index.push({ file: last, unit: 'us', key, of: 'last-attempt' });
      }
    }
    if (this.latency.limiterWait.totalCount > 0) {
      await out.writeText('histograms/limiter-wait.hdr', encodeHistogram(this.latency.limiterWait) + '\n');
      index.push({ file: 'limiter-wait.hdr', unit: 'us', of: 'limiter-wait' });
    }
    await out.writeJson('histograms/index.json', { format: 'HdrHistogram V2, compressed, base64 (hdr-histogram-js encodeIntoCompressedBase64)', histograms: index });
    await out.writeJson(`APIResponsiveness_${w.name}_${this.ctx.stamp}.json`, {
      version: 'v1',
      dataItems: api
        .filter((k) => k.latencyMs)
        .map((k) => ({
          data: { Perc50: k.latencyMs!.p50, Perc90: k.latencyMs!.p90, Perc99: k.latencyMs!.p99 },
          unit: 'ms',
          labels: { Count: String(k.count), Resource: k.resource, Scope: k.scope, Subresource: k.subresource, Verb: k.verb, SlowCount: String(k.slowCount) },
        })),
    });
    const wait = histogramStatsMs(this.latency.limiterWait);
    const warnings: string[] = [];
    const failed = api.reduce((n, k) => n + Object.values(k.failed).reduce((a, b) => a + b, 0), 0);
    const throttled = api.reduce((n, k) => n + (k.errors['429'] ?? 0), 0);
    if (failed > 0) warnings.push(`${failed} API call${failed === 1 ? '' : 's'} failed after retries (api.csv, column failed)`);
    if (throttled > 0) warnings.push(`the API server answered 429 (too many requests) ${throttled} time${throttled === 1 ? '' : 's'}; those calls' latencies include their retries`);
    return {
      summary: { api, apiPercentiles: PERCENTILES, limiterWaitMs: wait ? { ...wait, unit: 'ms' } : { count: 0, unit: 'ms' } },
      verdicts: apiVerdicts(api),
      warnings,
    };
  }
}
