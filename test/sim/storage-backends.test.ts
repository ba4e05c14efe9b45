import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BackendEvent,
  CompactedError,
  KeyExistsError,
  KeyNotFoundError,
  RevisionMismatchError,
  type StorageBackend,
} from '../../src/sim/storage/backend.js';
import { EtcdBackend } from '../../src/sim/storage/etcd-backend.js';
import { EtcdProcess } from '../../src/sim/storage/etcd-process.js';
import { EtcdThreadBackend } from '../../src/sim/storage/etcd-thread.js';
import { MemoryBackend } from '../../src/sim/storage/memory-backend.js';
import { requireEtcd } from '../helpers/sim-fixture.js';

/**
 * The storage contract (backend.ts) held by both stores: the in-process one and a real etcd
 * through the sim's own gRPC client (etcd-grpc.ts, etcd-wire.ts). Each case uses a prefix
 * of its own so the cases share one store.
 */

/** Collects a watch's events until `until` says enough (or 20 s pass). */
function watchEvents(b: StorageBackend, prefix: string, after: number, until: (events: BackendEvent[]) => boolean) {
  const events: BackendEvent[] = [];
  let error: Error | undefined;
  let wake = (): void => undefined;
  const w = b.watch(prefix, after, {
    onEvents: (es) => {
      events.push(...es);
      wake();
    },
    onError: (e) => {
      error = e;
      wake();
    },
  });
  const done = (async () => {
    const deadline = Date.now() + 20_000;
    while (!until(events) && !error && Date.now() < deadline) await new Promise<void>((r) => (wake = r) && setTimeout(r, 200));
    w.close();
    return { events, error };
  })();
  return done;
}

interface Store {
  backend: StorageBackend;
  /** Another client of the same store. */
  other: () => StorageBackend;
  compact?: (revision: number) => Promise<void>;
  stop: () => Promise<void>;
}

/** An etcd of its own and `make`'s client of it (the sim's: in a thread; or in this thread). */
async function etcdStore(make: (url: string) => StorageBackend & { compact(revision: number): Promise<void> }): Promise<Store> {
  requireEtcd();
  const proc = await EtcdProcess.start({ name: 'kbench-test-backend' });
  const backend = make(proc.clientUrl);
  const others: StorageBackend[] = [];
  return {
    backend,
    other: () => {
      const o = new EtcdBackend(proc.clientUrl);
      others.push(o);
      return o;
    },
    compact: (revision) => backend.compact(revision),
    stop: async () => {
      await backend.close();
      for (const o of others) await o.close();
      await proc.stop();
    },
  };
}

/** `handsDecoded`: a watch event of the store's own write carries the writer's object. */
const stores: { name: string; handsDecoded: boolean; make: () => Promise<Store> }[] = [
  {
    name: 'memory',
    handsDecoded: true,
    make: async () => {
      const backend = new MemoryBackend();
      return { backend, other: () => backend, stop: () => backend.close() };
    },
  },
  { name: 'etcd, client in a thread of its own (the sim\'s)', handsDecoded: true, make: () => etcdStore((url) => new EtcdThreadBackend(url)) },
  { name: 'etcd, client in this thread', handsDecoded: false, make: () => etcdStore((url) => new EtcdBackend(url)) },
];

for (const store of stores) {
  describe(`storage contract: ${store.name}`, () => {
    let s: Store;
    beforeAll(async () => {
      s = await store.make();
    }, 60_000);
    afterAll(async () => {
      await s?.stop();
    });

    it('creates once, and reads back exactly what was written (multi-byte text, large values)', async () => {
      const b = s.backend;
      const big = JSON.stringify({ data: 'x'.repeat(300_000) });
      const r1 = await b.create('/registry/t1/a', '{"name":"žluťoučký kůň 🐎"}');
      const r2 = await b.create('/registry/t1/big', big);
      expect(r2).toBeGreaterThan(r1);
      await expect(b.create('/registry/t1/a', '{}')).rejects.toBeInstanceOf(KeyExistsError);
      expect(await b.get('/registry/t1/a')).toEqual({ key: '/registry/t1/a', value: '{"name":"žluťoučký kůň 🐎"}', modRevision: r1 });
      expect((await b.get('/registry/t1/big'))?.value).toBe(big);
      expect(await b.get('/registry/t1/missing')).toBeUndefined();
      expect(await b.currentRevision()).toBeGreaterThanOrEqual(r2);
    });

    it('updates and deletes only at the expected revision, and says what the revision is', async () => {
      const b = s.backend;
      const r1 = await b.create('/registry/t2/k', 'v1');
      const r2 = await b.update('/registry/t2/k', 'v2', r1);
      expect(r2).toBeGreaterThan(r1);
      const stale = await b.update('/registry/t2/k', 'v3', r1).catch((e: unknown) => e);
      expect(stale).toBeInstanceOf(RevisionMismatchError);
      expect(stale).toMatchObject({ key: '/registry/t2/k', expected: r1, actual: r2 });
      await expect(b.update('/registry/t2/none', 'v', 1)).rejects.toBeInstanceOf(KeyNotFoundError);
      await expect(b.delete('/registry/t2/k', r1)).rejects.toBeInstanceOf(RevisionMismatchError);
      const del = await b.delete('/registry/t2/k', r2);
      expect(del.prev).toEqual({ key: '/registry/t2/k', value: 'v2', modRevision: r2 });
      expect(del.revision).toBeGreaterThan(r2);
      await expect(b.delete('/registry/t2/k')).rejects.toBeInstanceOf(KeyNotFoundError);
      // Without a revision, delete takes whatever is there.
      await b.create('/registry/t2/j', 'v');
      expect((await b.delete('/registry/t2/j')).prev.value).toBe('v');
    });

    it('ranges over a prefix only, sorted by key, at one revision, past one page of 5,000 keys', async () => {
      const b = s.backend;
      const n = 5_050;
      const names = Array.from({ length: n }, (_, i) => `/registry/t3/${String(i).padStart(5, '0')}`);
      for (let i = 0; i < n; i += 200) await Promise.all(names.slice(i, i + 200).map((k) => b.create(k, `{"i":"${k}"}`)));
      await b.create('/registry/t3x/outside', '{}');
      const r = await b.range('/registry/t3/');
      expect(r.kvs.map((kv) => kv.key)).toEqual(names);
      expect(r.kvs[4321]!.value).toBe(`{"i":"${names[4321]}"}`);
      expect(r.revision).toBeGreaterThanOrEqual(Math.max(...r.kvs.map((kv) => kv.modRevision)));
    }, 120_000);

    it('watches from a revision: later events only, in order, creates told from updates', async () => {
      const b = s.backend;
      const before = await b.create('/registry/t4/a', '1');
      const r2 = await b.update('/registry/t4/a', '2', before);
      const r3 = await b.create('/registry/t4/b', '1');
      await b.create('/registry/t4x/not-mine', '1');
      const r4 = (await b.delete('/registry/t4/a')).revision;
      const { events, error } = await watchEvents(b, '/registry/t4/', before, (es) => es.length >= 3);
      expect(error).toBeUndefined();
      expect(events.map((e) => (e.type === 'put' ? [e.type, e.key, e.value, e.modRevision, e.created] : [e.type, e.key, e.modRevision]))).toEqual([
        ['put', '/registry/t4/a', '2', r2, false],
        ['put', '/registry/t4/b', '1', r3, true],
        ['delete', '/registry/t4/a', r4],
      ]);
    });

    it.runIf(store.handsDecoded)("hands a watch the writer's own decoded object, and only for exactly what it wrote", async () => {
      const b = s.backend;
      const start = await b.currentRevision();
      // Watching before the writes, as the sim's caches do (a memory store's history keeps text only).
      const watching = watchEvents(b, '/registry/t5/', start, (es) => es.length >= 2);
      const decoded = { mine: true };
      await b.create('/registry/t5/mine', '{"mine":true}', decoded);
      // Another writer of the same store (for etcd, another client): its event carries no object of ours.
      await s.other().create('/registry/t5/theirs', '{"mine":false}');
      const { events } = await watching;
      const byKey = new Map(events.map((e) => [e.key, e]));
      const mine = byKey.get('/registry/t5/mine');
      const theirs = byKey.get('/registry/t5/theirs');
      expect(mine?.type === 'put' && mine.decoded).toBe(decoded);
      expect(theirs?.type === 'put' && theirs.decoded).toBeFalsy();
    });

    if (store.name !== 'memory') {
      it('fails a watch that starts below the compacted revision with CompactedError', async () => {
        const b = s.backend;
        const r1 = await b.create('/registry/t6/a', '1');
        await b.update('/registry/t6/a', '2', r1);
        const now = await b.currentRevision();
        await s.compact!(now);
        const { error } = await watchEvents(b, '/registry/t6/', r1 - 1, () => false);
        expect(error).toBeInstanceOf(CompactedError);
        expect(error?.message).toMatch(new RegExp(`oldest available ${now}\\b`));
      });
    }
  });
}

for (const [name, make] of [
  ['in a thread of its own', (url: string) => new EtcdThreadBackend(url)],
  ['in this thread', (url: string) => new EtcdBackend(url)],
] as const) {
  describe(`storage contract: etcd gone, client ${name}`, () => {
    it('fails calls in flight and new ones, and ends watches, instead of hanging', async () => {
      requireEtcd();
      const proc = await EtcdProcess.start({ name: 'kbench-test-backend-gone' });
      const b = make(proc.clientUrl);
      try {
        const start = await b.create('/registry/g/a', '1');
        const watch = watchEvents(b, '/registry/g/', start, () => false);
        const inFlight = Array.from({ length: 50 }, (_, i) => b.create(`/registry/g/k${i}`, '1').then(() => 'ok', (e: unknown) => e));
        process.kill(proc.pid!, 'SIGKILL');
        const outcomes = await Promise.all(inFlight);
        // Some writes may have landed before the kill; none is left unanswered.
        expect(outcomes.every((o) => o === 'ok' || o instanceof Error)).toBe(true);
        const { error } = await watch;
        expect(error?.message).toMatch(/etcd/);
        await expect(b.get('/registry/g/a')).rejects.toThrow(/etcd/);
      } finally {
        await b.close();
        await proc.stop();
      }
    }, 60_000);
  });
}
