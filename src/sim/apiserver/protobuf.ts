import { KIND_MESSAGES, MESSAGES, type FieldDef } from './protobuf-schema.js';
import { rfc3339Micro, rfc3339Seconds } from './types.js';

/**
 * Decodes Kubernetes protobuf request bodies (`k8s\0` + runtime.Unknown envelope) into the
 * JSON the same client would have sent, for the kinds in protobuf-schema. Go's encoder
 * writes every non-pointer field even when empty, so zero values are dropped the way
 * `omitempty` would. A field the schema does not know, with content, makes decoding fail
 * rather than lose data silently.
 */
export class ProtobufDecodeError extends Error {}

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new ProtobufDecodeError('truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw new ProtobufDecodeError('varint too long');
    }
  }
  bytes(): Buffer {
    const len = Number(this.varint());
    if (len < 0 || this.pos + len > this.buf.length) throw new ProtobufDecodeError('truncated length-delimited field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  skip(wireType: number): boolean {
    // Returns whether the skipped value was empty (zero / zero-length).
    switch (wireType) {
      case 0:
        return this.varint() === 0n;
      case 1:
        this.pos += 8;
        return false;
      case 2:
        return this.bytes().length === 0;
      case 5:
        this.pos += 4;
        return false;
      default:
        throw new ProtobufDecodeError(`unsupported wire type ${wireType}`);
    }
  }
}

function signed64(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}

function time(buf: Buffer, micro: boolean): string | undefined {
  const r = new Reader(buf);
  let seconds = 0;
  let nanos = 0;
  while (!r.done) {
    const tag = Number(r.varint());
    if (tag >> 3 === 1) seconds = signed64(r.varint());
    else if (tag >> 3 === 2) nanos = signed64(r.varint());
    else r.skip(tag & 7);
  }
  if (seconds === 0 && nanos === 0) return undefined;
  const ms = seconds * 1000 + nanos / 1e6;
  return micro ? rfc3339Micro(ms) : rfc3339Seconds(ms);
}

function stringField(buf: Buffer, field: number): string {
  const r = new Reader(buf);
  let out = '';
  while (!r.done) {
    const tag = Number(r.varint());
    if (tag >> 3 === field && (tag & 7) === 2) out = r.bytes().toString('utf8');
    else r.skip(tag & 7);
  }
  return out;
}

function intOrString(buf: Buffer): number | string {
  const r = new Reader(buf);
  let type = 0;
  let intVal = 0;
  let strVal = '';
  while (!r.done) {
    const tag = Number(r.varint());
    const f = tag >> 3;
    if (f === 1) type = signed64(r.varint());
    else if (f === 2) intVal = signed64(r.varint());
    else if (f === 3) strVal = r.bytes().toString('utf8');
    else r.skip(tag & 7);
  }
  return type === 0 ? intVal : strVal;
}

function scalar(def: FieldDef, r: Reader): unknown {
  switch (def.type) {
    case 's':
      return r.bytes().toString('utf8');
    case 'bytes':
      return r.bytes().toString('base64');
    case 'i32':
    case 'i64':
      return signed64(r.varint());
    case 'b':
      return r.varint() !== 0n;
    case 'time':
      return time(r.bytes(), false);
    case 'micro':
      return time(r.bytes(), true);
    case 'q':
      return stringField(r.bytes(), 1);
    case 'ios':
      return intOrString(r.bytes());
    case 'fields': {
      const raw = stringField(r.bytes(), 1);
      return raw ? (JSON.parse(raw) as unknown) : {};
    }
    default:
      return decodeMessage(r.bytes(), def.type);
  }
}

function mapEntry(buf: Buffer, valueType: 's' | 'bytes' | 'q'): [string, string] {
  const r = new Reader(buf);
  let key = '';
  let value = '';
  while (!r.done) {
    const tag = Number(r.varint());
    const f = tag >> 3;
    if (f === 1) key = r.bytes().toString('utf8');
    else if (f === 2) {
      const b = r.bytes();
      value = valueType === 'bytes' ? b.toString('base64') : valueType === 'q' ? stringField(b, 1) : b.toString('utf8');
    } else r.skip(tag & 7);
  }
  return [key, value];
}

function isZero(v: unknown): boolean {
  return v === undefined || v === '' || v === 0 || v === false;
}

export function decodeMessage(buf: Buffer, message: string): Record<string, unknown> {
  const fields = MESSAGES.get(message);
  if (!fields) throw new ProtobufDecodeError(`no protobuf schema for ${message}`);
  const out: Record<string, unknown> = {};
  const r = new Reader(buf);
  while (!r.done) {
    const tag = Number(r.varint());
    const num = tag >> 3;
    const wireType = tag & 7;
    const def = fields.get(num);
    if (!def) {
      if (!r.skip(wireType)) {
        throw new ProtobufDecodeError(`field ${num} of ${message} is not supported in protobuf by the sim; send the object as JSON`);
      }
      continue;
    }
    if (def.type === 'map') {
      const [k, v] = mapEntry(r.bytes(), def.map!);
      const m = (out[def.name] ??= {}) as Record<string, string>;
      m[k] = v;
      continue;
    }
    if (def.repeated) {
      // Scalars may arrive packed (one length-delimited run) or one per tag.
      if (wireType === 2 && (def.type === 'i32' || def.type === 'i64' || def.type === 'b')) {
        const inner = new Reader(r.bytes());
        const list = (out[def.name] ??= []) as unknown[];
        while (!inner.done) list.push(scalar(def, inner));
        continue;
      }
      ((out[def.name] ??= []) as unknown[]).push(scalar(def, r));
      continue;
    }
    const v = scalar(def, r);
    if (isZero(v) && !def.keepZero) delete out[def.name];
    else if (v !== undefined) out[def.name] = v;
  }
  return out;
}

export function isProtobufContentType(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase() === 'application/vnd.kubernetes.protobuf';
}

/** Decodes a `k8s\0`-framed body into a JSON object with apiVersion and kind. */
export function decodeKubernetesProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) {
    throw new ProtobufDecodeError('the body does not start with the Kubernetes protobuf magic number');
  }
  const r = new Reader(body.subarray(4));
  let apiVersion = '';
  let kind = '';
  let raw: Buffer | undefined;
  let encoding = '';
  while (!r.done) {
    const tag = Number(r.varint());
    const f = tag >> 3;
    if (f === 1) {
      const tm = new Reader(r.bytes());
      while (!tm.done) {
        const t = Number(tm.varint());
        if (t >> 3 === 1) apiVersion = tm.bytes().toString('utf8');
        else if (t >> 3 === 2) kind = tm.bytes().toString('utf8');
        else tm.skip(t & 7);
      }
    } else if (f === 2) raw = r.bytes();
    else if (f === 3) encoding = r.bytes().toString('utf8');
    else r.skip(tag & 7);
  }
  if (encoding) throw new ProtobufDecodeError(`content encoding ${encoding} is not supported`);
  const message = KIND_MESSAGES[`${apiVersion}/${kind}`];
  if (!message) throw new ProtobufDecodeError(`the sim does not decode ${kind} (${apiVersion}) from protobuf; send it as JSON`);
  return { apiVersion, kind, ...decodeMessage(raw ?? Buffer.alloc(0), message) };
}
