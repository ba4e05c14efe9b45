import type { KeyValue } from './backend.js';

/** What the etcd client's thread is started with. */
export interface EtcdThreadData {
  endpoint: string;
}

/** From the sim's main thread to the etcd client's thread; `id` pairs a call with its answer. */
export type ToEtcd =
  | { t: 'create'; id: number; key: string; value: string }
  | { t: 'update'; id: number; key: string; value: string; expected: number }
  | { t: 'delete'; id: number; key: string; expected?: number }
  | { t: 'get'; id: number; key: string }
  | { t: 'range'; id: number; prefix: string }
  | { t: 'revision'; id: number }
  | { t: 'compact'; id: number; revision: number }
  | { t: 'watch'; watch: number; prefix: string; after: number }
  | { t: 'unwatch'; watch: number }
  | { t: 'stop' };

/** A failed call, as the main thread rebuilds it into backend.ts's errors. */
export type EtcdFailure =
  | { kind: 'exists'; key: string }
  | { kind: 'notFound'; key: string }
  | { kind: 'mismatch'; key: string; expected: number; actual: number }
  | { kind: 'compacted'; requested: number; compacted: number }
  | { kind: 'other'; message: string };

/**
 * A watch event. A put of exactly the value a create or update of this process wrote names
 * that call (`own`) instead of carrying the value back: the main thread still holds it.
 */
export type WireEvent =
  | { put: string; rev: number; created: boolean; own: number }
  | { put: string; rev: number; created: boolean; value: string }
  | { del: string; rev: number };

/** From the etcd client's thread back to the main thread. */
export type FromEtcd =
  | { t: 'revision'; id: number; revision: number }
  | { t: 'deleted'; id: number; revision: number; prev: KeyValue }
  | { t: 'kv'; id: number; kv: KeyValue | undefined }
  | { t: 'range'; id: number; kvs: KeyValue[]; revision: number }
  | { t: 'failed'; id: number; failure: EtcdFailure }
  | { t: 'events'; watch: number; events: WireEvent[] }
  | { t: 'watchFailed'; watch: number; failure: EtcdFailure }
  | { t: 'stats'; dbSizeBytes: number };
