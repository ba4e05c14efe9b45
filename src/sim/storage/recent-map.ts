/**
 * A map whose entries are kept for one to two periods, then dropped: two generations, the
 * older one dropped as a whole each period (no timer or timestamp per entry). For what one
 * thread remembers of its writes until the other answers about them (etcd-thread.ts,
 * etcd-worker.ts).
 */
export class RecentMap<K, V> {
  #young = new Map<K, V>();
  #old = new Map<K, V>();
  readonly #timer: NodeJS.Timeout;

  constructor(periodMs: number) {
    this.#timer = setInterval(() => {
      this.#old = this.#young;
      this.#young = new Map();
    }, periodMs);
    this.#timer.unref();
  }

  set(key: K, value: V): void {
    this.#young.set(key, value);
  }

  /**
   * Removes and returns `key`'s value, the younger generation's first, if `matches(value,
   * arg)` (always, without `matches`). `arg` rather than a closure: called once per watch
   * event, it allocates nothing.
   */
  take<A>(key: K, matches?: (value: V, arg: A) => boolean, arg?: A): V | undefined {
    return takeFrom(this.#young, key, matches, arg) ?? takeFrom(this.#old, key, matches, arg);
  }

  /** Drops `key` from both generations where `matches(value, arg)` (always, without `matches`). */
  delete<A>(key: K, matches?: (value: V, arg: A) => boolean, arg?: A): void {
    takeFrom(this.#young, key, matches, arg);
    takeFrom(this.#old, key, matches, arg);
  }

  close(): void {
    clearInterval(this.#timer);
    this.#young.clear();
    this.#old.clear();
  }
}

function takeFrom<K, V, A>(gen: Map<K, V>, key: K, matches: ((value: V, arg: A) => boolean) | undefined, arg: A | undefined): V | undefined {
  const v = gen.get(key);
  if (v === undefined || (matches && !matches(v, arg as A))) return undefined;
  gen.delete(key);
  return v;
}
