/**
 * A priority level's seat demand (seats executing plus seats waiting) integrated over time,
 * as flowcontrol's seatDemandIntegrator: the average, deviation and high watermark of each
 * adjustment period feed the borrowing between priority levels.
 */
export class SeatDemand {
  #value = 0;
  #since: number;
  #start: number;
  #integral = 0;
  #squares = 0;
  #max = 0;
  /** Exponentially smoothed envelope (average + deviation) across periods. */
  smoothed = 0;
  highWatermark = 0;

  constructor(now: number) {
    this.#since = now;
    this.#start = now;
  }

  set(value: number, now: number): void {
    const dt = now - this.#since;
    if (dt > 0) {
      this.#integral += this.#value * dt;
      this.#squares += this.#value * this.#value * dt;
    }
    this.#since = now;
    this.#value = value;
    if (value > this.#max) this.#max = value;
  }

  /** Ends a period: updates the statistics and starts the next period at the current value. */
  reset(now: number, smoothingCoefficient: number): void {
    this.set(this.#value, now);
    const duration = now - this.#start;
    this.highWatermark = Math.round(this.#max);
    if (duration > 0) {
      const average = this.#integral / duration;
      const deviation = Math.sqrt(Math.max(0, this.#squares / duration - average * average));
      const envelope = average + deviation;
      this.smoothed = Math.max(envelope, smoothingCoefficient * this.smoothed + (1 - smoothingCoefficient) * envelope);
    }
    this.#start = now;
    this.#integral = 0;
    this.#squares = 0;
    this.#max = this.#value;
  }
}

export interface AllocItem {
  lowerBound: number;
  upperBound: number;
  target: number;
}

/**
 * computeConcurrencyAllocation: allocations summing to `required`, each within its bounds
 * and otherwise proportional to its target (one fair proportion for all), found here by
 * bisection on that proportion.
 */
export function allocateConcurrency(required: number, items: readonly AllocItem[]): number[] {
  const low = items.reduce((n, i) => n + i.lowerBound, 0);
  const high = items.reduce((n, i) => n + i.upperBound, 0);
  if (low >= required) return items.map((i) => i.lowerBound);
  if (high <= required) return items.map((i) => i.upperBound);
  const targets = items.map((i) => Math.max(i.target, 0.001));
  const at = (p: number): number[] => items.map((i, k) => Math.min(i.upperBound, Math.max(i.lowerBound, p * targets[k]!)));
  const sum = (xs: number[]): number => xs.reduce((n, x) => n + x, 0);
  let lo = 0;
  let hi = Math.max(...items.map((i, k) => i.upperBound / targets[k]!));
  for (let n = 0; n < 100; n++) {
    const mid = (lo + hi) / 2;
    if (sum(at(mid)) < required) lo = mid;
    else hi = mid;
  }
  return at(hi);
}
