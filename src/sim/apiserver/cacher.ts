import type { BackendEvent, KeyValue, StorageBackend } from '../storage/backend.js';
import { parseWithResourceVersion, withResourceVersion } from './object-json.js';
import type { Labels, Selector } from './selectors.js';
import type { KubeObject } from './types.js';

/** One object as the cache holds it: its JSON and what selectors look at. */
export interface CachedObject {
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  /**
   * The object's JSON as storage holds it, without resourceVersion: the very string the
   * storage backend keeps (one copy, not two); objectJson() splices `rv` in when it is read.
   */
  readonly stored: string;
  readonly rv: number;
  readonly labels: Labels;
  readonly fields: Labels;
}

/** The object's full JSON, resourceVersion included (a fresh string each call). */
export function objectJson(o: CachedObject): string {
  return withResourceVersion(o.stored, o.rv);
}

/** The object parsed, resourceVersion included: a fresh copy the caller may change. */
export function parsedObject(o: CachedObject): KubeObject {
  return parseWithResourceVersion(o.stored, o.rv);
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface CacheEvent {
  readonly type: WatchEventType;
  readonly rv: number;
  /** New state; for DELETED the last state, with the deletion's resourceVersion. */
  readonly object: CachedObject;
  /** State before this event (undefined for ADDED). */
  readonly prev: CachedObject | undefined;
  /** Wall-clock ms when the cache saw it, for the history window. */
  readonly at: number;
  /**
   * The parsed object, present while a live event is dispatched (never stored): in-process
   * components read it instead of parsing the JSON again. Treat as read-only.
   */
  readonly parsed?: KubeObject;
}

export interface WatchFilter {
  namespace?: string;
  labels?: Selector;
  fields?: Selector;
}

export interface CacheWatcher {
  onEvent(ev: CacheEvent): void;
  /** The cache had to reset (lost its backend watch); the watch is over. */
  onTerminate(reason: string): void;
}

export interface WatchRegistration {
  close(): void;
}

/** Thrown when a requested resourceVersion is older than the cache's history. */
export class TooOldResourceVersionError extends Error {
  constructor(
    readonly requested: number,
    readonly oldest: number,
  ) {
    super(`too old resource version: ${requested} (${oldest})`);
  }
}

export interface CacherOptions {
  /** Events younger than this are kept for watches that resume from an older version. */
  historyWindowMs: number;
  /** At most this many events are kept. */
  historyMax: number;
  /** Computes the selectable fields of an object (metadata.name/namespace are added). */
  fieldsOf(obj: KubeObject): Record<string, string>;
  now(): number;
}

interface Waiter {
  rev: number;
  resolve: () => void;
}

interface Registered {
  filter: WatchFilter;
  sink: CacheWatcher;
  /** Events at or below this revision were already delivered (or predate the watch). */
  after: number;
  closed: boolean;
}

/**
 * The apiserver's watch cache for one storage prefix (`/registry/pods/`): the current
 * objects, a bounded history of events for watches that resume from a resourceVersion, and
 * lists at the current or a recent revision. A WatchHub feeds it from the backend.
 */
export class Cacher {
  readonly prefix: string;
  readonly #backend: StorageBackend;
  readonly #opts: CacherOptions;
  readonly #objects = new Map<string, CachedObject>();
  #sortedKeys: string[] | null = null;
  #history: CacheEvent[] = [];
  #historyStart = 0;
  /** Revision the cache is current at: every event up to it has been applied. */
  #rev = 0;
  /** Oldest revision a watch may resume from without a 410. */
  #oldestResumable = 0;
  /** Events at or below this revision are already in the loaded snapshot. */
  #loadedAt = 0;
  readonly #watchers = new Set<Registered>();
  #ready: Promise<void>;
  #markReady!: () => void;
  #waiters: Waiter[] = [];
  #stopped = false;

  constructor(prefix: string, backend: StorageBackend, opts: CacherOptions) {
    this.prefix = prefix;
    this.#backend = backend;
    this.#opts = opts;
    this.#ready = new Promise((r) => (this.#markReady = r));
  }

  get revision(): number {
    return this.#rev;
  }

  get size(): number {
    return this.#objects.size;
  }

  ready(): Promise<void> {
    return this.#ready;
  }

  /** Replaces the contents with a snapshot of storage taken at `revision`. */
  load(kvs: readonly KeyValue[], revision: number): void {
    this.#objects.clear();
    this.#sortedKeys = null;
    for (const kv of kvs) {
      const obj = JSON.parse(kv.value) as KubeObject;
      this.#objects.set(kv.key, this.#cached(kv.key, obj, kv.value, kv.modRevision));
    }
    this.#history = [];
    this.#historyStart = 0;
    this.#rev = revision;
    this.#loadedAt = revision;
    this.#oldestResumable = revision;
    this.#markReady();
    this.#wake();
  }

  /** The hub lost its backend watch: end every watcher (they resume or relist) until reloaded. */
  terminate(reason: string): void {
    for (const w of this.#watchers) {
      w.closed = true;
      w.sink.onTerminate(`watch cache for ${this.prefix} was reset: ${reason}`);
    }
    this.#watchers.clear();
    this.#ready = new Promise((r) => (this.#markReady = r));
  }

  /** Storage has reached `revision` (events for other prefixes count too). */
  progress(revision: number): void {
    if (revision > this.#rev) {
      this.#rev = revision;
      this.#wake();
    }
  }

  #cached(key: string, obj: KubeObject, stored: string, rv: number): CachedObject {
    const namespace = obj.metadata.namespace ?? '';
    const name = obj.metadata.name ?? '';
    const fields = this.#opts.fieldsOf(obj);
    fields['metadata.name'] = name;
    fields['metadata.namespace'] = namespace;
    return { key, namespace, name, stored, rv, labels: obj.metadata.labels ?? {}, fields };
  }

  /** Applies storage events for this prefix, in revision order. */
  apply(events: readonly BackendEvent[]): void {
    if (this.#stopped) return;
    const now = this.#opts.now();
    for (const e of events) {
      if (e.modRevision <= this.#loadedAt) continue;
      const prev = this.#objects.get(e.key);
      let ev: CacheEvent;
      if (e.type === 'put') {
        const parsed = (e.decoded as KubeObject | undefined) ?? (JSON.parse(e.value) as KubeObject);
        parsed.metadata.resourceVersion = String(e.modRevision);
        const object = this.#cached(e.key, parsed, e.value, e.modRevision);
        if (!prev) this.#sortedKeys = null;
        this.#objects.set(e.key, object);
        ev = { type: prev ? 'MODIFIED' : 'ADDED', rv: e.modRevision, object, prev, at: now, parsed };
      } else {
        if (!prev) continue; // deleted before the cache saw it: nothing a client could know
        this.#objects.delete(e.key);
        this.#sortedKeys = null;
        // The last state, stamped with the deletion's resourceVersion as the real cache does.
        const object: CachedObject = { ...prev, rv: e.modRevision };
        const parsed = parsedObject(object);
        ev = { type: 'DELETED', rv: e.modRevision, object, prev, at: now, parsed };
      }
      this.#rev = e.modRevision;
      this.#record(ev);
      for (const w of this.#watchers) {
        if (!w.closed) dispatch(w, ev);
      }
    }
    this.#wake();
  }

  #record(ev: CacheEvent): void {
    // The stored copy drops the parsed object so history holds only JSON text.
    const { parsed: _p, ...stored } = ev;
    this.#history.push(stored);
    const now = ev.at;
    let start = this.#historyStart;
    const len = this.#history.length;
    while (
      start < len &&
      (len - start > this.#opts.historyMax || now - this.#history[start]!.at > this.#opts.historyWindowMs)
    ) {
      this.#oldestResumable = this.#history[start]!.rv;
      start++;
    }
    this.#historyStart = start;
    // Compact the array in halves so trimming stays amortised O(1).
    if (start > 1024 && start * 2 > len) {
      this.#history = this.#history.slice(start);
      this.#historyStart = 0;
    }
  }

  #wake(): void {
    if (this.#waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.#waiters) {
      if (this.#rev >= w.rev) w.resolve();
      else still.push(w);
    }
    this.#waiters = still;
  }

  /** Resolves once the cache has applied `rev`, or rejects after `timeoutMs`. */
  async waitFor(rev: number, timeoutMs: number): Promise<void> {
    await this.#ready;
    if (this.#rev >= rev) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.resolve !== done);
        reject(new Error(`cache did not reach revision ${rev} within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.#waiters.push({ rev, resolve: done });
    });
  }

  /** Waits until the cache holds everything the backend has committed (a consistent read). */
  async catchUp(timeoutMs = 10_000): Promise<void> {
    await this.#ready;
    const rev = await this.#backend.currentRevision();
    await this.waitFor(rev, timeoutMs);
  }

  get(key: string): CachedObject | undefined {
    return this.#objects.get(key);
  }

  /** Objects under `keyPrefix` matching the filter, sorted by key, at the current revision. */
  listCurrent(keyPrefix: string, filter: WatchFilter): { items: CachedObject[]; rev: number } {
    const items: CachedObject[] = [];
    for (const key of this.#under(keyPrefix)) {
      const o = this.#objects.get(key)!;
      if (matches(o, filter)) items.push(o);
    }
    return { items, rev: this.#rev };
  }

  /**
   * Objects under `keyPrefix` as they were at revision `rev` (sorted by key), reconstructed
   * by undoing the history after it. Throws TooOldResourceVersionError beyond the window.
   */
  listAt(keyPrefix: string, filter: WatchFilter, rev: number): { items: CachedObject[]; rev: number } {
    if (rev >= this.#rev) return this.listCurrent(keyPrefix, filter);
    if (rev < this.#oldestResumable) throw new TooOldResourceVersionError(rev, this.#oldestResumable);
    const atRev = new Map<string, CachedObject | null>();
    for (let i = this.#history.length - 1; i >= this.#historyStart; i--) {
      const ev = this.#history[i]!;
      if (ev.rv <= rev) break;
      if (!ev.object.key.startsWith(keyPrefix)) continue;
      atRev.set(ev.object.key, ev.prev ?? null);
    }
    const keys = new Set<string>();
    for (const key of this.#under(keyPrefix)) keys.add(key);
    for (const [key, o] of atRev) if (o) keys.add(key);
    const items: CachedObject[] = [];
    for (const key of [...keys].sort()) {
      const o = atRev.has(key) ? atRev.get(key) : this.#objects.get(key);
      if (o && matches(o, filter)) items.push(o);
    }
    return { items, rev };
  }

  /**
   * Starts a watch. `from` undefined: synthetic ADDED events for the current state, then
   * changes. `from` a revision: every change after it (TooOldResourceVersionError if it is
   * older than the history window).
   */
  watch(filter: WatchFilter, from: number | undefined, sink: CacheWatcher): WatchRegistration {
    const reg: Registered = { filter, sink, after: from ?? this.#rev, closed: false };
    if (from === undefined) {
      const snapshot = this.listCurrent(filter.namespace !== undefined ? this.#nsPrefix(filter.namespace) : this.prefix, filter);
      for (const o of snapshot.items) {
        sink.onEvent({ type: 'ADDED', rv: o.rv, object: o, prev: undefined, at: 0 });
        if (reg.closed) return { close: () => undefined };
      }
    } else if (from < this.#rev) {
      if (from < this.#oldestResumable) throw new TooOldResourceVersionError(from, this.#oldestResumable);
      for (let i = this.#historyStart; i < this.#history.length; i++) {
        const ev = this.#history[i]!;
        if (ev.rv > from) dispatch(reg, ev);
        if (reg.closed) return { close: () => undefined };
      }
    }
    this.#watchers.add(reg);
    return {
      close: () => {
        reg.closed = true;
        this.#watchers.delete(reg);
      },
    };
  }

  get watcherCount(): number {
    return this.#watchers.size;
  }

  stop(): void {
    this.#stopped = true;
    for (const w of this.#watchers) w.closed = true;
    this.#watchers.clear();
  }

  #nsPrefix(namespace: string): string {
    return `${this.prefix}${namespace}/`;
  }

  #sorted(): string[] {
    if (!this.#sortedKeys) this.#sortedKeys = [...this.#objects.keys()].sort();
    return this.#sortedKeys;
  }

  /**
   * The keys under a prefix, in order: found by binary search in the sorted keys, as the
   * real watch cache's ordered index finds a namespace's objects without walking every
   * object of the resource (a page of one namespace's 3,000 pods among 150,000).
   */
  *#under(keyPrefix: string): Generator<string> {
    const keys = this.#sorted();
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid]! < keyPrefix) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < keys.length && keys[i]!.startsWith(keyPrefix); i++) yield keys[i]!;
  }
}

function matches(o: CachedObject, f: WatchFilter): boolean {
  if (f.namespace !== undefined && o.namespace !== f.namespace) return false;
  if (f.labels && !f.labels.empty && !f.labels.matches(o.labels)) return false;
  if (f.fields && !f.fields.empty && !f.fields.matches(o.fields)) return false;
  return true;
}

/** Delivers an event as this watcher sees it: objects moving in or out of its selector. */
function dispatch(w: Registered, ev: CacheEvent): void {
  if (ev.rv <= w.after) return;
  const now = matches(ev.object, w.filter);
  if (ev.type === 'MODIFIED') {
    const before = ev.prev ? matches(ev.prev, w.filter) : false;
    if (now && before) w.sink.onEvent(ev);
    else if (now) w.sink.onEvent({ ...ev, type: 'ADDED' });
    // Leaving the selector: the previous state, stamped with this event's resourceVersion (cacheWatcher).
    else if (before) w.sink.onEvent({ ...ev, type: 'DELETED', object: { ...ev.prev!, rv: ev.rv }, parsed: undefined });
    return;
  }
  if (now) w.sink.onEvent(ev);
}
