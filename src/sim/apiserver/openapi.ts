import type { ApiResponse } from './api-types.js';
import { SIM_KUBE_VERSION } from './discovery.js';

/**
 * OpenAPI as far as kubectl needs it. kubectl (1.20 to 1.33) downloads /openapi/v2 as
 * protobuf before `apply` and refuses to go on without it; a document with no schemas
 * makes it skip client-side validation, which is the truth here: the sim has no schemas.
 * /openapi/v3 answers 404, so kubectl does not assume server-side field validation.
 */
const INFO = { swagger: '2.0', title: 'Kubernetes', version: SIM_KUBE_VERSION.gitVersion.split('-')[0]! };

function protoString(field: number, value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  if (bytes.length > 127) throw new Error('field too long for this encoder');
  return Buffer.concat([Buffer.from([(field << 3) | 2, bytes.length]), bytes]);
}

/** openapi_v2.Document{swagger: "2.0", info: {title, version}} in protobuf. */
const V2_PROTO = Buffer.concat([
  protoString(1, INFO.swagger),
  protoString(2, Buffer.concat([protoString(1, INFO.title), protoString(2, INFO.version)])),
]);

export function openapiResponse(parts: string[], accept: string | undefined): ApiResponse | undefined {
  if (parts.length !== 1 || parts[0] !== 'v2') return undefined;
  if (accept?.includes('protobuf')) {
    return {
      status: 200,
      headers: { 'Content-Type': 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf' },
      body: V2_PROTO,
    };
  }
  const doc = { swagger: INFO.swagger, info: { title: INFO.title, version: INFO.version }, paths: {}, definitions: {} };
  return { status: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(doc) };
}
