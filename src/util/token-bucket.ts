interface Waiter {
  grant(): void;
  reject(reason: unknown): void;
  signal: AbortSignal | undefined;
}

/**
 * A token bucket like client-go's flowcontrol rate limiter: `qps` tokens per second, at
 * most `burst` saved up. `take()` resolves when a token is available and reports how long
 * the caller waited, so that wait can be measured apart from the request it delays.
 * qps <= 0 means no limit. A wait ends early, rejecting with the signal's reason, when the
 * caller's signal aborts: a component that stops must not keep queued requests alive.
 */
export class TokenBucket {
  #tokens: number;
  #last: number;
  #queue: Waiter[] = [];
  /**
   * Waiters by signal, one abort listener per signal: thousands of requests queue behind
   * one client's signal, and EventTarget makes each added listener cost O(listeners).
   */
  readonly #bySignal = new Map<AbortSignal, Set<Waiter>>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly qps: number,
    readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#tokens = Math.max(1, burst);
    this.#last = now();
  }

  get unlimited(): boolean {
    return this.qps <= 0;
  }

  #refill(): void {
    const t = this.now();
    this.#tokens = Math.min(Math.max(1, this.burst), this.#tokens + ((t - this.#last) / 1000) * this.qps);
    this.#last = t;
  }

  /** Takes a token, waiting for one if needed; resolves to the milliseconds waited. */
  take(signal?: AbortSignal): Promise<number> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.unlimited) return Promise.resolve(0);
    this.#refill();
    if (this.#queue.length === 0 && this.#tokens >= 1) {
      this.#tokens -= 1;
      return Promise.resolve(0);
    }
    const start = this.now();
    return new Promise<number>((resolve, reject) => {
      const waiter: Waiter = { grant: () => resolve(this.now() - start), reject, signal };
      this.#queue.push(waiter);
      if (signal) this.#track(signal, waiter);
      this.#schedule();
    });
  }

  /** Tokens available right now (fractional). */
  get available(): number {
    this.#refill();
    return this.#tokens;
  }

  /** Number of callers waiting for a token. */
  get waiting(): number {
    return this.#queue.length;
  }

  #track(signal: AbortSignal, waiter: Waiter): void {
    let set = this.#bySignal.get(signal);
    if (!set) {
      set = new Set();
      this.#bySignal.set(signal, set);
      signal.addEventListener('abort', () => this.#abort(signal), { once: true });
    }
    set.add(waiter);
  }

  #abort(signal: AbortSignal): void {
    const set = this.#bySignal.get(signal);
    this.#bySignal.delete(signal);
    if (!set) return;
    this.#queue = this.#queue.filter((w) => !set.has(w));
    for (const w of set) w.reject(signal.reason);
    if (this.#queue.length === 0 && this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #schedule(): void {
    if (this.#timer) return;
    this.#refill();
    const wait = this.#tokens >= 1 ? 0 : ((1 - this.#tokens) / this.qps) * 1000;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#refill();
      while (this.#queue.length > 0 && this.#tokens >= 1) {
        this.#tokens -= 1;
        const w = this.#queue.shift()!;
        // The signal's listener stays (once) while the signal lives; only the set shrinks.
        if (w.signal) this.#bySignal.get(w.signal)?.delete(w);
        w.grant();
      }
      if (this.#queue.length > 0) this.#schedule();
    }, Math.max(0, Math.ceil(wait)));
  }
}
