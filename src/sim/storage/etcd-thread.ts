import type { Worker } from 'node:worker_threads';
import { Batcher, startWorker } from '../threads.js';
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
import type { EtcdFailure, EtcdThreadData, FromEtcd, ToEtcd } from './etcd-thread-protocol.js';
import { RecentMap } from './recent-map.js';

/**
 * How long this thread keeps a write's text and object for its watch event: longer than the
 * etcd thread matches events to writes (15 to 30 s there), so every id it names is here.
 */
const OWN_WRITE_MS = 60_000;

type Answer = { resolve: (m: FromEtcd) => void; reject: (e: Error) => void };

function toError(f: EtcdFailure): Error {
  switch (f.kind) {
    case 'exists':
      return new KeyExistsError(f.key);
    case 'notFound':
      return new KeyNotFoundError(f.key);
    case 'mismatch':
      return new RevisionMismatchError(f.key, f.expected, f.actual);
    case 'compacted':
      return new CompactedError(f.requested, f.compacted);
    case 'other':
      return new Error(f.message);
  }
}

/**
 * Storage in a real etcd, its client in a worker thread (etcd-worker.ts runs an EtcdBackend
 * there). This thread only sends calls and receives answers and watch events, in batches.
 * A watch event of this process's own write comes back as the write's id: the event is
 * rebuilt from the text and object kept here, so neither is copied back nor parsed again
 * (the memory store hands its watchers the writer's object the same way).
 */
export class EtcdThreadBackend implements StorageBackend {
  readonly kind = 'etcd' as const;
  readonly #worker: Worker;
  readonly #out: Batcher<ToEtcd>;
  readonly #calls = new Map<number, Answer>();
  readonly #watches = new Map<number, WatchHandlers>();
  /** Each write's text and object by call id, until its watch event names it. */
  readonly #own = new RecentMap<number, { value: string; decoded: unknown }>(OWN_WRITE_MS);
  #next = 0;
  #dbSize: number | undefined;
  #dead: string | undefined;
  readonly #exited: Promise<void>;

  constructor(endpoint: string) {
    const data: EtcdThreadData = { endpoint };
    this.#worker = startWorker(import.meta.url, 'etcd-worker', data);
    this.#out = new Batcher((batch) => this.#worker.postMessage(batch));
    this.#worker.on('message', (batch: FromEtcd[]) => {
      for (const m of batch) this.#receive(m);
    });
    let error = '';
    this.#worker.on('error', (e) => (error = e.message));
    this.#exited = new Promise((resolve) =>
      this.#worker.once('exit', (code) => {
        // Whatever was asked of a thread that is gone fails, as calls to a dead etcd do.
        this.#dead = `the etcd client thread ended (${error || `exit code ${code}`})`;
        for (const a of this.#calls.values()) a.reject(new Error(this.#dead));
        this.#calls.clear();
        for (const w of this.#watches.values()) w.onError(new Error(this.#dead));
        this.#watches.clear();
        resolve();
      }),
    );
  }

  #call(make: (id: number) => ToEtcd): Promise<FromEtcd> {
    if (this.#dead) return Promise.reject(new Error(this.#dead));
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#calls.set(id, { resolve, reject });
      this.#out.post(make(id));
    });
  }

  #receive(m: FromEtcd): void {
    switch (m.t) {
      case 'events': {
        const handlers = this.#watches.get(m.watch);
        const events: BackendEvent[] = [];
        for (const e of m.events) {
          if ('del' in e) {
            events.push({ type: 'delete', key: e.del, modRevision: e.rev });
          } else if ('own' in e) {
            const w = this.#own.take(e.own);
            if (!w) {
              // Cannot happen while the two threads' retention times hold; if it does, the
              // watch ends and its caches reload from storage rather than miss an event.
              this.#watches.delete(m.watch);
              handlers?.onError(new Error(`etcd client thread: a watch event names write ${e.own}, no longer held`));
              return;
            }
            events.push({ type: 'put', key: e.put, value: w.value, modRevision: e.rev, created: e.created, decoded: w.decoded });
          } else {
            events.push({ type: 'put', key: e.put, value: e.value, modRevision: e.rev, created: e.created });
          }
        }
        if (handlers && events.length > 0) handlers.onEvents(events);
        return;
      }
      case 'watchFailed': {
        const handlers = this.#watches.get(m.watch);
        this.#watches.delete(m.watch);
        handlers?.onError(toError(m.failure));
        return;
      }
      case 'stats':
        this.#dbSize = m.dbSizeBytes;
        return;
      default: {
        const a = this.#calls.get(m.id);
        this.#calls.delete(m.id);
        if (m.t === 'failed') {
          this.#own.delete(m.id);
          a?.reject(toError(m.failure));
        } else a?.resolve(m);
      }
    }
  }

  async create(key: string, value: string, decoded?: unknown): Promise<number> {
    const m = await this.#call((id) => {
      this.#own.set(id, { value, decoded });
      return { t: 'create', id, key, value };
    });
    return m.t === 'revision' ? m.revision : unexpected(m);
  }

  async update(key: string, value: string, expectedModRevision: number, decoded?: unknown): Promise<number> {
    const m = await this.#call((id) => {
      this.#own.set(id, { value, decoded });
      return { t: 'update', id, key, value, expected: expectedModRevision };
    });
    return m.t === 'revision' ? m.revision : unexpected(m);
  }

  async delete(key: string, expectedModRevision?: number): Promise<{ revision: number; prev: KeyValue }> {
    const m = await this.#call((id) => (expectedModRevision === undefined ? { t: 'delete', id, key } : { t: 'delete', id, key, expected: expectedModRevision }));
    return m.t === 'deleted' ? { revision: m.revision, prev: m.prev } : unexpected(m);
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const m = await this.#call((id) => ({ t: 'get', id, key }));
    return m.t === 'kv' ? m.kv : unexpected(m);
  }

  async range(prefix: string): Promise<RangeResult> {
    const m = await this.#call((id) => ({ t: 'range', id, prefix }));
    return m.t === 'range' ? { kvs: m.kvs, revision: m.revision } : unexpected(m);
  }

  async currentRevision(): Promise<number> {
    const m = await this.#call((id) => ({ t: 'revision', id }));
    return m.t === 'revision' ? m.revision : unexpected(m);
  }

  /** Discards history older than `revision`, as kube-apiserver's periodic compaction does. */
  async compact(revision: number): Promise<void> {
    await this.#call((id) => ({ t: 'compact', id, revision }));
  }

  watch(prefix: string, afterRevision: number, handlers: WatchHandlers): BackendWatch {
    const watch = this.#next++;
    if (this.#dead) {
      const why = this.#dead;
      queueMicrotask(() => handlers.onError(new Error(why)));
      return { close: () => undefined };
    }
    this.#watches.set(watch, handlers);
    this.#out.post({ t: 'watch', watch, prefix, after: afterRevision });
    return {
      close: () => {
        if (!this.#watches.delete(watch)) return;
        if (!this.#dead) this.#out.post({ t: 'unwatch', watch });
      },
    };
  }

  stats(): { dbSizeBytes?: number } {
    return this.#dbSize === undefined ? {} : { dbSizeBytes: this.#dbSize };
  }

  /** Closes the client and ends its thread (ended after 5 s if it has not). */
  async close(): Promise<void> {
    if (!this.#dead) {
      this.#out.post({ t: 'stop' });
      this.#out.flush();
    }
    const timer = setTimeout(() => void this.#worker.terminate(), 5000);
    await this.#exited;
    clearTimeout(timer);
    this.#own.close();
  }
}

function unexpected(m: FromEtcd): never {
  throw new Error(`etcd client thread: unexpected answer ${m.t}`);
}
