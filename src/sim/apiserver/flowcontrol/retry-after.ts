const MAX_RETRY_AFTER = 32;

/**
 * The Retry-After a rejected request is told, per priority level (flowcontrol's
 * droppedRequestsTracker): 1 s, doubled (up to 32 s) while the level keeps dropping at
 * least 3 requests per second of the current value, lowered by one when drops are rare.
 */
export class RetryAfterTracker {
  readonly #levels = new Map<string, LevelDrops>();

  constructor(private readonly nowSeconds: () => number) {}

  recordDropped(level: string): void {
    let l = this.#levels.get(level);
    if (!l) this.#levels.set(level, (l = new LevelDrops()));
    l.record(this.nowSeconds());
  }

  retryAfter(level: string): number {
    return this.#levels.get(level)?.retryAfter ?? 1;
  }
}

class LevelDrops {
  retryAfter = 1;
  #updatedAt = 0;
  #current = 0;
  #count = 0;
  readonly #history: { second: number; count: number }[] = [];

  record(second: number): void {
    if (second === this.#current) {
      this.#count++;
      return;
    }
    this.#history.push({ second: this.#current, count: this.#count });
    const keep = Math.min(2 * this.retryAfter, MAX_RETRY_AFTER);
    while (this.#history.length > 0 && second - this.#history[0]!.second > keep) this.#history.shift();
    this.#current = second;
    this.#count = 1;
    let dropped = 0;
    for (let i = this.#history.length - 1; i >= 0; i--) {
      const h = this.#history[i]!;
      if (second - h.second > this.retryAfter) break;
      if (h.second < second) dropped += h.count;
    }
    if (second - this.#updatedAt >= this.retryAfter && dropped >= 3 * this.retryAfter) {
      this.retryAfter = Math.min(this.retryAfter * 2, MAX_RETRY_AFTER);
      this.#updatedAt = second;
    } else if (dropped < this.retryAfter && this.retryAfter > 1) {
      this.retryAfter--;
    }
  }
}
