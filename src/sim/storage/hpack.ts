import { huffmanDecode } from './hpack-huffman.js';

/**
 * HPACK (RFC 7541), for h2-client.ts. The decoder is complete: etcd's server (Go's hpack)
 * indexes its answers' fields into the dynamic table and Huffman-codes strings, so every form
 * occurs. The encoder is the least that is valid: static-table references and literals that
 * never touch the dynamic table, so the server's HEADER_TABLE_SIZE never matters to it.
 */

/** RFC 7541 Appendix A; index i + 1 is entry i. */
const STATIC: readonly (readonly [string, string])[] = [
  [':authority', ''],
  [':method', 'GET'],
  [':method', 'POST'],
  [':path', '/'],
  [':path', '/index.html'],
  [':scheme', 'http'],
  [':scheme', 'https'],
  [':status', '200'],
  [':status', '204'],
  [':status', '206'],
  [':status', '304'],
  [':status', '400'],
  [':status', '404'],
  [':status', '500'],
  ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'],
  ['accept-language', ''],
  ['accept-ranges', ''],
  ['accept', ''],
  ['access-control-allow-origin', ''],
  ['age', ''],
  ['allow', ''],
  ['authorization', ''],
  ['cache-control', ''],
  ['content-disposition', ''],
  ['content-encoding', ''],
  ['content-language', ''],
  ['content-length', ''],
  ['content-location', ''],
  ['content-range', ''],
  ['content-type', ''],
  ['cookie', ''],
  ['date', ''],
  ['etag', ''],
  ['expect', ''],
  ['expires', ''],
  ['from', ''],
  ['host', ''],
  ['if-match', ''],
  ['if-modified-since', ''],
  ['if-none-match', ''],
  ['if-range', ''],
  ['if-unmodified-since', ''],
  ['last-modified', ''],
  ['link', ''],
  ['location', ''],
  ['max-forwards', ''],
  ['proxy-authenticate', ''],
  ['proxy-authorization', ''],
  ['range', ''],
  ['referer', ''],
  ['refresh', ''],
  ['retry-after', ''],
  ['server', ''],
  ['set-cookie', ''],
  ['strict-transport-security', ''],
  ['transfer-encoding', ''],
  ['user-agent', ''],
  ['vary', ''],
  ['via', ''],
  ['www-authenticate', ''],
];

/** An entry's size in the dynamic table: its octets plus 32 (RFC 7541 section 4.1). */
const ENTRY_OVERHEAD = 32;
/** HTTP/2's default SETTINGS_HEADER_TABLE_SIZE, the most a decoder must keep unless it says more. */
export const DEFAULT_TABLE_SIZE = 4096;

export class HpackError extends Error {}

/**
 * Decodes header blocks of one connection, in order (the dynamic table carries over from
 * block to block). Names and values are latin1 strings: header octets one to one.
 */
export class HpackDecoder {
  /** The dynamic table, oldest first: index 62 is the last element. */
  readonly #names: string[] = [];
  readonly #values: string[] = [];
  #size = 0;
  #maxSize: number;
  #buf: Buffer = Buffer.alloc(0);
  #pos = 0;
  #end = 0;

  /** `limit`: the table size this side allows (its SETTINGS_HEADER_TABLE_SIZE). */
  constructor(private readonly limit = DEFAULT_TABLE_SIZE) {
    this.#maxSize = limit;
  }

  /** The fields of one whole header block, flattened: name, value, name, value, ... */
  decode(block: Buffer, start = 0, end = block.length): string[] {
    this.#buf = block;
    this.#pos = start;
    this.#end = end;
    const out: string[] = [];
    while (this.#pos < this.#end) {
      const b = block[this.#pos]!;
      if (b & 0x80) {
        const [name, value] = this.#entry(this.#int(7));
        out.push(name, value);
      } else if (b & 0x40) {
        const index = this.#int(6);
        const name = index === 0 ? this.#string() : this.#entry(index)[0];
        const value = this.#string();
        this.#insert(name, value);
        out.push(name, value);
      } else if (b & 0x20) {
        // A size update may only come before the block's first field (section 4.2).
        if (out.length > 0) throw new HpackError('hpack: a table size update after a field');
        const size = this.#int(5);
        if (size > this.limit) throw new HpackError(`hpack: table size ${size} above the ${this.limit} allowed`);
        this.#maxSize = size;
        this.#evict(0);
      } else {
        // Without indexing (0000) or never indexed (0001): the same to a decoder.
        const index = this.#int(4);
        const name = index === 0 ? this.#string() : this.#entry(index)[0];
        out.push(name, this.#string());
      }
    }
    this.#buf = Buffer.alloc(0);
    return out;
  }

  /** The dynamic table's current size in octets (for tests). */
  get tableSize(): number {
    return this.#size;
  }

  /** The dynamic table's entries, newest first (for tests). */
  get table(): [string, string][] {
    return this.#names.map((n, i) => [n, this.#values[i]!] as [string, string]).reverse();
  }

  #entry(index: number): readonly [string, string] {
    if (index === 0) throw new HpackError('hpack: index 0');
    if (index <= STATIC.length) return STATIC[index - 1]!;
    const i = this.#names.length - (index - STATIC.length);
    if (i < 0) throw new HpackError(`hpack: index ${index} beyond the table`);
    return [this.#names[i]!, this.#values[i]!];
  }

  #insert(name: string, value: string): void {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    // An entry larger than the table empties it and is not kept (section 4.4).
    this.#evict(size);
    if (size > this.#maxSize) return;
    this.#names.push(name);
    this.#values.push(value);
    this.#size += size;
  }

  /** Evicts the oldest entries until `room` more octets fit (or the table is empty). */
  #evict(room: number): void {
    while (this.#size + room > this.#maxSize && this.#names.length > 0) {
      const name = this.#names.shift()!;
      const value = this.#values.shift()!;
      this.#size -= name.length + value.length + ENTRY_OVERHEAD;
    }
  }

  /** An integer with an N-bit prefix (section 5.1); bounded to 2^28 + prefix so it cannot run away. */
  #int(prefix: number): number {
    const mask = (1 << prefix) - 1;
    let value = this.#buf[this.#pos++]! & mask;
    if (value < mask) return value;
    let shift = 0;
    for (;;) {
      if (this.#pos >= this.#end) throw new HpackError('hpack: a truncated integer');
      const b = this.#buf[this.#pos++]!;
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
      shift += 7;
      if (shift > 28) throw new HpackError('hpack: an integer too large');
    }
  }

  #string(): string {
    if (this.#pos >= this.#end) throw new HpackError('hpack: a truncated field');
    const huffman = (this.#buf[this.#pos]! & 0x80) !== 0;
    const len = this.#int(7);
    const start = this.#pos;
    const end = start + len;
    if (end > this.#end) throw new HpackError('hpack: a string longer than its block');
    this.#pos = end;
    if (huffman) {
      try {
        return huffmanDecode(this.#buf, start, end);
      } catch (e) {
        throw new HpackError((e as Error).message);
      }
    }
    return this.#buf.toString('latin1', start, end);
  }
}

/** Appends an integer with an N-bit prefix; `first` holds the bits above the prefix. */
function pushInt(out: number[], first: number, prefix: number, value: number): void {
  const mask = (1 << prefix) - 1;
  if (value < mask) {
    out.push(first | value);
    return;
  }
  out.push(first | mask);
  value -= mask;
  while (value >= 128) {
    out.push((value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
}

export function encodeInteger(first: number, prefix: number, value: number): Buffer {
  const out: number[] = [];
  pushInt(out, first, prefix, value);
  return Buffer.from(out);
}

/**
 * A header block for `fields` that leaves the dynamic table alone: a static entry when one
 * matches whole, else a literal without indexing (naming a static entry when one has the name).
 * Strings are sent as latin1, without Huffman coding.
 */
export function encodeHeaderBlock(fields: readonly (readonly [string, string])[]): Buffer {
  const out: number[] = [];
  for (const [name, value] of fields) {
    const whole = STATIC.findIndex(([n, v]) => n === name && v === value);
    if (whole >= 0) {
      pushInt(out, 0x80, 7, whole + 1);
      continue;
    }
    const named = STATIC.findIndex(([n]) => n === name);
    if (named >= 0) {
      pushInt(out, 0, 4, named + 1);
    } else {
      out.push(0);
      pushInt(out, 0, 7, name.length);
      for (let i = 0; i < name.length; i++) out.push(name.charCodeAt(i) & 0xff);
    }
    pushInt(out, 0, 7, value.length);
    for (let i = 0; i < value.length; i++) out.push(value.charCodeAt(i) & 0xff);
  }
  return Buffer.from(out);
}

/** The header block of a gRPC call, per path: built once, as a connection's calls use few paths. */
export class GrpcRequestHeaders {
  readonly #blocks = new Map<string, Buffer>();

  constructor(private readonly authority: string) {}

  block(path: string): Buffer {
    let b = this.#blocks.get(path);
    if (!b) {
      b = encodeHeaderBlock([
        [':method', 'POST'],
        [':scheme', 'http'],
        [':path', path],
        [':authority', this.authority],
        ['content-type', 'application/grpc'],
        ['te', 'trailers'],
      ]);
      this.#blocks.set(path, b);
    }
    return b;
  }
}
