import { noop } from 'cockatiel';
import { Etcd3, type IKeyValue, type IResponseOp, type Watcher } from 'etcd3';
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

/** Keys per range request: keeps each gRPC message well under its size limit. */
const RANGE_PAGE = 5000;

/**
 * Storage in a real etcd through its v3 gRPC API, the way kube-apiserver uses it:
 * create is a transaction on create_revision == 0, update and delete compare mod_revision,
 * and a key's mod revision is the object's resourceVersion.
 */
export class EtcdBackend implements StorageBackend {
  readonly kind = 'etcd' as const;
  readonly #client: Etcd3;
  #dbSize: number | undefined;
  readonly #statusTimer: NodeJS.Timeout;

  constructor(endpoint: string) {
    this.#client = new Etcd3({
      hosts: endpoint,
      grpcOptions: {
        'grpc.max_receive_message_length': 512 * 1024 * 1024,
        'grpc.max_send_message_length': 64 * 1024 * 1024,
      },
      // No client-side retries or circuit breaking: the apiserver decides what a failed
      // write means (a retried create could report AlreadyExists for its own write), and
      // the policies cost CPU on every call.
      faultHandling: { global: noop, host: () => noop },
    });
    // The db size feeds a gauge; polling keeps the write path free of extra calls.
    this.#statusTimer = setInterval(() => void this.#refreshStatus(), 5000);
    this.#statusTimer.unref();
    void this.#refreshStatus();
  }

  async create(key: string, value: string): Promise<number> {
    const k = Buffer.from(key);
    const res = await this.#client.kv.txn({
      compare: [{ key: k, target: 'Create', result: 'Equal', create_revision: 0 }],
      success: [{ request_put: { key: k, value: Buffer.from(value) } }],
    });
    if (!res.succeeded) throw new KeyExistsError(key);
    return Number(res.header.revision);
  }

  async update(key: string, value: string, expectedModRevision: number): Promise<number> {
    const k = Buffer.from(key);
    const res = await this.#client.kv.txn({
      compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: expectedModRevision }],
      success: [{ request_put: { key: k, value: Buffer.from(value) } }],
      failure: [{ request_range: { key: k } }],
    });
    if (!res.succeeded) throw this.#casFailure(key, expectedModRevision, res.responses);
    return Number(res.header.revision);
  }

  async delete(key: string, expectedModRevision?: number): Promise<{ revision: number; prev: KeyValue }> {
    const k = Buffer.from(key);
    const res = await this.#client.kv.txn({
      compare:
        expectedModRevision === undefined
          ? [{ key: k, target: 'Create', result: 'Greater', create_revision: 0 }]
          : [{ key: k, target: 'Mod', result: 'Equal', mod_revision: expectedModRevision }],
      success: [{ request_delete_range: { key: k, prev_kv: true } }],
      failure: [{ request_range: { key: k } }],
    });
    if (!res.succeeded) throw this.#casFailure(key, expectedModRevision ?? 0, res.responses);
    const prev = res.responses[0]?.response_delete_range.prev_kvs[0];
    if (!prev) throw new KeyNotFoundError(key);
    return { revision: Number(res.header.revision), prev: toKeyValue(prev) };
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const res = await this.#client.kv.range({ key: Buffer.from(key) });
    const kv = res.kvs[0];
    return kv ? toKeyValue(kv) : undefined;
  }

  async range(prefix: string): Promise<RangeResult> {
    const end = prefixEnd(Buffer.from(prefix));
    const kvs: KeyValue[] = [];
    let start = Buffer.from(prefix);
    let revision = 0;
    // Page through the prefix at one revision so the result is one consistent snapshot.
    for (;;) {
      const res = await this.#client.kv.range({
        key: start,
        range_end: end,
        limit: RANGE_PAGE,
        ...(revision > 0 ? { revision } : {}),
      });
      if (revision === 0) revision = Number(res.header.revision);
      for (const kv of res.kvs) kvs.push(toKeyValue(kv));
      if (!res.more || res.kvs.length === 0) break;
      start = Buffer.concat([res.kvs[res.kvs.length - 1]!.key, Buffer.from([0])]);
    }
    return { kvs, revision };
  }

  async currentRevision(): Promise<number> {
    const res = await this.#client.kv.range({ key: Buffer.from('/registry/'), count_only: true });
    return Number(res.header.revision);
  }

  watch(prefix: string, afterRevision: number, handlers: WatchHandlers): BackendWatch {
    let watcher: Watcher | undefined;
    let closed = false;
    // No previous values: the watch cache already holds every object's last state, and
    // shipping it with each event would double the bytes decoded per write.
    const builder = this.#client
      .watch()
      .prefix(prefix)
      .startRevision(String(afterRevision + 1));
    builder
      .create()
      .then((w) => {
        watcher = w;
        if (closed) {
          void w.cancel();
          return;
        }
        w.on('data', (res) => {
          if (closed) return;
          const events: BackendEvent[] = [];
          for (const ev of res.events) {
            const key = ev.kv.key.toString();
            const modRevision = Number(ev.kv.mod_revision);
            if (ev.type === 'Put') {
              const created = ev.kv.create_revision === ev.kv.mod_revision;
              events.push({ type: 'put', key, value: ev.kv.value.toString(), modRevision, created });
            } else {
              events.push({ type: 'delete', key, modRevision });
            }
          }
          if (events.length > 0) handlers.onEvents(events);
        });
        w.on('error', (err) => {
          if (closed) return;
          closed = true;
          const message = String(err.message);
          handlers.onError(
            /compact/i.test(message) ? new CompactedError(afterRevision + 1, afterRevision) : new Error(message),
          );
        });
      })
      .catch((err: unknown) => {
        if (!closed) handlers.onError(err instanceof Error ? err : new Error(String(err)));
      });
    return {
      close: () => {
        closed = true;
        if (watcher) void watcher.cancel().catch(() => undefined);
      },
    };
  }

  /** Discards history older than `revision`, as kube-apiserver's periodic compaction does. */
  async compact(revision: number): Promise<void> {
    await this.#client.kv.compact({ revision });
  }

  stats(): { dbSizeBytes?: number } {
    return this.#dbSize === undefined ? {} : { dbSizeBytes: this.#dbSize };
  }

  async close(): Promise<void> {
    clearInterval(this.#statusTimer);
    this.#client.close();
  }

  async #refreshStatus(): Promise<void> {
    try {
      const st = await this.#client.maintenance.status();
      this.#dbSize = Number(st.dbSize);
    } catch {
      // Status is best effort; the gauge keeps its last value.
    }
  }

  #casFailure(key: string, expected: number, responses: IResponseOp[]): Error {
    const current = responses[0]?.response_range.kvs[0];
    if (!current) return new KeyNotFoundError(key);
    return new RevisionMismatchError(key, expected, Number(current.mod_revision));
  }
}

function toKeyValue(kv: IKeyValue): KeyValue {
  return { key: kv.key.toString(), value: kv.value.toString(), modRevision: Number(kv.mod_revision) };
}

/** The smallest key greater than every key with this prefix (etcd's range_end for a prefix). */
function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}
