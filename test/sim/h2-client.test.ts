import http2, { type Http2Server, type Http2Session, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { GrpcConnection, GrpcError } from '../../src/sim/storage/etcd-grpc.js';
import { H2Connection } from '../../src/sim/storage/h2-client.js';
import { GrpcRequestHeaders } from '../../src/sim/storage/hpack.js';

/**
 * The sim's HTTP/2 client (h2-client.ts) through its gRPC user (etcd-grpc.ts), against
 * node:http2's server (nghttp2): a peer that is not our own code.
 */

const UNAVAILABLE = 14;

/** A gRPC message: the uncompressed flag and the length, then the payload. */
function grpcFrame(payload: Buffer): Buffer {
  const f = Buffer.allocUnsafe(5 + payload.length);
  f[0] = 0;
  f.writeUInt32BE(payload.length, 1);
  payload.copy(f, 5);
  return f;
}

/** Bytes that differ from position to position, so a misplaced chunk shows. */
function pattern(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed + (i >>> 8)) & 0xff;
  return b;
}

const GRPC_HEADERS = { ':status': 200, 'content-type': 'application/grpc' };

/** Answers with the request body, then grpc-status 0 in trailers. */
function echo(stream: ServerHttp2Stream, delayMs = 0): void {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => {
    const answer = (): void => {
      if (stream.destroyed) return;
      stream.respond(GRPC_HEADERS, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.concat(chunks));
    };
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
}

interface TestServer {
  server: Http2Server;
  url: string;
  sessions: Http2Session[];
}

const servers: TestServer[] = [];
const clients: GrpcConnection[] = [];
const rawClients: H2Connection[] = [];

async function startServer(handle: (stream: ServerHttp2Stream, path: string, t: TestServer) => void, settings: http2.Settings = {}): Promise<TestServer> {
  const server = http2.createServer({ settings });
  const t: TestServer = { server, url: '', sessions: [] };
  server.on('session', (s) => {
    t.sessions.push(s);
    s.on('error', () => undefined);
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined);
    handle(stream, String(headers[':path']), t);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  servers.push(t);
  return t;
}

function client(url: string): GrpcConnection {
  const c = new GrpcConnection(url);
  clients.push(c);
  return c;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const c of rawClients.splice(0)) c.close();
  for (const t of servers.splice(0)) {
    for (const s of t.sessions) s.destroy();
    await new Promise<void>((resolve) => t.server.close(() => resolve()));
  }
});

describe('h2-client against node:http2', () => {
  it('answers a unary call', async () => {
    const t = await startServer((s) => echo(s));
    const c = client(t.url);
    const got = await c.unary('/test.Echo/Unary', grpcFrame(Buffer.from('hello')));
    expect(got.toString()).toBe('hello');
    // An empty message too.
    expect((await c.unary('/test.Echo/Unary', grpcFrame(Buffer.alloc(0)))).length).toBe(0);
  }, 20_000);

  it('runs 200 calls at once on one connection', async () => {
    const paths = new Set<string>();
    const t = await startServer((s, path) => {
      paths.add(path);
      echo(s, 1);
    });
    const c = client(t.url);
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => c.unary(`/test.Echo/Call${i % 3}`, grpcFrame(pattern(100 + i * 7, i)))));
    answers.forEach((a, i) => expect(a.equals(pattern(100 + i * 7, i)), `call ${i}`).toBe(true));
    expect(t.sessions.length).toBe(1);
    expect([...paths].sort()).toEqual(['/test.Echo/Call0', '/test.Echo/Call1', '/test.Echo/Call2']);
  }, 20_000);

  it('sends and receives bodies over 1 MiB through the server\'s default 65,535-byte windows', async () => {
    let serverWindow = 0;
    const t = await startServer((s) => {
      serverWindow = s.session!.localSettings.initialWindowSize ?? -1;
      echo(s);
    });
    const c = client(t.url);
    const big = pattern(1_500_000, 3);
    const [a, b] = await Promise.all([c.unary('/test.Echo/Big', grpcFrame(big)), c.unary('/test.Echo/Big', grpcFrame(pattern(1_200_000, 4)))]);
    expect(serverWindow).toBe(65_535);
    expect(a.equals(big)).toBe(true);
    expect(b.equals(pattern(1_200_000, 4))).toBe(true);
  }, 30_000);

  it('holds DATA back while the server\'s window is shut, and sends the rest as it opens', async () => {
    // nghttp2 does not police a client that overruns its window, so the client's queue is checked.
    let resume = (): void => undefined;
    let arrived = (): void => undefined;
    const streamArrived = new Promise<void>((r) => (arrived = r));
    const t = await startServer((s) => {
      s.pause();
      arrived();
      resume = () => {
        let n = 0;
        s.on('data', (c: Buffer) => (n += c.length));
        s.on('end', () => {
          s.respond({ ':status': 200 });
          s.end(String(n));
        });
        s.resume();
      };
    });
    const url = new URL(t.url);
    const conn = new H2Connection(url.hostname, Number(url.port), { windowSize: 1 << 20 });
    rawClients.push(conn);
    let body = '';
    let held = -1;
    await new Promise<void>((resolve, reject) => {
      const s = conn.request(new GrpcRequestHeaders(url.host).block('/raw'), {
        onHeaders: () => undefined,
        onData: (d) => (body += d.toString()),
        onClose: (failure) => (failure ? reject(new Error(failure)) : resolve()),
      });
      s.write(pattern(2_000_000, 6), true);
      void streamArrived.then(() =>
        setTimeout(() => {
          held = s.queue.reduce((n, b) => n + b.length, 0);
          resume();
        }, 200),
      );
    });
    // The server's windows (connection and stream) are 65,535 bytes until it reads.
    expect(held).toBe(2_000_000 - 65_535);
    expect(body).toBe('2000000');
  }, 20_000);

  it('gives back its own receive window as it reads (a 64 KiB window, a 3 MB answer)', async () => {
    const answer = pattern(3_000_000, 5);
    const t = await startServer((s) => {
      s.on('data', () => undefined);
      s.on('end', () => {
        s.respond({ ':status': 200 }, { endStream: false });
        s.end(answer);
      });
    });
    const url = new URL(t.url);
    const conn = new H2Connection(url.hostname, Number(url.port), { windowSize: 65_535 });
    rawClients.push(conn);
    const chunks: Buffer[] = [];
    const status = await new Promise<string>((resolve, reject) => {
      let st = '';
      const s = conn.request(new GrpcRequestHeaders(url.host).block('/raw'), {
        onHeaders: (fields) => (st = fields[1]!),
        onData: (d) => chunks.push(Buffer.from(d)),
        onClose: (failure) => (failure ? reject(new Error(failure)) : resolve(st)),
      });
      s.write(Buffer.from('x'), true);
    });
    expect(status).toBe('200');
    expect(Buffer.concat(chunks).equals(answer)).toBe(true);
  }, 30_000);

  it('fails a trailers-only error answer with its grpc-status and decoded message', async () => {
    const t = await startServer((s) => {
      s.respond({ ...GRPC_HEADERS, 'grpc-status': '5', 'grpc-message': encodeURIComponent('no such key: /a/ä b') }, { endStream: true });
    });
    const c = client(t.url);
    const err = await c.unary('/test.Echo/Fail', grpcFrame(Buffer.from('x'))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GrpcError);
    expect((err as GrpcError).code).toBe(5);
    expect((err as GrpcError).message).toContain('no such key: /a/ä b');
    // The connection is still good.
    const t2 = await c.unary('/test.Echo/Fail', grpcFrame(Buffer.from('y'))).catch((e: unknown) => e);
    expect((t2 as GrpcError).code).toBe(5);
    expect(t.sessions.length).toBe(1);
  }, 20_000);

  it('fails a call the server resets with UNAVAILABLE, and others go on', async () => {
    const t = await startServer((s, path) => {
      if (path === '/test.Echo/Reset') s.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      else echo(s);
    });
    const c = client(t.url);
    const [reset, ok] = await Promise.allSettled([c.unary('/test.Echo/Reset', grpcFrame(Buffer.from('x'))), c.unary('/test.Echo/Ok', grpcFrame(Buffer.from('ok')))]);
    expect(reset.status).toBe('rejected');
    const err = (reset as PromiseRejectedResult).reason as GrpcError;
    expect(err.code).toBe(UNAVAILABLE);
    expect(err.message).toMatch(/INTERNAL_ERROR/);
    expect(ok.status === 'fulfilled' && ok.value.toString()).toBe('ok');
  }, 20_000);

  it('fails calls with UNAVAILABLE when the server drops the connection, then connects again', async () => {
    const t = await startServer((s, path) => {
      if (path === '/test.Echo/Drop') setTimeout(() => s.session?.destroy(), 20);
      else if (path !== '/test.Echo/Hang') echo(s);
    });
    const c = client(t.url);
    const calls = [c.unary('/test.Echo/Hang', grpcFrame(Buffer.from('a'))), c.unary('/test.Echo/Drop', grpcFrame(Buffer.from('b')))];
    for (const r of await Promise.allSettled(calls)) {
      expect(r.status).toBe('rejected');
      expect(((r as PromiseRejectedResult).reason as GrpcError).code).toBe(UNAVAILABLE);
    }
    expect((await c.unary('/test.Echo/Ok', grpcFrame(Buffer.from('again')))).toString()).toBe('again');
    expect(t.sessions.length).toBe(2);
  }, 20_000);

  it('moves to a new connection after GOAWAY, finishing the calls the server took', async () => {
    const t = await startServer((s, path) => {
      echo(s, path === '/test.Echo/Slow' ? 300 : 30);
      if (path === '/test.Echo/Last') s.session?.close();
    });
    const c = client(t.url);
    const slow = c.unary('/test.Echo/Slow', grpcFrame(Buffer.from('slow')));
    await new Promise((r) => setTimeout(r, 20));
    const last = c.unary('/test.Echo/Last', grpcFrame(Buffer.from('last')));
    // The GOAWAY came before this answer; the old connection still carries the slow call, so
    // the next call must open a new one (the old server would ignore it).
    expect((await last).toString()).toBe('last');
    const next = c.unary('/test.Echo/Next', grpcFrame(Buffer.from('next')));
    expect((await next).toString()).toBe('next');
    expect((await slow).toString()).toBe('slow');
    expect(t.sessions.length).toBe(2);
  }, 20_000);

  it('streams messages both ways until cancel(), with no onEnd after it', async () => {
    let rstCode = -1;
    let onClosed = (): void => undefined;
    const closed = new Promise<void>((resolve) => (onClosed = resolve));
    const t = await startServer((s) => {
      s.respond(GRPC_HEADERS);
      s.on('close', () => {
        rstCode = s.rstCode;
        onClosed();
      });
      let n = 0;
      s.on('data', (c: Buffer) => {
        // Each request message asks for two answers; the answers' frames are cut across writes.
        const want = c.subarray(5).toString();
        const both = Buffer.concat([grpcFrame(Buffer.from(`${want}-${n++}`)), grpcFrame(Buffer.from(`${want}-${n++}`))]);
        s.write(both.subarray(0, 3));
        setTimeout(() => s.write(both.subarray(3)), 5);
      });
    });
    const url = t.url;
    const c = client(url);
    const got: string[] = [];
    let ended: GrpcError | undefined;
    let wake = (): void => undefined;
    const stream = c.stream(
      '/test.Watch/Watch',
      (p) => {
        got.push(p.toString());
        wake();
      },
      (e) => (ended = e),
    );
    for (const word of ['a', 'b', 'c']) {
      stream.write(grpcFrame(Buffer.from(word)));
      const before = got.length;
      while (got.length < before + 2) await new Promise<void>((r) => (wake = r));
    }
    stream.cancel();
    await closed;
    expect(got).toEqual(['a-0', 'a-1', 'b-2', 'b-3', 'c-4', 'c-5']);
    expect(rstCode).toBe(http2.constants.NGHTTP2_CANCEL);
    await new Promise((r) => setTimeout(r, 50));
    expect(ended).toBeUndefined();
  }, 20_000);

  it('tells a stream\'s owner when the server ends it', async () => {
    const t = await startServer((s) => {
      s.respond(GRPC_HEADERS, { waitForTrailers: true });
      s.on('wantTrailers', () => s.sendTrailers({ 'grpc-status': '0' }));
      s.end(grpcFrame(Buffer.from('only')));
    });
    const c = client(t.url);
    const got: string[] = [];
    const ended = await new Promise<GrpcError>((resolve) => {
      c.stream('/test.Watch/Watch', (p) => got.push(p.toString()), resolve);
    });
    expect(got).toEqual(['only']);
    expect(ended.code).toBe(0);
  }, 20_000);

  it('keeps to the server\'s MAX_CONCURRENT_STREAMS of 5 with 50 calls', async () => {
    let open = 0;
    let most = 0;
    const t = await startServer(
      (s) => {
        open++;
        most = Math.max(most, open);
        s.on('close', () => open--);
        echo(s, 5);
      },
      { maxConcurrentStreams: 5 },
    );
    const c = client(t.url);
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => c.unary('/test.Echo/Limited', grpcFrame(Buffer.from(`m${i}`)))));
    expect(answers.map((a) => a.toString())).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
    expect(most).toBe(5);
  }, 20_000);

  it('fails a call with UNAVAILABLE when nothing listens, and after close()', async () => {
    const t = await startServer((s) => echo(s));
    const url = t.url;
    await new Promise<void>((resolve) => t.server.close(() => resolve()));
    servers.splice(servers.indexOf(t), 1);
    const c = client(url);
    const err = (await c.unary('/test.Echo/Gone', grpcFrame(Buffer.from('x'))).catch((e: unknown) => e)) as GrpcError;
    expect(err.code).toBe(UNAVAILABLE);
    expect(err.message).toMatch(/ECONNREFUSED/);
    c.close();
    const closed = (await c.unary('/test.Echo/Gone', grpcFrame(Buffer.from('x'))).catch((e: unknown) => e)) as GrpcError;
    expect(closed.code).toBe(UNAVAILABLE);
  }, 20_000);
});
