import {
  KeyExistsError,
  KeyNotFoundError,
  type KeyValue,
  RevisionMismatchError,
  type StorageBackend,
} from '../storage/backend.js';
import type { Cacher } from './cacher.js';
import { parseWithResourceVersion, toStoredJson, withResourceVersion } from './object-json.js';
import type { KubeObject } from './types.js';

export interface StoredObject {
  obj: KubeObject;
  rv: number;
  /** Full JSON with resourceVersion. */
  json: string;
}

/** Result of an update function: a new object, or `null` to leave the object as it is. */
export type TryUpdate = (current: KubeObject) => KubeObject | null | Promise<KubeObject | null>;

export class ConflictError extends Error {}
export class NotFoundError extends Error {}
export class AlreadyExistsError extends Error {}

/** How many times an update retries a compare-and-swap lost to a concurrent writer. */
const MAX_UPDATE_ATTEMPTS = 16;

/**
 * Reads and writes objects of one storage prefix: consistent reads from the backend, the
 * watch cache for lists and watches, and the read-modify-CAS loop of the real apiserver's
 * GuaranteedUpdate.
 */
export class ObjectStore {
  constructor(
    readonly backend: StorageBackend,
    readonly cacher: Cacher,
    /** Observes each storage call (operation, seconds) for etcd_request_duration_seconds. */
    private readonly observe: (operation: string, seconds: number) => void,
  ) {}

  async #timed<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await fn();
    } finally {
      this.observe(operation, (performance.now() - start) / 1000);
    }
  }

  async get(key: string): Promise<StoredObject | undefined> {
    const kv = await this.#timed('get', () => this.backend.get(key));
    if (!kv) return undefined;
    const json = withResourceVersion(kv.value, kv.modRevision);
    return { obj: JSON.parse(json) as KubeObject, rv: kv.modRevision, json };
  }

  async create(key: string, obj: KubeObject): Promise<StoredObject> {
    const stored = toStoredJson(obj);
    try {
      const rv = await this.#timed('create', () => this.backend.create(key, stored, obj));
      obj.metadata.resourceVersion = String(rv);
      return { obj, rv, json: withResourceVersion(stored, rv) };
    } catch (e) {
      if (e instanceof KeyExistsError) throw new AlreadyExistsError(key);
      throw e;
    }
  }

  /**
   * Applies `tryUpdate` to the current object and writes the result if it changed,
   * retrying on concurrent modification unless `preconditionRv` pins the version.
   * Returns the object after the update (or unchanged) and whether it was written.
   */
  async update(
    key: string,
    tryUpdate: TryUpdate,
    preconditionRv?: number,
  ): Promise<{ result: StoredObject; changed: boolean; deleted?: boolean }> {
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      // First try from the watch cache, as kube-apiserver's GuaranteedUpdate does: a stale
      // copy only costs a failed compare-and-swap, after which storage is read.
      const kv = (attempt === 0 ? this.#fromCache(key, preconditionRv) : undefined) ?? (await this.#timed('get', () => this.backend.get(key)));
      if (!kv) throw new NotFoundError(key);
      if (preconditionRv !== undefined && kv.modRevision !== preconditionRv) throw new ConflictError(key);
      const current = parseWithResourceVersion(kv.value, kv.modRevision);
      const next = await tryUpdate(current);
      const stored = next === null ? kv.value : toStoredJson(next);
      if (next === null || stored === kv.value) {
        // A no-op write is skipped, as the real apiserver does: no new resourceVersion, no event.
        return { result: { obj: current, rv: kv.modRevision, json: withResourceVersion(kv.value, kv.modRevision) }, changed: false };
      }
      try {
        const rv = await this.#timed('update', () => this.backend.update(key, stored, kv.modRevision, next));
        next.metadata.resourceVersion = String(rv);
        return { result: { obj: next, rv, json: withResourceVersion(stored, rv) }, changed: true };
      } catch (e) {
        if (e instanceof KeyNotFoundError) throw new NotFoundError(key);
        if (e instanceof RevisionMismatchError) {
          if (preconditionRv !== undefined) throw new ConflictError(key);
          continue;
        }
        throw e;
      }
    }
    throw new ConflictError(key);
  }

  #fromCache(key: string, preconditionRv: number | undefined): KeyValue | undefined {
    const cached = this.cacher.get(key);
    if (!cached || (preconditionRv !== undefined && cached.rv !== preconditionRv)) return undefined;
    return { key, value: cached.stored, modRevision: cached.rv };
  }

  /** Deletes the key if it is still at `expectedRv` (when given); returns the last state. */
  async delete(key: string, expectedRv?: number): Promise<StoredObject> {
    try {
      const { revision, prev } = await this.#timed('delete', () => this.backend.delete(key, expectedRv));
      const json = withResourceVersion(prev.value, revision);
      return { obj: JSON.parse(json) as KubeObject, rv: revision, json };
    } catch (e) {
      if (e instanceof KeyNotFoundError) throw new NotFoundError(key);
      if (e instanceof RevisionMismatchError) throw new ConflictError(key);
      throw e;
    }
  }
}
