import { FRAME_HEADER, FrameReader } from './etcd-wire.js';
import { H2Connection, type H2Handlers, type H2Stream } from './h2-client.js';
import { GrpcRequestHeaders } from './hpack.js';

/** gRPC's UNAVAILABLE: the connection failed or ended before an answer. */
const UNAVAILABLE = 14;
/** Per stream and for the connection: a 5,000-key range page is several MB. */
const WINDOW = 32 * 1024 * 1024;

/** A call that etcd answered with a non-zero grpc-status, or that the connection lost. */
export class GrpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export interface GrpcStream {
  write(frame: Buffer): void;
  /** Ends the call from this side (RST_STREAM CANCEL); no onEnd follows. */
  cancel(): void;
}

/**
 * gRPC over one HTTP/2 connection (h2-client.ts) to one etcd endpoint: unary calls and
 * bidirectional streams of already-framed messages. The connection is opened on first use
 * and again after it ends; calls in flight when it ends fail with UNAVAILABLE, as a gRPC
 * client's do, and the caller decides what that means (no retries here).
 */
export class GrpcConnection {
  #conn: H2Connection | undefined;
  #closed = false;
  readonly #host: string = '';
  readonly #port: number = 0;
  readonly #headers: GrpcRequestHeaders | undefined;

  constructor(private readonly url: string) {
    // A bad URL fails each call, as it did when node:http2 parsed it at the first call.
    if (!URL.canParse(url)) return;
    const u = new URL(url);
    // An IPv6 literal comes bracketed in a URL, not in net.connect's host.
    this.#host = u.hostname.replace(/^\[(.*)\]$/, '$1');
    this.#port = Number(u.port) || 80;
    this.#headers = new GrpcRequestHeaders(u.host);
  }

  #request(path: string, call: H2Handlers): H2Stream {
    if (this.#closed) throw new GrpcError(UNAVAILABLE, 'etcd client closed');
    if (!this.#headers) throw new GrpcError(UNAVAILABLE, `etcd ${this.url}: not a URL`);
    let conn = this.#conn;
    if (!conn || !conn.usable) {
      conn = new H2Connection(this.#host, this.#port, { windowSize: WINDOW });
      this.#conn = conn;
    }
    return conn.request(this.#headers.block(path), call);
  }

  /** One request message, one response message (its payload, without the frame header). */
  unary(path: string, frame: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const call = new UnaryCall(this.url, path, resolve, reject);
      let s: H2Stream;
      try {
        s = this.#request(path, call);
      } catch (e) {
        reject(e);
        return;
      }
      s.write(frame, true);
    });
  }

  /**
   * A bidirectional stream: `onMessage` for each response message; `onEnd` once when the
   * stream ends other than by `cancel()` (the server ended it, or the connection was lost).
   */
  stream(path: string, onMessage: (payload: Buffer) => void, onEnd: (err: GrpcError) => void): GrpcStream {
    const call = new StreamCall(this.url, path, onMessage, onEnd);
    let s: H2Stream;
    try {
      s = this.#request(path, call);
    } catch (e) {
      // Reported after the caller has its handle, as a stream that ended at once.
      queueMicrotask(() => call.end(e as GrpcError));
      return { write: () => undefined, cancel: () => (call.ended = true) };
    }
    call.h2 = s;
    return {
      write: (frame) => {
        if (!call.ended) s.write(frame);
      },
      cancel: () => {
        call.ended = true;
        s.reset();
      },
    };
  }

  close(): void {
    this.#closed = true;
    this.#conn?.close();
    this.#conn = undefined;
  }
}

/**
 * Follows a call's grpc-status (in its trailers, or its headers for a trailers-only answer);
 * `outcome` says, once the call has closed, how it ended: undefined for status 0, else the error.
 */
abstract class Call implements H2Handlers {
  #status: string | undefined;
  #message = '';

  constructor(
    readonly url: string,
    readonly path: string,
  ) {}

  onHeaders(fields: string[]): void {
    let status: string | undefined;
    let message = '';
    for (let i = 0; i < fields.length; i += 2) {
      const name = fields[i];
      if (name === 'grpc-status') status = fields[i + 1];
      else if (name === 'grpc-message') message = fields[i + 1]!;
    }
    if (status === undefined) return;
    this.#status = status;
    this.#message = grpcMessage(message);
  }

  abstract onData(data: Buffer): void;
  abstract onClose(failure: string | undefined): void;

  outcome(failure: string | undefined): GrpcError | undefined {
    const status = this.#status;
    if (status === undefined) return new GrpcError(UNAVAILABLE, `etcd ${this.url}: ${failure ?? 'the call ended without a grpc-status'} (${this.path})`);
    if (status !== '0') return new GrpcError(Number(status), `etcd ${this.url}: ${this.#message || `grpc status ${status}`} (${this.path})`);
    return undefined;
  }
}

class UnaryCall extends Call {
  #chunks: Buffer[] = [];
  #length = 0;

  constructor(
    url: string,
    path: string,
    private readonly resolve: (payload: Buffer) => void,
    private readonly reject: (err: GrpcError) => void,
  ) {
    super(url, path);
  }

  onData(data: Buffer): void {
    this.#chunks.push(data);
    this.#length += data.length;
  }

  onClose(failure: string | undefined): void {
    const failed = this.outcome(failure);
    if (failed) {
      this.reject(failed);
      return;
    }
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#length);
    if (all.length < FRAME_HEADER || all.length < FRAME_HEADER + all.readUInt32BE(1)) {
      this.reject(new GrpcError(UNAVAILABLE, `etcd: a truncated answer to ${this.path}`));
      return;
    }
    this.resolve(all.subarray(FRAME_HEADER, FRAME_HEADER + all.readUInt32BE(1)));
  }
}

class StreamCall extends Call {
  ended = false;
  h2: H2Stream | undefined;
  readonly #frames = new FrameReader();

  constructor(
    url: string,
    path: string,
    private readonly onMessage: (payload: Buffer) => void,
    private readonly onEnd: (err: GrpcError) => void,
  ) {
    super(url, path);
  }

  end(err: GrpcError): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd(err);
  }

  onData(data: Buffer): void {
    if (this.ended) return;
    try {
      this.#frames.push(data, this.onMessage);
    } catch (e) {
      this.h2?.reset();
      this.end(new GrpcError(UNAVAILABLE, `etcd: ${(e as Error).message} (${this.path})`));
    }
  }

  onClose(failure: string | undefined): void {
    // A stream the server ends with status 0 still ended: the caller is told either way.
    this.end(this.outcome(failure) ?? new GrpcError(0, `etcd ${this.url}: the server ended the stream (${this.path})`));
  }
}

function grpcMessage(m: string): string {
  if (m === '') return '';
  try {
    return decodeURIComponent(m);
  } catch {
    return m;
  }
}
