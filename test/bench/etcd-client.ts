/**
 * tsx test/bench/etcd-client.ts — the sim's etcd client's own cost: N Txn puts of ~3 KB
 * values, 200 in flight, against a real etcd started here, through our HTTP/2 client
 * (etcd-grpc.ts over h2-client.ts) and through the node:http2 client it replaced (kept
 * below as the baseline). Prints this process's CPU-seconds and calls/s for each, in
 * alternating rounds; asserts nothing.
 *
 *   npx tsx test/bench/etcd-client.ts
 *   npx tsx test/bench/etcd-client.ts --calls 5000 --rounds 1
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http2, { type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import os from 'node:os';
import path from 'node:path';
import { GrpcConnection } from '../../src/sim/storage/etcd-grpc.js';
import { decodeTxn, FRAME_HEADER, txnRequest } from '../../src/sim/storage/etcd-wire.js';
import { freePort } from '../../src/util/free-port.js';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const CALLS = arg('--calls', 20_000);
const ROUNDS = arg('--rounds', 2);
const IN_FLIGHT = 200;
const VALUE = 'v'.repeat(3000);
const KV_TXN = '/etcdserverpb.KV/Txn';

interface Client {
  unary(path: string, frame: Buffer): Promise<Buffer>;
  close(): void;
}

// ---------------------------------------------------------------------------------------
// BASELINE: the node:http2 GrpcConnection this change replaced (unary calls only), as it
// was in src/sim/storage/etcd-grpc.ts before h2-client.ts.
// ---------------------------------------------------------------------------------------
const WINDOW = 32 * 1024 * 1024;

class BaselineHttp2Connection implements Client {
  #session: ClientHttp2Session | undefined;
  readonly #headers = new Map<string, http2.OutgoingHttpHeaders>();

  constructor(private readonly url: string) {}

  #connect(): ClientHttp2Session {
    const current = this.#session;
    if (current && !current.closed && !current.destroyed) return current;
    const s = http2.connect(this.url, { settings: { initialWindowSize: WINDOW, enablePush: false }, maxSessionMemory: 1024 });
    s.on('error', () => undefined);
    s.once('connect', () => s.setLocalWindowSize(WINDOW));
    s.once('close', () => {
      if (this.#session === s) this.#session = undefined;
    });
    s.once('goaway', () => {
      if (this.#session === s) this.#session = undefined;
    });
    this.#session = s;
    return s;
  }

  #request(path: string): ClientHttp2Stream {
    let headers = this.#headers.get(path);
    if (!headers) {
      headers = { ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' };
      this.#headers.set(path, headers);
    }
    return this.#connect().request(headers, { endStream: false });
  }

  unary(path: string, frame: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const req = this.#request(path);
      let status: string | undefined;
      let failure = '';
      const onHeaders = (h: IncomingHttpHeaders): void => {
        if (h['grpc-status'] !== undefined) status = String(h['grpc-status']);
      };
      req.on('response', onHeaders);
      req.on('trailers', onHeaders);
      req.on('error', (e: Error) => (failure = e.message));
      const chunks: Buffer[] = [];
      let length = 0;
      req.on('data', (c: Buffer) => {
        chunks.push(c);
        length += c.length;
      });
      req.on('close', () => {
        if (status !== '0') {
          reject(new Error(`grpc status ${status ?? 'none'} ${failure}`));
          return;
        }
        const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
        resolve(all.subarray(FRAME_HEADER, FRAME_HEADER + all.readUInt32BE(1)));
      });
      req.end(frame);
    });
  }

  close(): void {
    this.#session?.destroy();
    this.#session = undefined;
  }
}
// ------------------------------------ end of baseline ----------------------------------

async function startEtcd(): Promise<{ url: string; child: ChildProcess; dir: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-etcd-client-'));
  const client = await freePort();
  const peer = await freePort();
  const url = `http://127.0.0.1:${client}`;
  const child = spawn(
    'etcd',
    ['--data-dir', dir, '--listen-client-urls', url, '--advertise-client-urls', url, '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`, '--initial-cluster', `default=http://127.0.0.1:${peer}`],
    { detached: true, stdio: 'ignore' },
  );
  // Ready once a call is answered.
  const probe = new GrpcConnection(url);
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await probe.unary(KV_TXN, txnRequest([], [{ put: { key: '/probe', value: 'x' } }], []));
      break;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  probe.close();
  return { url, child, dir };
}

/** CALLS create-style Txn puts, IN_FLIGHT at a time; CPU-seconds of this process and calls/s. */
async function run(client: Client, prefix: string, calls: number): Promise<{ cpuS: number; perS: number }> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < calls) {
      const i = next++;
      const key = `/registry/bench/${prefix}/${i}`;
      const res = decodeTxn(await client.unary(KV_TXN, txnRequest([{ key, target: 'create', result: 'equal', revision: 0 }], [{ put: { key, value: VALUE } }], [])));
      if (!res.succeeded) throw new Error(`${key} existed`);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const wall = (performance.now() - t) / 1000;
  const used = process.cpuUsage(cpu);
  return { cpuS: (used.user + used.system) / 1e6, perS: calls / wall };
}

const etcd = await startEtcd();
try {
  console.log(`etcd-client bench on Node ${process.version}: ${CALLS} Txn puts of ${VALUE.length}-byte values, ${IN_FLIGHT} in flight, ${ROUNDS} round(s)`);
  console.log('| round | client | CPU-s | calls/s |\n|---|---|---|---|');
  const clients: [string, () => Client][] = [
    ['h2-client.ts (ours)', () => new GrpcConnection(etcd.url)],
    ['node:http2 (baseline)', () => new BaselineHttp2Connection(etcd.url)],
  ];
  for (const [name, make] of clients) {
    const c = make();
    await run(c, `warm-${name.slice(0, 4)}`, 2000);
    c.close();
  }
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [name, make] of clients) {
      const c = make();
      const r = await run(c, `r${round}-${name.slice(0, 4)}`, CALLS);
      c.close();
      console.log(`| ${round} | ${name} | ${r.cpuS.toFixed(2)} | ${r.perS.toFixed(0)} |`);
    }
  }
} finally {
  try {
    process.kill(-etcd.child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
  await rm(etcd.dir, { recursive: true, force: true });
}
