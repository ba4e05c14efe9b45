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
import { GrpcConnection } from './etcd-grpc.js';
import {
  compactionRequest,
  decodeRange,
  decodeStatusDbSize,
  decodeTxn,
  decodeWatch,
  rangeFromRequest,
  rangeRequest,
  statusRequest,
  txnRequest,
  watchCreateRequest,
  type WireKeyValue,
  type WireResponseOp,
} from './etcd-wire.js';

/** Keys per range request: keeps each gRPC message well under its size limit. */
const RANGE_PAGE = 5000;
const KV_RANGE = '/etcdserverpb.KV/Range';
const KV_TXN = '/etcdserverpb.KV/Txn';
const KV_COMPACT = '/etcdserverpb.KV/Compact';
const WATCH = '/etcdserverpb.Watch/Watch';
const STATUS = '/etcdserverpb.Maintenance/Status';

/**
 * Storage in a real etcd through its v3 gRPC API, the way kube-apiserver uses it:
 * create is a transaction on create_revision == 0, update and delete compare mod_revision,
 * and a key's mod revision is the object's resourceVersion. All calls share one HTTP/2
 * connection (etcd-grpc.ts); the messages are encoded by etcd-wire.ts. The sim runs it in
 * a thread of its own (etcd-thread.ts).
 */
export class EtcdBackend implements StorageBackend {
  readonly kind = 'etcd' as const;
  readonly #conn: GrpcConnection;
  #dbSize: number | undefined;
  readonly #statusTimer: NodeJS.Timeout;
  constructor(endpoint: string) {
    this.#conn = new GrpcConnection(endpoint);
    // The db size feeds a gauge; polling keeps the write path free of extra calls.
    this.#statusTimer = setInterval(() => void this.#refreshStatus(), 5000);
    this.#statusTimer.unref();
    void this.#refreshStatus();
  }

  async create(key: string, value: string): Promise<number> {
    const res = decodeTxn(await this.#conn.unary(KV_TXN, txnRequest([{ key, target: 'create', result: 'equal', revision: 0 }], [{ put: { key, value } }], [])));
    if (!res.succeeded) throw new KeyExistsError(key);
    return res.revision;
  }

  async update(key: string, value: string, expectedModRevision: number): Promise<number> {
    const res = decodeTxn(
      await this.#conn.unary(KV_TXN, txnRequest([{ key, target: 'mod', result: 'equal', revision: expectedModRevision }], [{ put: { key, value } }], [{ range: { key } }])),
    );
    if (!res.succeeded) throw casFailure(key, expectedModRevision, res.responses);
    return res.revision;
  }

  async delete(key: string, expectedModRevision?: number): Promise<{ revision: number; prev: KeyValue }> {
    const res = decodeTxn(
      await this.#conn.unary(
        KV_TXN,
        txnRequest(
          expectedModRevision === undefined ? [{ key, target: 'create', result: 'greater', revision: 0 }] : [{ key, target: 'mod', result: 'equal', revision: expectedModRevision }],
          [{ deleteRange: { key, prevKv: true } }],
          [{ range: { key } }],
        ),
      ),
    );
    if (!res.succeeded) throw casFailure(key, expectedModRevision ?? 0, res.responses);
    const op = res.responses[0];
    const prev = op?.kind === 'deleteRange' ? op.prevKvs[0] : undefined;
    if (!prev) throw new KeyNotFoundError(key);
    return { revision: res.revision, prev: toKeyValue(prev) };
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const res = decodeRange(await this.#conn.unary(KV_RANGE, rangeRequest({ key })));
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
      const res = decodeRange(await this.#conn.unary(KV_RANGE, rangeFromRequest(start, end, RANGE_PAGE, revision)));
      if (revision === 0) revision = res.revision;
      for (const kv of res.kvs) kvs.push(toKeyValue(kv));
      if (!res.more || res.kvs.length === 0 || !res.lastKey) break;
      start = Buffer.concat([res.lastKey, Buffer.from([0])]);
    }
    return { kvs, revision };
  }

  async currentRevision(): Promise<number> {
    return decodeRange(await this.#conn.unary(KV_RANGE, rangeRequest({ key: '/registry/', countOnly: true }))).revision;
  }

  watch(prefix: string, afterRevision: number, handlers: WatchHandlers): BackendWatch {
    let closed = false;
    const fail = (err: Error): void => {
      if (closed) return;
      closed = true;
      stream.cancel();
      handlers.onError(err);
    };
    const stream = this.#conn.stream(
      WATCH,
      (payload) => {
        if (closed) return;
        const res = decodeWatch(payload);
        if (res.canceled) {
          // etcd cancels a watch whose start revision was compacted, naming the oldest it has.
          fail(res.compactRevision > 0 ? new CompactedError(afterRevision + 1, res.compactRevision - 1) : new Error(`etcd canceled the watch on ${prefix}: ${res.cancelReason || 'no reason given'}`));
          return;
        }
        if (res.events.length === 0) return;
        const events: BackendEvent[] = [];
        // No previous values are asked for: the watch cache already holds every object's last
        // state, and shipping it with each event would double the bytes decoded per write.
        for (const ev of res.events) {
          const { key, value, modRevision } = ev.kv;
          if (ev.type === 'put') {
            events.push({ type: 'put', key, value, modRevision, created: ev.kv.createRevision === modRevision });
          } else {
            events.push({ type: 'delete', key, modRevision });
          }
        }
        handlers.onEvents(events);
      },
      (err) => fail(err),
    );
    stream.write(watchCreateRequest(prefix, prefixEnd(Buffer.from(prefix)), afterRevision + 1));
    return {
      close: () => {
        closed = true;
        stream.cancel();
      },
    };
  }

  /** Discards history older than `revision`, as kube-apiserver's periodic compaction does. */
  async compact(revision: number): Promise<void> {
    // The answer holds only a header: success is all it says.
    await this.#conn.unary(KV_COMPACT, compactionRequest(revision));
  }

  stats(): { dbSizeBytes?: number } {
    return this.#dbSize === undefined ? {} : { dbSizeBytes: this.#dbSize };
  }

  async close(): Promise<void> {
    clearInterval(this.#statusTimer);
    this.#conn.close();
  }

  async #refreshStatus(): Promise<void> {
    try {
      this.#dbSize = decodeStatusDbSize(await this.#conn.unary(STATUS, statusRequest()));
    } catch {
      // Status is best effort; the gauge keeps its last value.
    }
  }
}

function casFailure(key: string, expected: number, responses: WireResponseOp[]): Error {
  const op = responses[0];
  const current = op?.kind === 'range' ? op.kvs[0] : undefined;
  if (!current) return new KeyNotFoundError(key);
  return new RevisionMismatchError(key, expected, current.modRevision);
}

function toKeyValue(kv: WireKeyValue): KeyValue {
  return { key: kv.key, value: kv.value, modRevision: kv.modRevision };
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
