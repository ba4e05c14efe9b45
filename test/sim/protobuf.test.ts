import { describe, expect, it } from 'vitest';
import { decodeKubernetesProtobuf, ProtobufDecodeError } from '../../src/sim/apiserver/protobuf.js';

/** `kubectl create namespace foo` (kubectl v1.32.4), as captured on the wire. */
const CREATE_NAMESPACE_FOO = Buffer.from(
  '6b3873000a0f0a0276311209' + Buffer.from('Namespace').toString('hex') + '121b0a130a03666f6f12001a0022002a003200380042001200' + '1a020a001a002200',
  'hex',
);

function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}
function field(num: number, payload: Buffer | string | number | boolean): Buffer {
  if (typeof payload === 'number' || typeof payload === 'boolean') return Buffer.from([num << 3, ...varint(Number(payload))]);
  const b = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return Buffer.concat([Buffer.from([(num << 3) | 2, ...varint(b.length)]), b]);
}
function envelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
  return Buffer.concat([Buffer.from('k8s\0'), field(1, Buffer.concat([field(1, apiVersion), field(2, kind)])), field(2, raw), field(3, ''), field(4, '')]);
}

describe('Kubernetes protobuf request decoding', () => {
  it('decodes kubectl create namespace into the JSON kubectl would send, zero values dropped', () => {
    expect(decodeKubernetesProtobuf(CREATE_NAMESPACE_FOO)).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'foo' },
      spec: {},
      status: {},
    });
  });

  it('decodes maps, nested messages, quantities, IntOrString, times and pointer zeros', () => {
    const container = Buffer.concat([
      field(1, 'nginx'),
      field(2, 'nginx:1.25'),
      field(6, field(3, 80)),
      field(8, field(2, Buffer.concat([field(1, 'cpu'), field(2, field(1, '100m'))]))),
    ]);
    const podSpec = field(2, container);
    const template = Buffer.concat([field(1, field(11, Buffer.concat([field(1, 'app'), field(2, 'web')]))), field(2, podSpec)]);
    const spec = Buffer.concat([
      field(1, 0), // replicas: 0, a pointer field: kept
      field(2, field(1, Buffer.concat([field(1, 'app'), field(2, 'web')]))),
      field(3, template),
      field(4, Buffer.concat([field(1, 'RollingUpdate'), field(2, field(1, Buffer.concat([field(1, 1), field(3, '25%')])))])),
    ]);
    const meta = Buffer.concat([field(1, 'web'), field(8, Buffer.concat([field(1, 1700000000)]))]);
    const obj = decodeKubernetesProtobuf(envelope('apps/v1', 'Deployment', Buffer.concat([field(1, meta), field(2, spec)])));
    expect(obj).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', creationTimestamp: '2023-11-14T22:13:20Z' },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80 }], resources: { requests: { cpu: '100m' } } }] },
        },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%' } },
      },
    });
  });

  it('encodes Secret data bytes as base64, as JSON carries them', () => {
    const raw = Buffer.concat([field(1, field(1, 's1')), field(2, Buffer.concat([field(1, 'k'), field(2, 'v')])), field(3, 'Opaque')]);
    expect(decodeKubernetesProtobuf(envelope('v1', 'Secret', raw))).toMatchObject({ data: { k: 'dg==' }, type: 'Opaque' });
  });

  it('refuses kinds it has no schema for, fields it does not know, and bodies without the magic', () => {
    expect(() => decodeKubernetesProtobuf(envelope('batch/v1', 'Job', Buffer.alloc(0)))).toThrow(ProtobufDecodeError);
    const podWithVolume = field(2, field(1, field(1, 'vol')));
    expect(() => decodeKubernetesProtobuf(envelope('v1', 'Pod', podWithVolume))).toThrow(/field 1 of PodSpec/);
    expect(() => decodeKubernetesProtobuf(Buffer.from('{"kind":"Pod"}'))).toThrow(/magic/);
  });
});
