import type { BackendEvent, BackendWatch, StorageBackend } from '../storage/backend.js';
import type { Cacher } from './cacher.js';

const ROOT = '/registry/';

/**
 * Feeds every watch cache of one storage backend from a single backend watch on
 * `/registry/`, as the real apiserver's caches share one etcd client. Because every event
 * passes through here, each cache learns the backend's revision even when its own prefix is
 * quiet, so a consistent read (wait until the cache has the latest revision) never stalls.
 */
export class WatchHub {
  readonly #cachers: Cacher[] = [];
  #watch: BackendWatch | undefined;
  #stopped = false;
  #generation = 0;

  constructor(
    private readonly backend: StorageBackend,
    private readonly onError: (err: Error) => void = () => undefined,
  ) {}

  add(cacher: Cacher): void {
    this.#cachers.push(cacher);
  }

  async start(): Promise<void> {
    const generation = ++this.#generation;
    // Each cache loads its own snapshot; the watch starts below the oldest of them and each
    // cache skips what its snapshot already holds.
    const snapshots = await Promise.all(this.#cachers.map((c) => this.backend.range(c.prefix)));
    if (this.#stopped || generation !== this.#generation) return;
    let from = Infinity;
    this.#cachers.forEach((c, i) => {
      c.load(snapshots[i]!.kvs, snapshots[i]!.revision);
      from = Math.min(from, snapshots[i]!.revision);
    });
    this.#watch = this.backend.watch(ROOT, from === Infinity ? 0 : from, {
      onEvents: (events) => this.#dispatch(events),
      onError: (err) => this.#restart(err),
    });
  }

  stop(): void {
    this.#stopped = true;
    this.#watch?.close();
  }

  #dispatch(events: BackendEvent[]): void {
    let last = 0;
    for (const c of this.#cachers) {
      const mine = events.filter((e) => e.key.startsWith(c.prefix));
      if (mine.length > 0) c.apply(mine);
    }
    for (const e of events) if (e.modRevision > last) last = e.modRevision;
    for (const c of this.#cachers) c.progress(last);
  }

  #restart(err: Error): void {
    if (this.#stopped) return;
    this.onError(err);
    this.#watch?.close();
    for (const c of this.#cachers) c.terminate(err.message);
    void this.start().catch((e: unknown) => this.#retryLater(e));
  }

  #retryLater(e: unknown): void {
    if (this.#stopped) return;
    this.onError(e instanceof Error ? e : new Error(String(e)));
    setTimeout(() => void this.start().catch((x: unknown) => this.#retryLater(x)), 1000).unref();
  }
}
