import net from 'node:net';
import { HpackDecoder, HpackError } from './hpack.js';

/**
 * A minimal HTTP/2 client connection (RFC 9113) over cleartext TCP with prior knowledge, for
 * etcd-grpc.ts. Why not node:http2: its per-stream JavaScript (request setup, header object
 * mapping, a Duplex and its events per call) was about half of the etcd thread at ~1,500
 * calls/s. Here a stream is one small object with three callbacks, and everything written
 * during one turn of the event loop goes to the socket as one write.
 *
 * What a gRPC client needs and no more: requests only (no server push), DATA and HEADERS
 * both ways, flow control both ways, SETTINGS, PING, RST_STREAM and GOAWAY.
 */

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const FRAME_HEADER = 9;

const DATA = 0x0;
const HEADERS = 0x1;
const RST_STREAM = 0x3;
const SETTINGS = 0x4;
const PUSH_PROMISE = 0x5;
const PING = 0x6;
const GOAWAY = 0x7;
const WINDOW_UPDATE = 0x8;
const CONTINUATION = 0x9;

const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;

const SETTINGS_HEADER_TABLE_SIZE = 0x1;
const SETTINGS_ENABLE_PUSH = 0x2;
const SETTINGS_MAX_CONCURRENT_STREAMS = 0x3;
const SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
const SETTINGS_MAX_FRAME_SIZE = 0x5;

const PROTOCOL_ERROR = 0x1;
const FLOW_CONTROL_ERROR = 0x3;
const FRAME_SIZE_ERROR = 0x6;
export const H2_CANCEL = 0x8;
const COMPRESSION_ERROR = 0x9;
const ERROR_NAMES = [
  'NO_ERROR',
  'PROTOCOL_ERROR',
  'INTERNAL_ERROR',
  'FLOW_CONTROL_ERROR',
  'SETTINGS_TIMEOUT',
  'STREAM_CLOSED',
  'FRAME_SIZE_ERROR',
  'REFUSED_STREAM',
  'CANCEL',
  'COMPRESSION_ERROR',
  'CONNECT_ERROR',
  'ENHANCE_YOUR_CALM',
  'INADEQUATE_SECURITY',
  'HTTP_1_1_REQUIRED',
];
const errorName = (code: number): string => ERROR_NAMES[code] ?? `error ${code}`;

/** HTTP/2's defaults until the server's SETTINGS say otherwise. */
const DEFAULT_WINDOW = 65_535;
const DEFAULT_MAX_FRAME = 16_384;
const MAX_WINDOW = 2 ** 31 - 1;
const MAX_STREAM_ID = 2 ** 31 - 1;
/** A header block split over CONTINUATION frames may not grow past this (a broken peer). */
const MAX_HEADER_BLOCK = 1 << 20;

/** What a stream's owner hears. */
export interface H2Handlers {
  /** A header block: the response's headers or its trailers (`end`: it ends the stream). Fields flattened: name, value, ... */
  onHeaders(fields: string[], end: boolean): void;
  /** Response body bytes, as they arrive. */
  onData(data: Buffer): void;
  /**
   * Once, when the stream is over: `failure` is undefined when the server ended it, else
   * why it failed (reset, GOAWAY, the connection lost). Not called after `reset()`.
   */
  onClose(failure: string | undefined): void;
}

export interface H2Options {
  /** The receive window for the connection and for each stream (SETTINGS_INITIAL_WINDOW_SIZE). */
  windowSize: number;
}

/** One request stream. Its id is 0 until it is opened (the server limits streams at once). */
export class H2Stream {
  id = 0;
  /** How much DATA the server's window for this stream still takes. */
  sendWindow = 0;
  /** DATA received and not yet given back by a WINDOW_UPDATE. */
  recvUnacked = 0;
  /** DATA not yet sent (flow control, or the stream not yet open). */
  queue: Buffer[] = [];
  /** The caller has no more to send; `localEnded` once END_STREAM is written. */
  endQueued = false;
  localEnded = false;
  remoteEnded = false;
  closed = false;

  constructor(
    private readonly conn: H2Connection,
    /** The request's header block, until the stream is opened. */
    public block: Buffer | undefined,
    readonly handlers: H2Handlers,
  ) {}

  /** Sends body bytes; `end` ends this side of the stream. Nothing happens once the stream is over. */
  write(data: Buffer, end = false): void {
    if (this.closed || this.endQueued) return;
    if (data.length > 0) this.queue.push(data);
    if (end) this.endQueued = true;
    if (this.id !== 0) this.conn.pump(this);
  }

  /** Ends the stream from this side (RST_STREAM CANCEL); its handlers hear nothing more. */
  reset(code = H2_CANCEL): void {
    if (this.closed) return;
    this.conn.reset(this, code);
  }
}

export class H2Connection {
  readonly #socket: net.Socket;
  readonly #window: number;
  readonly #decoder = new HpackDecoder();

  /** Frames written this turn of the event loop, written to the socket at its end. */
  #out: Buffer[] = [];
  #outBytes = 0;
  #flushing = false;

  readonly #streams = new Map<number, H2Stream>();
  /** Streams not yet opened: before the server's first SETTINGS, or above its stream limit. */
  #waiting: H2Stream[] = [];
  /** Open streams with DATA held back by flow control. */
  readonly #blocked = new Set<H2Stream>();
  #nextId = 1;

  #sendWindow = DEFAULT_WINDOW;
  #recvUnacked = 0;
  #peerWindow = DEFAULT_WINDOW;
  #peerMaxFrame = DEFAULT_MAX_FRAME;
  #peerMaxStreams = Infinity;
  #settled = false;

  /** A header block being continued: its stream, fragments and END_STREAM flag. */
  #contId = 0;
  #contChunks: Buffer[] = [];
  #contBytes = 0;
  #contEnd = false;

  /** Bytes of a frame split across socket reads. */
  #partial: Buffer | undefined;
  #goaway = false;
  #dead = false;
  #failure: string | undefined;

  constructor(host: string, port: number, options: H2Options) {
    this.#window = options.windowSize;
    this.#socket = net.connect({ host, port, noDelay: true });
    this.#socket.on('data', (chunk: Buffer) => this.#read(chunk));
    this.#socket.on('error', (e: Error) => (this.#failure ??= e.message));
    this.#socket.on('close', () => this.#lost());
    // The preface, our settings and a wider connection window go out before the server's
    // settings arrive: HTTP/2 allows it, and it saves a round trip.
    const settings = Buffer.allocUnsafe(12);
    settings.writeUInt16BE(SETTINGS_ENABLE_PUSH, 0);
    settings.writeUInt32BE(0, 2);
    settings.writeUInt16BE(SETTINGS_INITIAL_WINDOW_SIZE, 6);
    settings.writeUInt32BE(this.#window, 8);
    this.#push(PREFACE);
    this.#frame(SETTINGS, 0, 0, settings);
    if (this.#window > DEFAULT_WINDOW) this.#windowUpdate(0, this.#window - DEFAULT_WINDOW);
  }

  /** Whether new streams may start here (not lost, closed or told to go away). */
  get usable(): boolean {
    return !this.#dead && !this.#goaway && !this.#idsUsedUp();
  }

  /** Whether every stream id is taken by a stream opened or waiting (a new connection takes the next). */
  #idsUsedUp(): boolean {
    return this.#nextId + 2 * this.#waiting.length > MAX_STREAM_ID;
  }

  /** Starts a request with this header block; body bytes follow through `write`. */
  request(block: Buffer, handlers: H2Handlers): H2Stream {
    const s = new H2Stream(this, block, handlers);
    if (!this.usable) {
      const why = this.#failure ?? 'the connection is closing';
      queueMicrotask(() => this.#finish(s, why));
      return s;
    }
    if (this.#settled && this.#waiting.length === 0 && this.#streams.size < this.#peerMaxStreams) this.#open(s);
    else this.#waiting.push(s);
    return s;
  }

  /** Closes the connection; its streams fail (asynchronously, as with a lost connection). */
  close(): void {
    if (this.#dead) return;
    this.#failure ??= 'the client closed the connection';
    this.#dead = true;
    this.#socket.destroy();
  }

  /** Sends what flow control allows of a stream's queued DATA. */
  pump(s: H2Stream): void {
    if (s.closed || s.id === 0) return;
    const q = s.queue;
    while (q.length > 0) {
      const room = Math.min(this.#sendWindow, s.sendWindow, this.#peerMaxFrame);
      if (room <= 0) {
        this.#blocked.add(s);
        return;
      }
      const chunk = q[0]!;
      let sent: Buffer;
      if (chunk.length > room) {
        sent = chunk.subarray(0, room);
        q[0] = chunk.subarray(room);
      } else {
        sent = chunk;
        q.shift();
      }
      const end = q.length === 0 && s.endQueued;
      this.#frame(DATA, end ? END_STREAM : 0, s.id, sent);
      this.#sendWindow -= sent.length;
      s.sendWindow -= sent.length;
      if (end) s.localEnded = true;
    }
    this.#blocked.delete(s);
    if (s.endQueued && !s.localEnded) {
      this.#frame(DATA, END_STREAM, s.id, undefined);
      s.localEnded = true;
    }
  }

  reset(s: H2Stream, code: number): void {
    if (s.id === 0) {
      s.closed = true;
      const i = this.#waiting.indexOf(s);
      if (i >= 0) this.#waiting.splice(i, 1);
      return;
    }
    this.#rstStream(s.id, code);
    this.#drop(s);
  }

  #open(s: H2Stream): void {
    s.id = this.#nextId;
    this.#nextId += 2;
    s.sendWindow = this.#peerWindow;
    this.#streams.set(s.id, s);
    const block = s.block!;
    s.block = undefined;
    // No body and no more to come: the HEADERS frame ends this side.
    const endNow = s.endQueued && s.queue.length === 0;
    if (endNow) s.localEnded = true;
    const flags = endNow ? END_STREAM : 0;
    if (block.length <= this.#peerMaxFrame) {
      this.#frame(HEADERS, flags | END_HEADERS, s.id, block);
    } else {
      let at = this.#peerMaxFrame;
      this.#frame(HEADERS, flags, s.id, block.subarray(0, at));
      while (at < block.length) {
        const next = Math.min(at + this.#peerMaxFrame, block.length);
        this.#frame(CONTINUATION, next === block.length ? END_HEADERS : 0, s.id, block.subarray(at, next));
        at = next;
      }
    }
    if (s.queue.length > 0 || (s.endQueued && !s.localEnded)) this.pump(s);
  }

  /** Opens waiting streams while the server's limit allows. */
  #openWaiting(): void {
    if (!this.#settled) return;
    while (this.#waiting.length > 0 && this.#streams.size < this.#peerMaxStreams && !this.#dead && !this.#goaway) {
      const s = this.#waiting.shift()!;
      this.#open(s);
    }
  }

  /** A stream is over: forget it and tell its owner. */
  #finish(s: H2Stream, failure: string | undefined): void {
    if (s.closed) return;
    this.#drop(s);
    s.handlers.onClose(failure);
  }

  #drop(s: H2Stream): void {
    s.closed = true;
    s.queue = [];
    if (s.id !== 0) {
      this.#streams.delete(s.id);
      this.#blocked.delete(s);
    }
    this.#openWaiting();
    // After GOAWAY, or with its stream ids used up, the connection ends once its last stream does.
    if ((this.#goaway || this.#idsUsedUp()) && this.#streams.size === 0 && this.#waiting.length === 0 && !this.#dead) {
      this.#failure ??= 'the connection was retired';
      this.#dead = true;
      this.#flush();
      this.#socket.end();
    }
  }

  /** The socket closed: every stream still here fails. */
  #lost(): void {
    this.#dead = true;
    const why = this.#failure ?? 'the connection closed';
    const all = [...this.#streams.values(), ...this.#waiting];
    this.#waiting = [];
    for (const s of all) this.#finish(s, why);
  }

  /** A connection error: tell the server (GOAWAY) and drop the connection. */
  #fatal(code: number, message: string): void {
    if (this.#dead) return;
    this.#failure ??= `HTTP/2 ${errorName(code)}: ${message}`;
    const payload = Buffer.alloc(8);
    payload.writeUInt32BE(code, 4);
    this.#frame(GOAWAY, 0, 0, payload);
    this.#flush();
    this.#dead = true;
    // The GOAWAY goes out before the socket is dropped; the streams fail now.
    this.#socket.end(() => this.#socket.destroy());
    this.#lost();
  }

  // --- writing ---

  #push(b: Buffer): void {
    this.#out.push(b);
    this.#outBytes += b.length;
    if (!this.#flushing) {
      this.#flushing = true;
      process.nextTick(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushing = false;
    if (this.#out.length === 0) return;
    const out = this.#out.length === 1 ? this.#out[0]! : Buffer.concat(this.#out, this.#outBytes);
    this.#out = [];
    this.#outBytes = 0;
    if (!this.#socket.destroyed) this.#socket.write(out);
  }

  #frame(type: number, flags: number, id: number, payload: Buffer | undefined): void {
    const len = payload ? payload.length : 0;
    const h = Buffer.allocUnsafe(FRAME_HEADER);
    h[0] = len >>> 16;
    h[1] = (len >>> 8) & 0xff;
    h[2] = len & 0xff;
    h[3] = type;
    h[4] = flags;
    h.writeUInt32BE(id, 5);
    this.#push(h);
    if (payload && len > 0) this.#push(payload);
  }

  #windowUpdate(id: number, increment: number): void {
    const p = Buffer.allocUnsafe(4);
    p.writeUInt32BE(increment, 0);
    this.#frame(WINDOW_UPDATE, 0, id, p);
  }

  #rstStream(id: number, code: number): void {
    const p = Buffer.allocUnsafe(4);
    p.writeUInt32BE(code, 0);
    this.#frame(RST_STREAM, 0, id, p);
  }

  // --- reading ---

  #read(chunk: Buffer): void {
    if (this.#dead) return;
    let buf = chunk;
    if (this.#partial) {
      // At most one frame's worth is carried over, so joining costs little.
      buf = Buffer.concat([this.#partial, chunk]);
      this.#partial = undefined;
    }
    let pos = 0;
    const end = buf.length;
    while (end - pos >= FRAME_HEADER) {
      const len = (buf[pos]! << 16) | (buf[pos + 1]! << 8) | buf[pos + 2]!;
      // We never raise SETTINGS_MAX_FRAME_SIZE from its default.
      if (len > DEFAULT_MAX_FRAME) {
        this.#fatal(FRAME_SIZE_ERROR, `a ${len}-byte frame`);
        return;
      }
      if (end - pos < FRAME_HEADER + len) break;
      const type = buf[pos + 3]!;
      const flags = buf[pos + 4]!;
      const id = buf.readUInt32BE(pos + 5) & 0x7fffffff;
      const start = pos + FRAME_HEADER;
      pos = start + len;
      this.#onFrame(type, flags, id, buf, start, pos);
      if (this.#dead) return;
    }
    if (pos < end) this.#partial = buf.subarray(pos);
  }

  #onFrame(type: number, flags: number, id: number, buf: Buffer, start: number, end: number): void {
    if (this.#contId !== 0 && (type !== CONTINUATION || id !== this.#contId)) {
      this.#fatal(PROTOCOL_ERROR, 'a frame inside a header block');
      return;
    }
    switch (type) {
      case DATA:
        this.#onData(flags, id, buf, start, end);
        return;
      case HEADERS:
        this.#onHeaders(flags, id, buf, start, end);
        return;
      case CONTINUATION:
        this.#onContinuation(flags, id, buf, start, end);
        return;
      case RST_STREAM: {
        if (end - start !== 4) return this.#fatal(FRAME_SIZE_ERROR, 'RST_STREAM');
        const s = this.#streams.get(id);
        if (s) this.#finish(s, `the server reset the stream (${errorName(buf.readUInt32BE(start))})`);
        return;
      }
      case SETTINGS:
        this.#onSettings(flags, id, buf, start, end);
        return;
      case PUSH_PROMISE:
        this.#fatal(PROTOCOL_ERROR, 'PUSH_PROMISE, with push disabled');
        return;
      case PING:
        if (end - start !== 8) return this.#fatal(FRAME_SIZE_ERROR, 'PING');
        if ((flags & ACK) === 0) this.#frame(PING, ACK, 0, Buffer.from(buf.subarray(start, end)));
        return;
      case GOAWAY:
        this.#onGoaway(buf, start, end);
        return;
      case WINDOW_UPDATE:
        this.#onWindowUpdate(id, buf, start, end);
        return;
      default:
        // PRIORITY and unknown frame types: nothing to do (RFC 9113 section 5.5).
        return;
    }
  }

  #onData(flags: number, id: number, buf: Buffer, start: number, end: number): void {
    if (id === 0) return this.#fatal(PROTOCOL_ERROR, 'DATA on stream 0');
    const len = end - start;
    // The whole frame, padding too, counts against the windows; a closed stream's too.
    this.#recvUnacked += len;
    if (this.#recvUnacked >= this.#window / 2) {
      this.#windowUpdate(0, this.#recvUnacked);
      this.#recvUnacked = 0;
    }
    let dataEnd = end;
    let dataStart = start;
    if (flags & PADDED) {
      if (len < 1 || buf[start]! >= len) return this.#fatal(PROTOCOL_ERROR, 'DATA padding');
      dataEnd = end - buf[start]!;
      dataStart = start + 1;
    }
    const s = this.#streams.get(id);
    if (!s || s.remoteEnded) return;
    s.recvUnacked += len;
    if (dataEnd > dataStart) s.handlers.onData(buf.subarray(dataStart, dataEnd));
    if (s.closed) return;
    if (flags & END_STREAM) {
      this.#remoteEnd(s);
    } else if (s.recvUnacked >= this.#window / 2) {
      this.#windowUpdate(id, s.recvUnacked);
      s.recvUnacked = 0;
    }
  }

  #onHeaders(flags: number, id: number, buf: Buffer, start: number, end: number): void {
    if (id === 0) return this.#fatal(PROTOCOL_ERROR, 'HEADERS on stream 0');
    let from = start;
    let to = end;
    if (flags & PADDED) {
      if (end - start < 1) return this.#fatal(PROTOCOL_ERROR, 'HEADERS padding');
      to -= buf[start]!;
      from++;
    }
    if (flags & PRIORITY) from += 5;
    if (to < from) return this.#fatal(PROTOCOL_ERROR, 'HEADERS padding');
    const fragment = buf.subarray(from, to);
    if (flags & END_HEADERS) {
      this.#onHeaderBlock(id, fragment, (flags & END_STREAM) !== 0);
      return;
    }
    this.#contId = id;
    this.#contChunks = [fragment];
    this.#contBytes = fragment.length;
    this.#contEnd = (flags & END_STREAM) !== 0;
  }

  #onContinuation(flags: number, id: number, buf: Buffer, start: number, end: number): void {
    if (this.#contId === 0 || id !== this.#contId) return this.#fatal(PROTOCOL_ERROR, 'CONTINUATION out of place');
    this.#contChunks.push(buf.subarray(start, end));
    this.#contBytes += end - start;
    if (this.#contBytes > MAX_HEADER_BLOCK) return this.#fatal(PROTOCOL_ERROR, 'a header block too large');
    if ((flags & END_HEADERS) === 0) return;
    const block = Buffer.concat(this.#contChunks, this.#contBytes);
    this.#contId = 0;
    this.#contChunks = [];
    this.#onHeaderBlock(id, block, this.#contEnd);
  }

  #onHeaderBlock(id: number, block: Buffer, end: boolean): void {
    let fields: string[];
    try {
      // Decoded even for a stream we no longer follow: the table is shared by all blocks.
      fields = this.#decoder.decode(block);
    } catch (e) {
      if (e instanceof HpackError) return this.#fatal(COMPRESSION_ERROR, e.message);
      throw e;
    }
    const s = this.#streams.get(id);
    if (!s || s.remoteEnded) return;
    s.handlers.onHeaders(fields, end);
    if (end && !s.closed) this.#remoteEnd(s);
  }

  /** The server ended its side: the call is over, so this side ends too. */
  #remoteEnd(s: H2Stream): void {
    s.remoteEnded = true;
    // A gRPC server ends a call when it is done with it; anything still to send is moot.
    if (!s.localEnded) this.#rstStream(s.id, H2_CANCEL);
    this.#finish(s, undefined);
  }

  #onSettings(flags: number, id: number, buf: Buffer, start: number, end: number): void {
    if (id !== 0) return this.#fatal(PROTOCOL_ERROR, 'SETTINGS on a stream');
    if (flags & ACK) return;
    if ((end - start) % 6 !== 0) return this.#fatal(FRAME_SIZE_ERROR, 'SETTINGS');
    let widened = false;
    for (let p = start; p < end; p += 6) {
      const key = buf.readUInt16BE(p);
      const value = buf.readUInt32BE(p + 2);
      switch (key) {
        case SETTINGS_HEADER_TABLE_SIZE:
          // Our encoder never adds to the dynamic table: any size suits it.
          break;
        case SETTINGS_MAX_CONCURRENT_STREAMS:
          this.#peerMaxStreams = value;
          break;
        case SETTINGS_INITIAL_WINDOW_SIZE: {
          if (value > MAX_WINDOW) return this.#fatal(FLOW_CONTROL_ERROR, `initial window ${value}`);
          // A change applies to the open streams' windows too (RFC 9113 section 6.9.2).
          const delta = value - this.#peerWindow;
          this.#peerWindow = value;
          for (const s of this.#streams.values()) s.sendWindow += delta;
          if (delta > 0) widened = true;
          break;
        }
        case SETTINGS_MAX_FRAME_SIZE:
          if (value < DEFAULT_MAX_FRAME || value > 0xffffff) return this.#fatal(PROTOCOL_ERROR, `max frame size ${value}`);
          this.#peerMaxFrame = value;
          break;
        default:
          break;
      }
    }
    this.#frame(SETTINGS, ACK, 0, undefined);
    this.#settled = true;
    this.#openWaiting();
    if (widened) this.#pumpBlocked();
  }

  #onWindowUpdate(id: number, buf: Buffer, start: number, end: number): void {
    if (end - start !== 4) return this.#fatal(FRAME_SIZE_ERROR, 'WINDOW_UPDATE');
    const inc = buf.readUInt32BE(start) & 0x7fffffff;
    if (id === 0) {
      if (inc === 0) return this.#fatal(PROTOCOL_ERROR, 'a zero WINDOW_UPDATE');
      this.#sendWindow += inc;
      if (this.#sendWindow > MAX_WINDOW) return this.#fatal(FLOW_CONTROL_ERROR, 'the connection window overflowed');
      this.#pumpBlocked();
      return;
    }
    const s = this.#streams.get(id);
    if (!s) return;
    if (inc === 0 || s.sendWindow + inc > MAX_WINDOW) {
      this.#rstStream(id, inc === 0 ? PROTOCOL_ERROR : FLOW_CONTROL_ERROR);
      this.#finish(s, 'a bad WINDOW_UPDATE from the server');
      return;
    }
    s.sendWindow += inc;
    if (s.queue.length > 0) this.pump(s);
  }

  #pumpBlocked(): void {
    for (const s of [...this.#blocked]) {
      if (this.#sendWindow <= 0) return;
      this.pump(s);
    }
  }

  #onGoaway(buf: Buffer, start: number, end: number): void {
    if (end - start < 8) return this.#fatal(FRAME_SIZE_ERROR, 'GOAWAY');
    const last = buf.readUInt32BE(start) & 0x7fffffff;
    const code = buf.readUInt32BE(start + 4);
    const debug = buf.toString('latin1', start + 8, end);
    const why = `the server sent GOAWAY (${errorName(code)}${debug ? `: ${debug}` : ''})`;
    this.#goaway = true;
    this.#failure ??= why;
    // Streams above `last` were not processed; those not yet opened never will be here.
    const failed = [...this.#waiting, ...[...this.#streams.values()].filter((s) => s.id > last)];
    this.#waiting = [];
    for (const s of failed) this.#finish(s, why);
    if (this.#streams.size === 0 && !this.#dead) {
      this.#dead = true;
      this.#flush();
      this.#socket.end();
    }
  }
}
