import type { ResultWriter } from '../results/writer.js';
import type { SeriesColumns } from './measurement.js';

/**
 * timeseries.csv: one row per second of what the run looks like from the client, with
 * the columns each measurement contributes (pods in each state and transitions per
 * second, requests and errors per second, the wait on kbench's own rate limiter, the
 * harness's lag and CPU). One more row at the end of every phase, so the state a phase
 * ended in is exact rather than up to a second stale; rates are over each row's interval.
 */
export class TimeseriesRecorder {
  #timer: NodeJS.Timeout | undefined;
  #t0 = 0;
  #lastRowAt = 0;
  #phase = '';
  readonly #columns: string[];

  constructor(
    private readonly out: ResultWriter,
    private readonly parts: readonly SeriesColumns[],
    private readonly intervalMs = 1000,
  ) {
    this.#columns = ['time', 'elapsed_s', 'phase', ...parts.flatMap((p) => p.columns)];
  }

  start(): void {
    this.#t0 = performance.now();
    this.#lastRowAt = this.#t0;
    this.#timer = setInterval(() => this.#row(), this.intervalMs);
  }

  setPhase(name: string): void {
    this.#phase = name;
  }

  /** The current phase has ended: a row with its final state. */
  phaseEnded(): void {
    if (this.#timer) this.#row();
  }

  stop(): void {
    if (!this.#timer) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#row();
  }

  #row(): void {
    if (this.parts.length === 0) return;
    const now = performance.now();
    const secs = (now - this.#lastRowAt) / 1000;
    this.#lastRowAt = now;
    this.out.appendRow('timeseries.csv', this.#columns, [new Date().toISOString(), ((now - this.#t0) / 1000).toFixed(2), this.#phase, ...this.parts.flatMap((p) => p.row(secs))]);
  }
}
