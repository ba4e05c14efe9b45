/**
 * A deduplicating work queue like client-go's: a key queued several times before a worker
 * takes it is processed once; a key being processed is queued again for after, never run
 * twice at once. `workers` keys are processed concurrently.
 */
export class WorkQueue {
  readonly #queue: string[] = [];
  #head = 0;
  readonly #queued = new Set<string>();
  readonly #active = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #running = 0;
  #stopped = false;

  constructor(
    private readonly workers: number,
    private readonly process: (key: string) => Promise<void>,
    private readonly onError: (key: string, err: unknown) => void = () => undefined,
  ) {}

  add(key: string): void {
    if (this.#stopped) return;
    if (this.#active.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (this.#queued.has(key)) return;
    this.#queued.add(key);
    this.#queue.push(key);
    this.#pump();
  }

  addAfter(key: string, ms: number): void {
    if (this.#stopped) return;
    const t = setTimeout(() => {
      this.#timers.delete(t);
      this.add(key);
    }, ms);
    t.unref();
    this.#timers.add(t);
  }

  get length(): number {
    return this.#queue.length - this.#head;
  }

  get idle(): boolean {
    return this.length === 0 && this.#running === 0;
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  #pump(): void {
    while (!this.#stopped && this.#running < this.workers && this.#head < this.#queue.length) {
      const key = this.#queue[this.#head++]!;
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue.splice(0, this.#head);
        this.#head = 0;
      }
      this.#queued.delete(key);
      this.#active.add(key);
      this.#running++;
      void this.process(key)
        .catch((e: unknown) => this.onError(key, e))
        .finally(() => {
          this.#running--;
          this.#active.delete(key);
          if (this.#dirty.delete(key)) this.add(key);
          this.#pump();
        });
    }
  }
}
