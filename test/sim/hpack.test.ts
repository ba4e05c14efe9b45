import { describe, expect, it } from 'vitest';
import { encodeHeaderBlock, encodeInteger, GrpcRequestHeaders, HpackDecoder, HpackError } from '../../src/sim/storage/hpack.js';
import { huffmanDecode, huffmanEncode } from '../../src/sim/storage/hpack-huffman.js';

/** RFC 7541 Appendix C's examples, decoded block by block on one decoder per chain. */

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const pairs = (flat: string[]): [string, string][] => {
  const out: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
};

const REQUESTS: [string, string][][] = [
  [
    [':method', 'GET'],
    [':scheme', 'http'],
    [':path', '/'],
    [':authority', 'www.example.com'],
  ],
  [
    [':method', 'GET'],
    [':scheme', 'http'],
    [':path', '/'],
    [':authority', 'www.example.com'],
    ['cache-control', 'no-cache'],
  ],
  [
    [':method', 'GET'],
    [':scheme', 'https'],
    [':path', '/index.html'],
    [':authority', 'www.example.com'],
    ['custom-key', 'custom-value'],
  ],
];
const REQUEST_TABLES: [string, string][][] = [
  [[':authority', 'www.example.com']],
  [
    ['cache-control', 'no-cache'],
    [':authority', 'www.example.com'],
  ],
  [
    ['custom-key', 'custom-value'],
    ['cache-control', 'no-cache'],
    [':authority', 'www.example.com'],
  ],
];
const REQUEST_SIZES = [57, 110, 164];

const DATE1 = 'Mon, 21 Oct 2013 20:13:21 GMT';
const DATE2 = 'Mon, 21 Oct 2013 20:13:22 GMT';
const LOCATION = 'https://www.example.com';
const COOKIE = 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1';
const RESPONSES: [string, string][][] = [
  [
    [':status', '302'],
    ['cache-control', 'private'],
    ['date', DATE1],
    ['location', LOCATION],
  ],
  [
    [':status', '307'],
    ['cache-control', 'private'],
    ['date', DATE1],
    ['location', LOCATION],
  ],
  [
    [':status', '200'],
    ['cache-control', 'private'],
    ['date', DATE2],
    ['location', LOCATION],
    ['content-encoding', 'gzip'],
    ['set-cookie', COOKIE],
  ],
];
// With a 256-octet table, the second and third responses evict entries.
const RESPONSE_TABLES: [string, string][][] = [
  [
    ['location', LOCATION],
    ['date', DATE1],
    ['cache-control', 'private'],
    [':status', '302'],
  ],
  [
    [':status', '307'],
    ['location', LOCATION],
    ['date', DATE1],
    ['cache-control', 'private'],
  ],
  [
    ['set-cookie', COOKIE],
    ['content-encoding', 'gzip'],
    ['date', DATE2],
  ],
];
const RESPONSE_SIZES = [222, 222, 215];

const CHAINS: { name: string; tableSize: number; blocks: string[]; fields: [string, string][][]; tables: [string, string][][]; sizes: number[] }[] = [
  {
    name: 'C.3 requests without Huffman coding',
    tableSize: 4096,
    blocks: [
      '8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
      '8286 84be 5808 6e6f 2d63 6163 6865',
      '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65',
    ],
    fields: REQUESTS,
    tables: REQUEST_TABLES,
    sizes: REQUEST_SIZES,
  },
  {
    name: 'C.4 requests with Huffman coding',
    tableSize: 4096,
    blocks: ['8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff', '8286 84be 5886 a8eb 1064 9cbf', '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf'],
    fields: REQUESTS,
    tables: REQUEST_TABLES,
    sizes: REQUEST_SIZES,
  },
  {
    name: 'C.5 responses without Huffman coding, with evictions',
    tableSize: 256,
    blocks: [
      '4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
      '4803 3330 37c1 c0bf',
      '88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31',
    ],
    fields: RESPONSES,
    tables: RESPONSE_TABLES,
    sizes: RESPONSE_SIZES,
  },
  {
    name: 'C.6 responses with Huffman coding, with evictions',
    tableSize: 256,
    blocks: [
      '4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3',
      '4883 640e ffc1 c0bf',
      '88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07',
    ],
    fields: RESPONSES,
    tables: RESPONSE_TABLES,
    sizes: RESPONSE_SIZES,
  },
];

describe('hpack: RFC 7541 Appendix C', () => {
  it.each([
    ['C.2.1 literal with indexing', '400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572', ['custom-key', 'custom-header'], [['custom-key', 'custom-header']], 55],
    ['C.2.2 literal without indexing', '040c 2f73 616d 706c 652f 7061 7468', [':path', '/sample/path'], [], 0],
    ['C.2.3 literal never indexed', '1008 7061 7373 776f 7264 0673 6563 7265 74', ['password', 'secret'], [], 0],
    ['C.2.4 indexed', '82', [':method', 'GET'], [], 0],
  ] as const)('%s', (_name, block, field, table, size) => {
    const d = new HpackDecoder();
    expect(d.decode(hex(block))).toEqual(field);
    expect(d.table).toEqual(table);
    expect(d.tableSize).toBe(size);
  });

  for (const chain of CHAINS) {
    it(chain.name, () => {
      const d = new HpackDecoder(chain.tableSize);
      chain.blocks.forEach((block, i) => {
        expect(pairs(d.decode(hex(block))), `block ${i + 1}`).toEqual(chain.fields[i]);
        expect(d.table, `table after block ${i + 1}`).toEqual(chain.tables[i]);
        expect(d.tableSize).toBe(chain.sizes[i]);
      });
    });
  }
});

describe('hpack: integers', () => {
  it('encodes C.1: 10 and 1337 with a 5-bit prefix, 42 with 8 bits', () => {
    expect(encodeInteger(0, 5, 10)).toEqual(hex('0a'));
    expect(encodeInteger(0, 5, 1337)).toEqual(hex('1f9a0a'));
    expect(encodeInteger(0, 8, 42)).toEqual(hex('2a'));
    // Exactly the prefix's maximum takes a continuation byte of 0.
    expect(encodeInteger(0, 5, 31)).toEqual(hex('1f00'));
  });

  it('decodes prefix boundaries: 30, 31 and 4096 in a 5-bit size update; 126, 127, 128 in a 7-bit string length', () => {
    // Size updates before an indexed field: the update takes effect, the field decodes.
    for (const [block, size] of [
      ['3e 82', 30],
      ['3f00 82', 31],
      ['3fe11f 82', 4096],
    ] as const) {
      const d = new HpackDecoder();
      d.decode(hex('4002 6162 0178')); // one entry, 'ab: x' (2 + 1 + 32 octets)
      expect(d.tableSize).toBe(35);
      expect(d.decode(hex(block))).toEqual([':method', 'GET']);
      // A table smaller than the entry empties it.
      expect(d.tableSize).toBe(size >= 35 ? 35 : 0);
    }
    for (const n of [126, 127, 128, 300]) {
      const value = 'v'.repeat(n);
      const block = Buffer.concat([hex('0001 78'), encodeInteger(0, 7, n), Buffer.from(value)]);
      expect(new HpackDecoder().decode(block)).toEqual(['x', value]);
    }
  });

  it('refuses an integer that runs on, one cut short, and a size above the allowed', () => {
    expect(() => new HpackDecoder().decode(Buffer.concat([hex('3f'), Buffer.alloc(1000, 0xff)]))).toThrow(HpackError);
    expect(() => new HpackDecoder().decode(hex('3fe1'))).toThrow(HpackError);
    expect(() => new HpackDecoder().decode(hex('3fe21f'))).toThrow(/4097/);
  });
});

describe('hpack: malformed blocks throw', () => {
  it.each([
    ['index 0', '80'],
    ['an index past the tables', 'be'],
    ['a string cut short', '400a 6375'],
    ['a literal with no name', '41'],
    ['a size update after a field', '82 20'],
    ['EOS inside a Huffman string', '0084 ffffffff'],
    ['Huffman padding of zeros', '0081 00'],
    ['Huffman padding longer than 7 bits', '0082 ff ff'],
  ])('%s', (_name, block) => {
    expect(() => new HpackDecoder().decode(hex(block))).toThrow(HpackError);
  });
});

describe('hpack: Huffman', () => {
  it('round-trips every octet', () => {
    const all = Buffer.alloc(256);
    for (let i = 0; i < 256; i++) all[i] = i;
    const s = all.toString('latin1');
    const coded = huffmanEncode(s);
    expect(huffmanDecode(coded, 0, coded.length)).toBe(s);
  });

  it('codes "www.example.com" as C.4.1 does', () => {
    expect(huffmanEncode('www.example.com')).toEqual(hex('f1e3 c2e5 f23a 6ba0 ab90 f4ff'));
  });
});

describe('hpack: our request headers', () => {
  it('decode to the fields, and never touch the dynamic table', () => {
    const h = new GrpcRequestHeaders('127.0.0.1:2379');
    const block = h.block('/etcdserverpb.KV/Txn');
    expect(h.block('/etcdserverpb.KV/Txn')).toBe(block);
    const d = new HpackDecoder();
    expect(pairs(d.decode(block))).toEqual([
      [':method', 'POST'],
      [':scheme', 'http'],
      [':path', '/etcdserverpb.KV/Txn'],
      [':authority', '127.0.0.1:2379'],
      ['content-type', 'application/grpc'],
      ['te', 'trailers'],
    ]);
    expect(d.tableSize).toBe(0);
    expect(block[0]).toBe(0x83);
    expect(block[1]).toBe(0x86);
    expect(pairs(new HpackDecoder().decode(encodeHeaderBlock([['x-long', 'y'.repeat(200)]])))).toEqual([['x-long', 'y'.repeat(200)]]);
  });
});
