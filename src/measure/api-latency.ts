import type * as hdr from 'hdr-histogram-js';
import type { CallObserver, CallOutcome } from '../cluster/kube-client.js';
import { keyString, type RequestKey } from '../cluster/request-key.js';
import type { ApiKeySummary } from '../results/format.js';
import type { ResolvedSlo } from '../spec/resolve.js';
import { apiThresholdMs } from '../spec/slos.js';
import { histogramStatsMs, newLatencyHistogram } from './stats.js';

export interface KeyRecord {
  key: RequestKey;
  /** Each call as its caller saw it: first attempt to final answer, retries and backoff included (µs). */
  histogram: hdr.Histogram;
  /** The last attempt of each call alone (µs). */
  lastAttempt: hdr.Histogram;
  /** Calls that ended with a 2xx/3xx/4xx answer other than 429. */
  count: number;
  /** Failed attempts by code ('429', '503', 'timeout', 'network'), retried or final. */
  errors: Record<string, number>;
  /** Calls that failed after their retries, by final code. */
  failed: Record<string, number>;
  retries: number;
  /** Calls slower than the SLO threshold for their class. */
  slowCount: number;
  thresholdMs: number;
}

/** Per-interval counters for the time series. */
export interface ApiTick {
  requests: number;
  errors: number;
}

/**
 * Client-side API latency per (verb, resource, subresource, scope) in HDR histograms
 * (microseconds, 3 significant digits). A call's latency is what its caller waited: a
 * create that was refused with 429 twice and then succeeded took all three attempts and
 * both Retry-After waits. The time a request waited on kbench's own rate limiter before
 * it was sent is not in it: the load generator records that apart.
 */
export class ApiLatency implements CallObserver {
  readonly #keys = new Map<string, KeyRecord>();
  #tick: ApiTick = { requests: 0, errors: 0 };
  readonly limiterWait = newLatencyHistogram();
  #limiterWaitSumUs = 0;

  constructor(private readonly slo: ResolvedSlo) {}

  #record(key: RequestKey): KeyRecord {
    const s = keyString(key);
    let r = this.#keys.get(s);
    if (!r) {
      const thresholdMs = apiThresholdMs(this.slo, key.verb, key.scope);
      r = { key, histogram: newLatencyHistogram(), lastAttempt: newLatencyHistogram(), count: 0, errors: {}, failed: {}, retries: 0, slowCount: 0, thresholdMs };
      this.#keys.set(s, r);
    }
    return r;
  }

  onCall(o: CallOutcome): void {
    // Watches are long-running: their duration is not a latency.
    if (o.key.verb === 'WATCH') return;
    const r = this.#record(o.key);
    for (const f of o.failures) r.errors[f] = (r.errors[f] ?? 0) + 1;
    r.retries += o.attempts - 1;
    this.#tick.requests += o.attempts;
    this.#tick.errors += o.failures.length;
    const finalFailure = o.status === 0 || o.status === 429 || o.status >= 500;
    if (finalFailure) {
      const code = o.status === 0 ? (o.failures[o.failures.length - 1] ?? 'network') : String(o.status);
      r.failed[code] = (r.failed[code] ?? 0) + 1;
      return;
    }
    r.count++;
    r.histogram.recordValue(Math.max(1, Math.round(o.totalMs * 1000)));
    r.lastAttempt.recordValue(Math.max(1, Math.round(o.latencyMs * 1000)));
    if (o.totalMs > r.thresholdMs) r.slowCount++;
  }

  recordLimiterWait(ms: number): void {
    const us = Math.max(0, Math.round(ms * 1000));
    this.limiterWait.recordValue(us);
    this.#limiterWaitSumUs += us;
  }

  /** Total time spent waiting on the limiter so far (ms). */
  get limiterWaitTotalMs(): number {
    return this.#limiterWaitSumUs / 1000;
  }

  /** Counters since the previous call. */
  takeTick(): ApiTick {
    const t = this.#tick;
    this.#tick = { requests: 0, errors: 0 };
    return t;
  }

  records(): KeyRecord[] {
    return [...this.#keys.values()];
  }

  summary(): ApiKeySummary[] {
    return this.records()
      .map((r) => {
        const s: ApiKeySummary = {
          key: keyString(r.key),
          verb: r.key.verb,
          resource: r.key.resource,
          subresource: r.key.subresource,
          scope: r.key.scope,
          count: r.count,
          errors: r.errors,
          failed: r.failed,
          retries: r.retries,
          slowCount: r.slowCount,
          thresholdMs: r.thresholdMs,
        };
        const stats = histogramStatsMs(r.histogram);
        if (stats) s.latencyMs = { ...stats, unit: 'ms' };
        const last = histogramStatsMs(r.lastAttempt);
        if (last && r.retries > 0) s.lastAttemptMs = { ...last, unit: 'ms' };
        return s;
      })
      .sort((a, b) => (a.key < b.key ? -1 : 1));
  }
}
