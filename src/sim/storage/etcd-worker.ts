import { parentPort, workerData } from 'node:worker_threads';
import { Batcher } from '../threads.js';
import { CompactedError, KeyExistsError, KeyNotFoundError, RevisionMismatchError, type BackendWatch } from './backend.js';
import { EtcdBackend } from './etcd-backend.js';
import type { EtcdFailure, EtcdThreadData, FromEtcd, ToEtcd, WireEvent } from './etcd-thread-protocol.js';
import { RecentMap } from './recent-map.js';

/**
 * The sim's etcd client in a thread of its own (etcd-thread.ts starts it): gRPC over HTTP/2,
 * protobuf encoding and decoding, and matching watch events to this process's own writes
 * cost the apiserver's thread about a fifth of its time at the seeds' scale; here they use
 * the other core. Calls arrive in batches and answers go back in batches.
 */
const data = workerData as EtcdThreadData;
const port = parentPort!;
const backend = new EtcdBackend(data.endpoint);
const out = new Batcher<FromEtcd>((batch) => port.postMessage(batch));
const post = (m: FromEtcd): void => out.post(m);
const watches = new Map<number, BackendWatch>();

/**
 * The writes in flight or recently done, by key: the value written and the call's id. A
 * watch event whose value is that text is named by the id; the main thread keeps each
 * write's text and object longer than this (etcd-thread.ts), so an id sent is always known
 * there.
 */
const OWN_WRITE_MS = 15_000;
type OwnWrite = { id: number; value: string };
const own = new RecentMap<string, OwnWrite>(OWN_WRITE_MS);
const sameValue = (w: OwnWrite, value: string): boolean => w.value === value;
const sameId = (w: OwnWrite, id: number): boolean => w.id === id;

function failure(e: unknown): EtcdFailure {
  if (e instanceof KeyExistsError) return { kind: 'exists', key: e.key };
  if (e instanceof KeyNotFoundError) return { kind: 'notFound', key: e.key };
  if (e instanceof RevisionMismatchError) return { kind: 'mismatch', key: e.key, expected: e.expected, actual: e.actual };
  if (e instanceof CompactedError) return { kind: 'compacted', requested: e.requested, compacted: e.compacted };
  return { kind: 'other', message: e instanceof Error ? e.message : String(e) };
}

function answer<T>(id: number, call: Promise<T>, ok: (v: T) => FromEtcd, onFail?: () => void): void {
  call.then(
    (v) => post(ok(v)),
    (e: unknown) => {
      onFail?.();
      post({ t: 'failed', id, failure: failure(e) });
    },
  );
}

function receive(m: ToEtcd): void {
  switch (m.t) {
    case 'create':
      own.set(m.key, { id: m.id, value: m.value });
      answer(m.id, backend.create(m.key, m.value), (revision) => ({ t: 'revision', id: m.id, revision }), () => own.delete(m.key, sameId, m.id));
      break;
    case 'update':
      own.set(m.key, { id: m.id, value: m.value });
      answer(m.id, backend.update(m.key, m.value, m.expected), (revision) => ({ t: 'revision', id: m.id, revision }), () => own.delete(m.key, sameId, m.id));
      break;
    case 'delete':
      answer(m.id, backend.delete(m.key, m.expected), (r) => ({ t: 'deleted', id: m.id, revision: r.revision, prev: r.prev }));
      break;
    case 'get':
      answer(m.id, backend.get(m.key), (kv) => ({ t: 'kv', id: m.id, kv }));
      break;
    case 'range':
      answer(m.id, backend.range(m.prefix), (r) => ({ t: 'range', id: m.id, kvs: r.kvs, revision: r.revision }));
      break;
    case 'revision':
      answer(m.id, backend.currentRevision(), (revision) => ({ t: 'revision', id: m.id, revision }));
      break;
    case 'compact':
      answer(m.id, backend.compact(m.revision), () => ({ t: 'revision', id: m.id, revision: m.revision }));
      break;
    case 'watch': {
      const w = backend.watch(m.prefix, m.after, {
        onEvents: (events) => {
          const wire: WireEvent[] = [];
          for (const e of events) {
            if (e.type === 'delete') {
              wire.push({ del: e.key, rev: e.modRevision });
              continue;
            }
            const id = own.take(e.key, sameValue, e.value)?.id;
            wire.push(id === undefined ? { put: e.key, rev: e.modRevision, created: e.created, value: e.value } : { put: e.key, rev: e.modRevision, created: e.created, own: id });
          }
          post({ t: 'events', watch: m.watch, events: wire });
        },
        onError: (e) => {
          watches.delete(m.watch);
          post({ t: 'watchFailed', watch: m.watch, failure: failure(e) });
        },
      });
      watches.set(m.watch, w);
      break;
    }
    case 'unwatch':
      watches.get(m.watch)?.close();
      watches.delete(m.watch);
      break;
    case 'stop':
      for (const w of watches.values()) w.close();
      watches.clear();
      void backend.close().then(() => {
        out.flush();
        process.exit(0);
      });
      break;
  }
}

port.on('message', (batch: ToEtcd[]) => {
  for (const m of batch) receive(m);
});

// The db size feeds a gauge on the main thread.
setInterval(() => {
  const { dbSizeBytes } = backend.stats();
  if (dbSizeBytes !== undefined) post({ t: 'stats', dbSizeBytes });
}, 5000).unref();
