import {
  type BackendEvent,
  type BackendWatch,
  CompactedError,
  KeyExistsError,
  KeyNotFoundError,
  type KeyValue,
  type RangeResult,
  RevisionMismatchError,
  type StorageBackend,
  type WatchHandlers,
} from './backend.js';

interface Watcher {
  prefix: string;
  handlers: WatchHandlers;
  closed: boolean;
}

/** How many events the memory backend keeps for watches that resume from an older revision. */
const DEFAULT_HISTORY = 4096;

/**
 * An in-process store with etcd's semantics: one global revision, CAS on mod revision,
 * prefix ranges and watches. Events are delivered synchronously, before the write's promise
 * resolves, so a reader that learns of a write through its result also sees it in a watch.
 */
export class MemoryBackend implements StorageBackend {
  readonly kind = 'memory' as const;
  #revision = 1;
  // Keys are grouped by their resource prefix (`/registry/pods/`) so ranges do not scan
  // every object in the store.
  readonly #buckets = new Map<string, Map<string, KeyValue>>();
  readonly #watchers = new Set<Watcher>();
  readonly #history: BackendEvent[] = [];
  readonly #historyLimit: number;
  #closed = false;

  constructor(options: { historyLimit?: number } = {}) {
    this.#historyLimit = options.historyLimit ?? DEFAULT_HISTORY;
  }

  async create(key: string, value: string, decoded?: unknown): Promise<number> {
    const bucket = this.#bucketFor(key, true);
    if (bucket.has(key)) throw new KeyExistsError(key);
    const rev = ++this.#revision;
    bucket.set(key, { key, value, modRevision: rev });
    this.#emit({ type: 'put', key, value, modRevision: rev, created: true, decoded });
    return rev;
  }

  async update(key: string, value: string, expectedModRevision: number, decoded?: unknown): Promise<number> {
    const bucket = this.#bucketFor(key, false);
    const prev = bucket?.get(key);
    if (!bucket || !prev) throw new KeyNotFoundError(key);
    if (prev.modRevision !== expectedModRevision) {
      throw new RevisionMismatchError(key, expectedModRevision, prev.modRevision);
    }
    const rev = ++this.#revision;
    bucket.set(key, { key, value, modRevision: rev });
    this.#emit({ type: 'put', key, value, modRevision: rev, created: false, decoded });
    return rev;
  }

  async delete(key: string, expectedModRevision?: number): Promise<{ revision: number; prev: KeyValue }> {
    const bucket = this.#bucketFor(key, false);
    const prev = bucket?.get(key);
    if (!bucket || !prev) throw new KeyNotFoundError(key);
    if (expectedModRevision !== undefined && prev.modRevision !== expectedModRevision) {
      throw new RevisionMismatchError(key, expectedModRevision, prev.modRevision);
    }
    bucket.delete(key);
    const rev = ++this.#revision;
    this.#emit({ type: 'delete', key, modRevision: rev, prevValue: prev.value });
    return { revision: rev, prev };
  }

  async get(key: string): Promise<KeyValue | undefined> {
    return this.#bucketFor(key, false)?.get(key);
  }

  async range(prefix: string): Promise<RangeResult> {
    const kvs: KeyValue[] = [];
    const bucketKey = bucketOf(prefix);
    const buckets =
      bucketKey !== undefined
        ? [this.#buckets.get(bucketKey)]
        : [...this.#buckets.entries()].filter(([k]) => k.startsWith(prefix)).map(([, b]) => b);
    for (const bucket of buckets) {
      if (!bucket) continue;
      for (const kv of bucket.values()) if (kv.key.startsWith(prefix)) kvs.push(kv);
    }
    kvs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { kvs, revision: this.#revision };
  }

  async currentRevision(): Promise<number> {
    return this.#revision;
  }

  watch(prefix: string, afterRevision: number, handlers: WatchHandlers): BackendWatch {
    const watcher: Watcher = { prefix, handlers, closed: false };
    if (afterRevision < this.#revision) {
      const oldest = this.#history.length > 0 ? this.#history[0]!.modRevision : this.#revision + 1;
      if (afterRevision + 1 < oldest) {
        queueMicrotask(() => handlers.onError(new CompactedError(afterRevision + 1, oldest - 1)));
        return { close: () => undefined };
      }
      const replay = this.#history.filter((e) => e.modRevision > afterRevision && e.key.startsWith(prefix));
      if (replay.length > 0) handlers.onEvents(replay);
    }
    this.#watchers.add(watcher);
    return {
      close: () => {
        watcher.closed = true;
        this.#watchers.delete(watcher);
      },
    };
  }

  stats(): { dbSizeBytes?: number } {
    return {};
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#watchers.clear();
  }

  #bucketFor(key: string, create: true): Map<string, KeyValue>;
  #bucketFor(key: string, create: false): Map<string, KeyValue> | undefined;
  #bucketFor(key: string, create: boolean): Map<string, KeyValue> | undefined {
    if (this.#closed) throw new Error('storage is closed');
    const b = bucketOf(key);
    if (b === undefined) throw new Error(`invalid storage key ${key}`);
    let bucket = this.#buckets.get(b);
    if (!bucket && create) {
      bucket = new Map();
      this.#buckets.set(b, bucket);
    }
    return bucket;
  }

  #emit(event: BackendEvent): void {
    // History outlives the write; it keeps the text only.
    this.#history.push(event.type === 'put' && event.decoded !== undefined ? { ...event, decoded: undefined } : event);
    // Trim in halves so a write costs amortised O(1).
    if (this.#history.length > 2 * this.#historyLimit) this.#history.splice(0, this.#history.length - this.#historyLimit);
    for (const w of this.#watchers) {
      if (!w.closed && event.key.startsWith(w.prefix)) w.handlers.onEvents([event]);
    }
  }
}

/** `/registry/pods/ns/name` -> `/registry/pods/`; undefined when the key is shallower. */
function bucketOf(key: string): string | undefined {
  const first = key.indexOf('/', 1);
  if (first < 0) return undefined;
  const second = key.indexOf('/', first + 1);
  if (second < 0) return undefined;
  return key.slice(0, second + 1);
}
