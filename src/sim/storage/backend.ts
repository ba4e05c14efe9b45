/**
 * The key-value contract the simulated apiserver stores objects through.
 *
 * It mirrors the subset of etcd v3 the real kube-apiserver relies on: one global revision
 * that every write increments, compare-and-swap on a key's mod revision, prefix ranges and a
 * watch that resumes after a revision. Values are the object's JSON text; a key's mod
 * revision is the object's resourceVersion.
 */

export interface KeyValue {
  key: string;
  value: string;
  modRevision: number;
}

export type BackendEvent =
  | {
      type: 'put';
      key: string;
      value: string;
      modRevision: number;
      created: boolean;
      /** The writer's decoded form of `value`, when the store is in-process (saves a parse). */
      decoded?: unknown;
    }
  /** `prevValue` is the deleted value when the store has it at hand (watchers keep their own). */
  | { type: 'delete'; key: string; modRevision: number; prevValue?: string };

export interface RangeResult {
  kvs: KeyValue[];
  /** The store revision the range was read at. */
  revision: number;
}

export interface BackendWatch {
  close(): void;
}

export interface WatchHandlers {
  /** Events in revision order; several events of one transaction share a revision. */
  onEvents(events: BackendEvent[]): void;
  /** The watch ended and cannot continue (for example the start revision was compacted). */
  onError(err: Error): void;
}

export class KeyExistsError extends Error {
  constructor(readonly key: string) {
    super(`key ${key} already exists`);
  }
}

export class KeyNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`key ${key} not found`);
  }
}

/** Compare-and-swap failed: the key was modified after `expected`. */
export class RevisionMismatchError extends Error {
  constructor(
    readonly key: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`key ${key} is at revision ${actual}, expected ${expected}`);
  }
}

export class CompactedError extends Error {
  constructor(
    readonly requested: number,
    readonly compacted: number,
  ) {
    super(`revision ${requested} has been compacted (oldest available ${compacted + 1})`);
  }
}

export interface StorageBackend {
  readonly kind: 'etcd' | 'memory';
  /**
   * Stores `value` at `key` only if the key does not exist; returns the new revision.
   * `decoded` is the caller's object form of `value`; an in-process store may hand it to
   * watchers instead of the text, so the caller must not change it afterwards.
   */
  create(key: string, value: string, decoded?: unknown): Promise<number>;
  /** Replaces `value` only if the key's mod revision is still `expectedModRevision`. */
  update(key: string, value: string, expectedModRevision: number, decoded?: unknown): Promise<number>;
  /** Deletes the key, optionally only if its mod revision is `expectedModRevision`. */
  delete(key: string, expectedModRevision?: number): Promise<{ revision: number; prev: KeyValue }>;
  get(key: string): Promise<KeyValue | undefined>;
  /** Every key under `prefix` at the current revision, sorted by key. */
  range(prefix: string): Promise<RangeResult>;
  currentRevision(): Promise<number>;
  /** Events for keys under `prefix` with a revision greater than `afterRevision`. */
  watch(prefix: string, afterRevision: number, handlers: WatchHandlers): BackendWatch;
  /** Counts and sizes for `apiserver_storage_*` metrics; cheap. */
  stats(): { dbSizeBytes?: number };
  close(): Promise<void>;
}
