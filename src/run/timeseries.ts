import type { ApiLatency } from '../measure/api-latency.js';
import type { HarnessHealth } from '../measure/harness-health.js';
import type { PodTracker } from '../measure/pod-tracker.js';
import type { ResultSet } from '../results/result-set.js';

export const TIMESERIES_COLUMNS = [
  'time',
  'elapsed_s',
  'phase',
  'pods_seen',
  'pods_scheduled',
  'pods_running',
  'pods_ready',
  'pods_pending',
  'pods_created_per_s',
  'pods_scheduled_per_s',
  'pods_running_per_s',
  'pods_deleted_per_s',
  'requests_per_s',
  'errors_per_s',
  'limiter_wait_ms_per_s',
  'harness_lag_p99_ms',
  'harness_cpu_pct',
];

/**
 * One row per second of what the run looks like from the client: pods in each state,
 * transitions per second, requests and errors per second, time spent waiting on kbench's
 * own rate limiter, and the harness's event-loop lag and CPU. One more row at the end of
 * every phase, so the state a phase ended in is exact rather than up to a second stale;
 * rates are over each row's own interval.
 */
export class TimeseriesRecorder {
  #timer: NodeJS.Timeout | undefined;
  #t0 = 0;
  #lastRowAt = 0;
  #phase = '';
  #lastLimiterSum = 0;

  constructor(
    private readonly rs: ResultSet,
    private readonly tracker: PodTracker,
    private readonly api: ApiLatency,
    private readonly health: HarnessHealth,
  ) {}

  start(): void {
    this.#t0 = performance.now();
    this.#lastRowAt = this.#t0;
    this.#timer = setInterval(() => this.#row(), 1000);
  }

  setPhase(name: string): void {
    this.#phase = name;
  }

  /** The current phase has ended: a row with its final state. */
  phaseEnded(): void {
    if (this.#timer) this.#row();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#row();
  }

  #row(): void {
    const now = performance.now();
    const secs = (now - this.#lastRowAt) / 1000;
    this.#lastRowAt = now;
    const perS = (n: number): number => (secs > 0 ? Math.round((n / secs) * 10) / 10 : 0);
    const tick = this.tracker.takeTick();
    const cur = this.tracker.current();
    const api = this.api.takeTick();
    const h = this.health.sample();
    const waitSum = this.api.limiterWait.mean * this.api.limiterWait.totalCount;
    const waitMs = (waitSum - this.#lastLimiterSum) / 1000;
    this.#lastLimiterSum = waitSum;
    this.rs.appendRow('timeseries.csv', TIMESERIES_COLUMNS, [
      new Date().toISOString(),
      ((now - this.#t0) / 1000).toFixed(2),
      this.#phase,
      cur.seen,
      cur.scheduled,
      cur.running,
      cur.ready,
      cur.seen - cur.running,
      perS(tick.seen),
      perS(tick.scheduled),
      perS(tick.running),
      perS(tick.deleted),
      perS(api.requests),
      perS(api.errors),
      (secs > 0 ? waitMs / secs : 0).toFixed(1),
      h.lagP99Ms.toFixed(1),
      h.cpuPct.toFixed(0),
    ]);
  }
}
