/**
 * The protobuf encoding of the few etcd v3 messages the sim's storage sends and reads, as
 * gRPC frames. Field numbers are etcd's (api/etcdserverpb/rpc.proto, api/mvccpb/kv.proto).
 *
 * Why by hand: the general gRPC client (grpc-js through etcd3) cost the sim's apiserver
 * thread about 0.5 ms of CPU per write at the seeds' scale, 44% of the thread with etcd
 * storage; encoding these messages directly into one buffer costs a few microseconds.
 */

/** A gRPC frame's header: a compression flag byte and the message length (big-endian). */
export const FRAME_HEADER = 5;

/** etcd's Compare.CompareTarget and Compare.CompareResult values. */
const TARGET = { create: 1, mod: 2 } as const;
const RESULT = { equal: 0, greater: 1 } as const;

/** One key's state, as etcd's mvccpb.KeyValue. */
export interface WireKeyValue {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
}

export interface WireCompare {
  target: keyof typeof TARGET;
  result: keyof typeof RESULT;
  key: string;
  /** The revision compared with: the key's create_revision or mod_revision (by `target`). */
  revision: number;
}

export type WireRequestOp =
  | { put: { key: string; value: string } }
  | { range: { key: string } }
  | { deleteRange: { key: string; prevKv: boolean } };

export type WireResponseOp = { kind: 'range'; kvs: WireKeyValue[] } | { kind: 'put' } | { kind: 'deleteRange'; prevKvs: WireKeyValue[] } | { kind: 'other' };

export interface WireWatchEvent {
  type: 'put' | 'delete';
  kv: WireKeyValue;
}

export interface WireWatchResponse {
  revision: number;
  watchId: number;
  created: boolean;
  canceled: boolean;
  compactRevision: number;
  cancelReason: string;
  events: WireWatchEvent[];
}

const WIRE_VARINT = 0;
const WIRE_BYTES = 2;

/** Writes one message into a buffer that begins with room for the gRPC frame header. */
class Writer {
  #buf: Buffer;
  #pos = FRAME_HEADER;

  constructor(sizeHint: number) {
    this.#buf = Buffer.allocUnsafe(FRAME_HEADER + sizeHint + 64);
  }

  #room(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#pos + n + 64));
    this.#buf.copy(bigger, 0, 0, this.#pos);
    this.#buf = bigger;
  }

  #varint(n: number): void {
    this.#room(10);
    while (n > 0x7f) {
      this.#buf[this.#pos++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    this.#buf[this.#pos++] = n;
  }

  /** A varint field; proto3 leaves zero out unless `always` (a oneof member is sent even when 0). */
  uint(field: number, n: number, always = false): this {
    if (n === 0 && !always) return this;
    this.#varint((field << 3) | WIRE_VARINT);
    this.#varint(n);
    return this;
  }

  bool(field: number, b: boolean): this {
    return b ? this.uint(field, 1) : this;
  }

  string(field: number, s: string): this {
    const len = Buffer.byteLength(s);
    this.#varint((field << 3) | WIRE_BYTES);
    this.#varint(len);
    this.#room(len);
    this.#pos += this.#buf.write(s, this.#pos, len, 'utf8');
    return this;
  }

  bytes(field: number, b: Buffer): this {
    this.#varint((field << 3) | WIRE_BYTES);
    this.#varint(b.length);
    this.#room(b.length);
    this.#pos += b.copy(this.#buf, this.#pos);
    return this;
  }

  /** A nested message: its length is written once known (the body is moved into place). */
  message(field: number, body: (w: this) => void): this {
    this.#varint((field << 3) | WIRE_BYTES);
    this.#room(5);
    const lenAt = this.#pos;
    this.#pos += 5;
    body(this);
    const len = this.#pos - lenAt - 5;
    let size = 1;
    while (len >= 128 ** size) size++;
    if (size < 5) this.#buf.copy(this.#buf, lenAt + size, lenAt + 5, this.#pos);
    let n = len;
    for (let i = 0; i < size; i++) {
      this.#buf[lenAt + i] = (n % 128) | (i < size - 1 ? 0x80 : 0);
      n = Math.floor(n / 128);
    }
    this.#pos -= 5 - size;
    return this;
  }

  /** The gRPC frame: header, then the message. */
  frame(): Buffer {
    this.#buf[0] = 0;
    this.#buf.writeUInt32BE(this.#pos - FRAME_HEADER, 1);
    return this.#buf.subarray(0, this.#pos);
  }
}

/** Reads the fields of one message. */
class Reader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  more(): boolean {
    return this.pos < this.end;
  }

  varint(): number {
    let n = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.end) throw new Error('etcd response truncated inside a varint');
      const b = this.buf[this.pos++]!;
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n;
      scale *= 128;
    }
  }

  /** The next field's tag: field number * 8 + wire type. */
  tag(): number {
    return this.varint();
  }

  /** A length-delimited field's extent; the reader moves past it. */
  span(): [number, number] {
    const len = this.varint();
    const start = this.pos;
    this.pos += len;
    if (this.pos > this.end) throw new Error('etcd response truncated inside a field');
    return [start, this.pos];
  }

  string(): string {
    const [s, e] = this.span();
    return this.buf.toString('utf8', s, e);
  }

  skip(tag: number): void {
    switch (tag & 7) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        return;
      case 2:
        this.span();
        return;
      case 5:
        this.pos += 4;
        return;
      default:
        throw new Error(`etcd response has a field of wire type ${tag & 7}`);
    }
  }

  /** A nested message's reader; this one moves past it. */
  sub(): Reader {
    const [s, e] = this.span();
    return new Reader(this.buf, s, e);
  }
}

// Requests -------------------------------------------------------------------------------

export function rangeRequest(r: { key: string; rangeEnd?: Buffer; limit?: number; revision?: number; countOnly?: boolean }): Buffer {
  const w = new Writer(r.key.length + 32).string(1, r.key);
  if (r.rangeEnd) w.bytes(2, r.rangeEnd);
  return w
    .uint(3, r.limit ?? 0)
    .uint(4, r.revision ?? 0)
    .bool(9, r.countOnly ?? false)
    .frame();
}

/** A range from `start` (raw bytes: a page continues after a key plus a zero byte). */
export function rangeFromRequest(start: Buffer, rangeEnd: Buffer, limit: number, revision: number): Buffer {
  return new Writer(start.length + rangeEnd.length + 32).bytes(1, start).bytes(2, rangeEnd).uint(3, limit).uint(4, revision).frame();
}

export function txnRequest(compare: WireCompare[], success: WireRequestOp[], failure: WireRequestOp[]): Buffer {
  let hint = 64;
  for (const op of success) if ('put' in op) hint += op.put.key.length + op.put.value.length * 3;
  const w = new Writer(hint);
  for (const c of compare) {
    w.message(1, (m) => m.uint(1, RESULT[c.result]).uint(2, TARGET[c.target]).string(3, c.key).uint(c.target === 'create' ? 5 : 6, c.revision, true));
  }
  const op = (field: number, o: WireRequestOp): void => {
    w.message(field, (m) => {
      if ('put' in o) m.message(2, (p) => p.string(1, o.put.key).string(2, o.put.value));
      else if ('range' in o) m.message(1, (p) => p.string(1, o.range.key));
      else m.message(3, (p) => p.string(1, o.deleteRange.key).bool(3, o.deleteRange.prevKv));
    });
  };
  for (const o of success) op(2, o);
  for (const o of failure) op(3, o);
  return w.frame();
}

export function compactionRequest(revision: number): Buffer {
  return new Writer(16).uint(1, revision).frame();
}

export function statusRequest(): Buffer {
  return new Writer(0).frame();
}

/** WatchRequest.create_request: every event from `startRevision` on for keys in [key, rangeEnd). */
export function watchCreateRequest(key: string, rangeEnd: Buffer, startRevision: number): Buffer {
  return new Writer(key.length + rangeEnd.length + 32).message(1, (c) => c.string(1, key).bytes(2, rangeEnd).uint(3, startRevision)).frame();
}

// Responses ------------------------------------------------------------------------------

/** The varint field `field` of a message (0 when absent), skipping the others. */
function varintField(r: Reader, field: number): number {
  let value = 0;
  while (r.more()) {
    const tag = r.tag();
    if (tag === ((field << 3) | WIRE_VARINT)) value = r.varint();
    else r.skip(tag);
  }
  return value;
}

/** ResponseHeader.revision. */
function headerRevision(r: Reader): number {
  return varintField(r, 3);
}

function keyValue(r: Reader): WireKeyValue {
  const kv: WireKeyValue = { key: '', value: '', createRevision: 0, modRevision: 0 };
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case (1 << 3) | WIRE_BYTES:
        kv.key = r.string();
        break;
      case (2 << 3) | WIRE_VARINT:
        kv.createRevision = r.varint();
        break;
      case (3 << 3) | WIRE_VARINT:
        kv.modRevision = r.varint();
        break;
      case (5 << 3) | WIRE_BYTES:
        kv.value = r.string();
        break;
      default:
        r.skip(tag);
    }
  }
  return kv;
}

export interface WireRangeResponse {
  revision: number;
  kvs: WireKeyValue[];
  more: boolean;
  /** The last key's raw bytes, where the next page starts (keys need not be valid UTF-8). */
  lastKey: Buffer | undefined;
}

function rangeResponse(r: Reader): WireRangeResponse {
  const out: WireRangeResponse = { revision: 0, kvs: [], more: false, lastKey: undefined };
  // Where the last KeyValue lies: its raw key is read once, not for every key of the page.
  let lastStart = -1;
  let lastEnd = -1;
  while (r.more()) {
    const tag = r.tag();
    if (tag === ((1 << 3) | WIRE_BYTES)) out.revision = headerRevision(r.sub());
    else if (tag === ((2 << 3) | WIRE_BYTES)) {
      const sub = r.sub();
      lastStart = sub.pos;
      lastEnd = sub.end;
      out.kvs.push(keyValue(sub));
    } else if (tag === ((3 << 3) | WIRE_VARINT)) out.more = r.varint() !== 0;
    else r.skip(tag);
  }
  if (lastStart >= 0) out.lastKey = rawKey(new Reader(r.buf, lastStart, lastEnd));
  return out;
}

function rawKey(r: Reader): Buffer | undefined {
  while (r.more()) {
    const tag = r.tag();
    if (tag === ((1 << 3) | WIRE_BYTES)) {
      const [s, e] = r.span();
      return Buffer.from(r.buf.subarray(s, e));
    }
    r.skip(tag);
  }
  return undefined;
}

export function decodeRange(payload: Buffer): WireRangeResponse {
  return rangeResponse(new Reader(payload));
}

export function decodeTxn(payload: Buffer): { revision: number; succeeded: boolean; responses: WireResponseOp[] } {
  const r = new Reader(payload);
  const out = { revision: 0, succeeded: false, responses: [] as WireResponseOp[] };
  while (r.more()) {
    const tag = r.tag();
    if (tag === ((1 << 3) | WIRE_BYTES)) out.revision = headerRevision(r.sub());
    else if (tag === ((2 << 3) | WIRE_VARINT)) out.succeeded = r.varint() !== 0;
    else if (tag === ((3 << 3) | WIRE_BYTES)) out.responses.push(responseOp(r.sub()));
    else r.skip(tag);
  }
  return out;
}

function responseOp(r: Reader): WireResponseOp {
  let op: WireResponseOp = { kind: 'other' };
  while (r.more()) {
    const tag = r.tag();
    if (tag === ((1 << 3) | WIRE_BYTES)) op = { kind: 'range', kvs: rangeResponse(r.sub()).kvs };
    else if (tag === ((2 << 3) | WIRE_BYTES)) {
      r.skip(tag);
      op = { kind: 'put' };
    } else if (tag === ((3 << 3) | WIRE_BYTES)) {
      const d = r.sub();
      const prevKvs: WireKeyValue[] = [];
      while (d.more()) {
        const t = d.tag();
        if (t === ((3 << 3) | WIRE_BYTES)) prevKvs.push(keyValue(d.sub()));
        else d.skip(t);
      }
      op = { kind: 'deleteRange', prevKvs };
    } else r.skip(tag);
  }
  return op;
}

/** StatusResponse.dbSize. */
export function decodeStatusDbSize(payload: Buffer): number {
  return varintField(new Reader(payload), 3);
}

export function decodeWatch(payload: Buffer): WireWatchResponse {
  const r = new Reader(payload);
  const out: WireWatchResponse = { revision: 0, watchId: 0, created: false, canceled: false, compactRevision: 0, cancelReason: '', events: [] };
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case (1 << 3) | WIRE_BYTES:
        out.revision = headerRevision(r.sub());
        break;
      case (2 << 3) | WIRE_VARINT:
        out.watchId = r.varint();
        break;
      case (3 << 3) | WIRE_VARINT:
        out.created = r.varint() !== 0;
        break;
      case (4 << 3) | WIRE_VARINT:
        out.canceled = r.varint() !== 0;
        break;
      case (5 << 3) | WIRE_VARINT:
        out.compactRevision = r.varint();
        break;
      case (6 << 3) | WIRE_BYTES:
        out.cancelReason = r.string();
        break;
      case (11 << 3) | WIRE_BYTES: {
        const e = r.sub();
        let type: 'put' | 'delete' = 'put';
        let kv: WireKeyValue | undefined;
        while (e.more()) {
          const t = e.tag();
          if (t === ((1 << 3) | WIRE_VARINT)) type = e.varint() === 1 ? 'delete' : 'put';
          else if (t === ((2 << 3) | WIRE_BYTES)) kv = keyValue(e.sub());
          else e.skip(t);
        }
        if (kv) out.events.push({ type, kv });
        break;
      }
      default:
        r.skip(tag);
    }
  }
  return out;
}

/**
 * Splits a stream of gRPC frames into messages, across data chunks (a frame may span
 * several chunks, a chunk may hold several frames).
 */
export class FrameReader {
  #chunks: Buffer[] = [];
  #have = 0;

  push(chunk: Buffer, onMessage: (payload: Buffer) => void): void {
    this.#chunks.push(chunk);
    this.#have += chunk.length;
    for (;;) {
      if (this.#have < FRAME_HEADER) return;
      let head = this.#chunks[0]!;
      if (head.length < FRAME_HEADER) head = this.#join();
      if (head[0] !== 0) throw new Error('etcd sent a compressed gRPC message');
      const len = head.readUInt32BE(1);
      if (this.#have < FRAME_HEADER + len) return;
      if (head.length < FRAME_HEADER + len) head = this.#join();
      const payload = head.subarray(FRAME_HEADER, FRAME_HEADER + len);
      const rest = head.subarray(FRAME_HEADER + len);
      this.#have -= FRAME_HEADER + len;
      if (rest.length > 0) this.#chunks[0] = rest;
      else this.#chunks.shift();
      onMessage(payload);
    }
  }

  #join(): Buffer {
    const all = Buffer.concat(this.#chunks, this.#have);
    this.#chunks = [all];
    return all;
  }
}
