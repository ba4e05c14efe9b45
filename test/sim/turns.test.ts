import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Turns } from '../../src/sim/turns.js';

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Runs `n` pieces of work through the gate (or straight, without one), in order. */
function runAll(n: number, gate: Turns | undefined, work: (i: number) => void): Promise<void[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      if (gate) await gate.take();
      work(i);
    }),
  );
}

describe('Turns', () => {
  it('lets perTurn callers start in a turn and the rest in later turns, in the order they came', async () => {
    const gate = new Turns(4);
    const started: number[] = [];
    const all = runAll(10, gate, (i) => started.push(i));
    await Promise.resolve();
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2, 3]);
    expect(gate.waiting).toBe(6);
    await nextTurn();
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    await all;
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(gate.waiting).toBe(0);
  });

  it('starts a caller at once in a later, quiet turn', async () => {
    const gate = new Turns(2);
    await runAll(5, gate, () => undefined);
    await nextTurn();
    await nextTurn();
    expect(gate.take()).toBeUndefined();
  });

  describe('with a socket', () => {
    const closers: (() => void)[] = [];
    afterEach(() => {
      for (const c of closers.splice(0)) c();
    });

    /** How many of `n` pieces of busy work ran before data already sent to a socket was read. */
    async function workBeforeRead(n: number, gate: Turns | undefined): Promise<number> {
      let done = 0;
      let seenAt = -1;
      const server = net.createServer((s) => {
        s.on('data', () => {
          if (seenAt < 0) seenAt = done;
        });
        closers.push(() => s.destroy());
      });
      closers.push(() => server.close());
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const { port } = server.address() as net.AddressInfo;
      const accepted = new Promise<void>((r) => server.once('connection', () => r()));
      const client = net.connect(port, '127.0.0.1');
      closers.push(() => client.destroy());
      await Promise.all([accepted, new Promise<void>((r) => client.on('connect', r))]);
      // A small write on loopback is in the server's socket buffer when write() returns.
      client.write('ping');
      await runAll(n, gate, () => {
        const until = performance.now() + 0.2;
        while (performance.now() < until);
        done++;
      });
      for (let i = 0; seenAt < 0 && i < 100; i++) await nextTurn();
      return seenAt;
    }

    it('reads the socket between slices of work, where work started all at once holds it until the end', async () => {
      expect(await workBeforeRead(400, undefined)).toBe(400);
      const seen = await workBeforeRead(400, new Turns(8));
      expect(seen).toBeGreaterThanOrEqual(0);
      expect(seen).toBeLessThan(400);
    });
  });
});
