import { startSim, type SimHandle, type SimOptions } from '../../src/sim/index.js';
import { findOnPath } from '../../src/sim/storage/etcd-process.js';
import { TestClient } from './sim-client.js';

export const STORAGE_MODES = ['memory', 'etcd'] as const;

export function requireEtcd(): void {
  if (!findOnPath('etcd')) {
    throw new Error('these tests need the etcd binary (Debian: apt-get install -y etcd-server); the README test command installs it');
  }
}

/** Starts a sim for a test file; `stop()` must run in afterAll (it is safe to call twice). */
export async function startTestSim(options: SimOptions): Promise<{ sim: SimHandle; client: TestClient; stop(): Promise<void> }> {
  if (options.storage === 'etcd') requireEtcd();
  const sim = await startSim({ host: '127.0.0.1', port: 0, ...options });
  const client = new TestClient({ url: sim.url, token: sim.token, caPem: sim.caPem });
  return {
    sim,
    client,
    stop: async () => {
      client.close();
      await sim.stop();
    },
  };
}

export async function eventually<T>(fn: () => Promise<T> | T, pred: (v: T) => boolean, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await fn();
    if (pred(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)?.slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
