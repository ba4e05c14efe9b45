import http2, { type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import { FRAME_HEADER, FrameReader } from './etcd-wire.js';

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
 * gRPC over one HTTP/2 connection (node:http2) to one etcd endpoint: unary calls and
 * bidirectional streams of already-framed messages. The connection is opened on first use
 * and again after it ends; calls in flight when it ends fail with UNAVAILABLE, as a gRPC
 * client's do, and the caller decides what that means (no retries here).
 */
export class GrpcConnection {
  #session: ClientHttp2Session | undefined;
  #closed = false;
  readonly #headers = new Map<string, http2.OutgoingHttpHeaders>();

  constructor(private readonly url: string) {}

  #connect(): ClientHttp2Session {
    if (this.#closed) throw new GrpcError(UNAVAILABLE, 'etcd client closed');
    const current = this.#session;
    if (current && !current.closed && !current.destroyed) return current;
    const s = http2.connect(this.url, { settings: { initialWindowSize: WINDOW, enablePush: false }, maxSessionMemory: 1024 });
    // A failed or lost connection fails its calls (each stream reports it); nothing else to do.
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
    try {
      return this.#connect().request(headers, { endStream: false });
    } catch (e) {
      throw e instanceof GrpcError ? e : new GrpcError(UNAVAILABLE, `etcd ${this.url}: ${(e as Error).message}`);
    }
  }

  /**
   * Follows a call's grpc-status (in its trailers, or its headers for a trailers-only answer)
   * and errors; the returned function says, once the call has closed, how it ended:
   * undefined for status 0, else the error.
   */
  #outcome(req: ClientHttp2Stream, path: string): () => GrpcError | undefined {
    let status: string | undefined;
    let message = '';
    let failure = '';
    const onHeaders = (h: IncomingHttpHeaders): void => {
      if (h['grpc-status'] === undefined) return;
      status = String(h['grpc-status']);
      message = grpcMessage(h);
    };
    req.on('response', onHeaders);
    req.on('trailers', onHeaders);
    req.on('error', (e: Error) => (failure = e.message));
    return () => {
      if (status === undefined) return new GrpcError(UNAVAILABLE, `etcd ${this.url}: ${failure || 'the connection ended before an answer'} (${path})`);
      if (status !== '0') return new GrpcError(Number(status), `etcd ${this.url}: ${message || `grpc status ${status}`} (${path})`);
      return undefined;
    };
  }

  /** One request message, one response message (its payload, without the frame header). */
  unary(path: string, frame: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      let req: ClientHttp2Stream;
      try {
        req = this.#request(path);
      } catch (e) {
        reject(e);
        return;
      }
      const outcome = this.#outcome(req, path);
      const chunks: Buffer[] = [];
      let length = 0;
      req.on('data', (c: Buffer) => {
        chunks.push(c);
        length += c.length;
      });
      req.on('close', () => {
        const failed = outcome();
        if (failed) {
          reject(failed);
          return;
        }
        const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
        if (all.length < FRAME_HEADER || all.length < FRAME_HEADER + all.readUInt32BE(1)) {
          reject(new GrpcError(UNAVAILABLE, `etcd: a truncated answer to ${path}`));
          return;
        }
        resolve(all.subarray(FRAME_HEADER, FRAME_HEADER + all.readUInt32BE(1)));
      });
      req.end(frame);
    });
  }

  /**
   * A bidirectional stream: `onMessage` for each response message; `onEnd` once when the
   * stream ends other than by `cancel()` (the server ended it, or the connection was lost).
   */
  stream(path: string, onMessage: (payload: Buffer) => void, onEnd: (err: GrpcError) => void): GrpcStream {
    let ended = false;
    const end = (err: GrpcError): void => {
      if (ended) return;
      ended = true;
      onEnd(err);
    };
    let req: ClientHttp2Stream;
    try {
      req = this.#request(path);
    } catch (e) {
      // Reported after the caller has its handle, as a stream that ended at once.
      queueMicrotask(() => end(e as GrpcError));
      return { write: () => undefined, cancel: () => (ended = true) };
    }
    const outcome = this.#outcome(req, path);
    const frames = new FrameReader();
    req.on('data', (c: Buffer) => {
      if (ended) return;
      try {
        frames.push(c, onMessage);
      } catch (e) {
        req.close(http2.constants.NGHTTP2_CANCEL);
        end(new GrpcError(UNAVAILABLE, `etcd: ${(e as Error).message} (${path})`));
      }
    });
    // A stream the server ends with status 0 still ended: the caller is told either way.
    req.on('close', () => end(outcome() ?? new GrpcError(0, `etcd ${this.url}: the server ended the stream (${path})`)));
    return {
      write: (frame) => {
        if (!ended) req.write(frame);
      },
      cancel: () => {
        ended = true;
        req.close(http2.constants.NGHTTP2_CANCEL);
      },
    };
  }

  close(): void {
    this.#closed = true;
    this.#session?.destroy();
    this.#session = undefined;
  }
}

function grpcMessage(h: IncomingHttpHeaders): string {
  const m = h['grpc-message'];
  if (m === undefined) return '';
  try {
    return decodeURIComponent(String(m));
  } catch {
    return String(m);
  }
}
