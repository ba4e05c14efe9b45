import type { ApiRequest } from './api-types.js';
import type { ObjectStore } from './object-store.js';
import type { Registry } from './registry.js';
import type { ResourceRequestInfo } from './request-info.js';
import type { ResourceDef, StrategyContext } from './resource-def.js';
import { decodeKubernetesProtobuf, isProtobufContentType, ProtobufDecodeError } from './protobuf.js';
import { errors } from './status.js';
import { isRecord, type KubeObject } from './types.js';

/** Settings of the apiserver core that tests and flags change. */
export interface ApiCoreOptions {
  /** Interval of BOOKMARK events on watches that allow them. */
  bookmarkIntervalMs: number;
  /** Watches without timeoutSeconds end after a random time in [min, 2*min] (--min-request-timeout). */
  minRequestTimeoutSeconds: number;
  /** How long a read waits for the cache to reach a requested resourceVersion. */
  tooLargeRvWaitMs: number;
}

/** Where a proxied pod's requests go (an in-process server of the sim). */
export interface ProxyTarget {
  scheme: 'http' | 'https';
  fetch(path: string): Promise<{ status: number; contentType: string; body: string }>;
}

/** What the REST handlers share: the resource table, storage per resource, clock. */
export interface ApiContext {
  readonly registry: Registry;
  readonly options: ApiCoreOptions;
  readonly strategy: StrategyContext;
  store(def: ResourceDef): ObjectStore;
  now(): number;
  /** The in-process server standing in for a pod's port, if any (pods/proxy). */
  proxyTarget(namespace: string, pod: string, port: number): ProxyTarget | undefined;
}

export interface ResourceRequest {
  req: ApiRequest;
  info: ResourceRequestInfo;
  def: ResourceDef;
}

/** Decodes the request body: a pre-decoded object, or JSON text (no Content-Type means JSON). */
export function decodeBody(req: ApiRequest): unknown {
  if (req.object !== undefined) return req.object;
  if (isProtobufContentType(req.contentType)) {
    const raw = req.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body);
    try {
      return decodeKubernetesProtobuf(raw);
    } catch (e) {
      if (e instanceof ProtobufDecodeError) throw errors.unsupportedMediaType(`application/vnd.kubernetes.protobuf: ${e.message}`);
      throw e;
    }
  }
  const ct = (req.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (ct !== '' && ct !== 'application/json' && ct !== '*/*') throw errors.unsupportedMediaType();
  return parseJsonBody(req.body);
}

/** Go's encoding/json (and sigs.k8s.io/json, which the apiserver decodes with) stops here. */
const MAX_JSON_DEPTH = 10_000;

/** Nesting depth of JSON text beyond MAX_JSON_DEPTH, counting brackets outside strings. */
function exceedsJsonDepth(text: string): boolean {
  // Each level takes an opening and a closing bracket: shorter text cannot be too deep.
  if (text.length <= 2 * MAX_JSON_DEPTH) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_JSON_DEPTH) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

export function parseJsonBody(body: Buffer | string | undefined): unknown {
  const text = body === undefined ? '' : typeof body === 'string' ? body : body.toString('utf8');
  if (text.trim() === '') throw errors.badRequest('the body of the request is empty');
  // The sim's recursive merge and defaulting would overflow the stack (a 500) on deeper input.
  if (exceedsJsonDepth(text)) throw errors.badRequest(`the body of the request could not be decoded as JSON: exceeded max depth ${MAX_JSON_DEPTH}`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw errors.badRequest(`the body of the request could not be decoded as JSON: ${(e as Error).message}`);
  }
}

/** The decoded body as an object with metadata, or a 400. */
export function asKubeObject(v: unknown): KubeObject {
  if (!isRecord(v)) throw errors.badRequest('the request body must be a JSON object');
  const metadata = v.metadata;
  if (metadata !== undefined && metadata !== null && !isRecord(metadata)) {
    throw errors.badRequest('metadata must be an object');
  }
  // The decoded body belongs to this request: complete it in place rather than copy it.
  if (!isRecord(metadata)) v.metadata = {};
  return v as KubeObject;
}

export function groupResource(def: ResourceDef): { group: string; resource: string } {
  return { group: def.group, resource: def.resource };
}

export function parseRv(raw: string | undefined | null, what = 'resourceVersion'): number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (!/^[0-9]+$/.test(raw)) throw errors.badRequest(`invalid ${what}: "${raw}"`);
  return Number(raw);
}
