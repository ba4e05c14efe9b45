import { type ApiResponse, jsonResponse } from './api-types.js';
import { type CachedObject, objectJson, parsedObject, TooOldResourceVersionError, type WatchFilter } from './cacher.js';
import { type ApiContext, groupResource, parseRv, type ResourceRequest } from './context.js';
import {
  negotiateOutput,
  type OutputForm,
  toPartialObjectMetadata,
  toPartialObjectMetadataList,
  toTable,
} from './output-form.js';
import { storageKey, storagePrefix } from './storage-keys.js';
import { apiVersionOf, type ResourceDef } from './resource-def.js';
import { parseFieldSelector, parseLabelSelector, SelectorParseError } from './selectors.js';
import { errors } from './status.js';
import type { KubeObject } from './types.js';
import { forbidden } from './resources/validation.js';

/** The object as this resource's version serves it (events.k8s.io converts from v1). */
export function servedJson(def: ResourceDef, json: string): string {
  if (!def.codec) return json;
  return JSON.stringify(def.codec.fromStorage(JSON.parse(json) as KubeObject));
}

const TYPE_META = /^\{"(?:apiVersion":"[^"]*","kind|kind":"[^"]*","apiVersion)":"[^"]*",/;

/** A list's items carry no apiVersion and kind on a real apiserver (the list's say it once). */
function withoutTypeMeta(json: string): string {
  const m = TYPE_META.exec(json);
  return m ? `{${json.slice(m[0].length)}` : json;
}

export function servedObject(def: ResourceDef, json: string): KubeObject {
  const obj = JSON.parse(json) as KubeObject;
  return def.codec ? def.codec.fromStorage(obj) : obj;
}

/** Builds the cache filter from the request's namespace and selectors (400 on a bad one). */
export function filterFor(r: ResourceRequest, extraFieldSelector?: string): WatchFilter {
  const q = r.req.query;
  const filter: WatchFilter = {};
  if (r.def.namespaced && r.info.namespace) filter.namespace = r.info.namespace;
  try {
    filter.labels = parseLabelSelector(q.get('labelSelector'));
    let fs = q.get('fieldSelector') ?? '';
    if (extraFieldSelector) fs = fs ? `${fs},${extraFieldSelector}` : extraFieldSelector;
    const supported = new Set(['metadata.name', 'metadata.namespace', ...(r.def.fieldNames ?? [])]);
    filter.fields = parseFieldSelector(fs, supported, r.def.codec?.fieldAlias);
  } catch (e) {
    if (e instanceof SelectorParseError) throw errors.badRequest(e.message);
    throw e;
  }
  return filter;
}

export async function handleGet(ctx: ApiContext, r: ResourceRequest): Promise<ApiResponse> {
  const form = negotiateOutput(r.req.accept);
  const store = ctx.store(r.def);
  const key = storageKey(r.def, r.info.namespace, r.info.name);
  const rvParam = r.req.query.get('resourceVersion') ?? '';
  let json: string | undefined;
  if (rvParam === '') {
    // No version: the latest, read from storage (a quorum read on etcd).
    json = (await store.get(key))?.json;
  } else {
    // 0: any version; N: not older than N, which is about the cache, not the object (an
    // object last changed before N is current at N). Served from the watch cache once it
    // has caught up with N, as the real cacher's WaitUntilFreshAndGet.
    const minRv = parseRv(rvParam)!;
    await store.cacher.ready();
    if (minRv > 0) await waitForRv(ctx, r, minRv);
    const cached = store.cacher.get(key);
    json = cached && objectJson(cached);
  }
  if (json === undefined) throw errors.notFound(groupResource(r.def), r.info.name);
  return jsonResponse(200, renderOne(ctx, r.def, json, form, r.req.query));
}

export function renderOne(
  ctx: ApiContext,
  def: ResourceDef,
  json: string,
  form: OutputForm,
  query: URLSearchParams,
): string {
  if (form.kind === 'json') return servedJson(def, json);
  const obj = JSON.parse(json) as KubeObject;
  if (form.kind === 'metadata') return toPartialObjectMetadata(obj, form.version);
  return toTable(def, [obj], { resourceVersion: obj.metadata.resourceVersion ?? '' }, form.version, {
    includeObject: query.get('includeObject') ?? 'Metadata',
    withColumns: true,
    now: ctx.now(),
  });
}

interface ContinueToken {
  rv: number;
  start: string;
}

/** Continue tokens as the real apiserver writes them: unpadded base64url JSON. */
function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');
}

function decodeContinue(token: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(token, token.includes('+') || token.includes('/') ? 'base64' : 'base64url').toString('utf8')) as { v?: string; rv?: number; start?: string };
    if (t.v !== 'meta.k8s.io/v1' || typeof t.rv !== 'number' || typeof t.start !== 'string') throw new Error('bad');
    return { rv: t.rv, start: t.start };
  } catch {
    throw errors.badRequest(`continue key is not valid: ${token}`);
  }
}

const EXPIRED_CONTINUE =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

/** Pages of a paginated list kept at their revision, so later pages need not rebuild it. */
class PageSnapshots {
  readonly #entries = new Map<string, { items: CachedObject[]; at: number }>();
  constructor(private readonly ttlMs: number) {}
  get(id: string, now: number): CachedObject[] | undefined {
    const e = this.#entries.get(id);
    if (!e) return undefined;
    if (now - e.at > this.ttlMs) {
      this.#entries.delete(id);
      return undefined;
    }
    return e.items;
  }
  put(id: string, items: CachedObject[], now: number): void {
    if (this.#entries.size >= 32) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(id, { items, at: now });
  }
}

const snapshots = new WeakMap<ApiContext, PageSnapshots>();

export async function handleList(ctx: ApiContext, r: ResourceRequest): Promise<ApiResponse> {
  const form = negotiateOutput(r.req.accept);
  const q = r.req.query;
  const filter = filterFor(r);
  const store = ctx.store(r.def);
  const cacher = store.cacher;
  await cacher.ready();
  const prefix = storagePrefix(r.def);
  const keyPrefix = filter.namespace !== undefined ? `${prefix}${filter.namespace}/` : prefix;
  const limitRaw = q.get('limit');
  const limit = limitRaw ? Number(limitRaw) : 0;
  if (!Number.isInteger(limit) || limit < 0) throw errors.badRequest(`invalid limit: ${limitRaw}`);
  const cont = q.get('continue') ?? '';
  const rvParam = q.get('resourceVersion') ?? '';
  const rvMatch = q.get('resourceVersionMatch') ?? '';
  if (rvMatch && !['Exact', 'NotOlderThan'].includes(rvMatch)) {
    throw errors.badRequest(`resourceVersionMatch: Unsupported value: "${rvMatch}": supported values: "Exact", "NotOlderThan"`);
  }
  if (rvMatch && rvParam === '') throw errors.invalidOptions('ListOptions', forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
  if (cont && rvParam !== '') throw errors.badRequest('specifying resource version is not allowed when using continue');
  if (rvMatch === 'Exact' && rvParam === '0') throw errors.badRequest('resourceVersionMatch "exact" is forbidden for resourceVersion "0"');

  const pages = snapshots.get(ctx) ?? new PageSnapshots(60_000);
  snapshots.set(ctx, pages);
  const snapshotId = (rv: number): string => `${keyPrefix}|${q.get('labelSelector') ?? ''}|${q.get('fieldSelector') ?? ''}|${rv}`;

  let items: CachedObject[];
  let rev: number;
  let start = '';
  try {
    if (cont) {
      const token = decodeContinue(cont);
      rev = token.rv;
      start = prefix + token.start;
      items = pages.get(snapshotId(rev), ctx.now()) ?? cacher.listAt(keyPrefix, filter, rev).items;
    } else if (rvParam === '') {
      await cacher.catchUp();
      ({ items, rev } = cacher.listCurrent(keyPrefix, filter));
    } else {
      const rv = parseRv(rvParam)!;
      if (rvMatch === 'Exact') {
        await waitForRv(ctx, r, rv);
        ({ items, rev } = cacher.listAt(keyPrefix, filter, rv));
      } else {
        if (rv > 0) await waitForRv(ctx, r, rv);
        ({ items, rev } = cacher.listCurrent(keyPrefix, filter));
      }
    }
  } catch (e) {
    if (e instanceof TooOldResourceVersionError) {
      throw cont ? errors.expired(EXPIRED_CONTINUE) : errors.expired(`too old resource version: ${e.requested} (${e.oldest})`);
    }
    throw e;
  }

  let from = 0;
  if (start) {
    // Binary search: items are sorted by key.
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (items[mid]!.key < start) lo = mid + 1;
      else hi = mid;
    }
    from = lo;
  }
  // resourceVersion=0 is served from the watch cache, which ignores limit (1.32's
  // shouldDelegateList): a reflector's first LIST (rv=0, limit=500) gets everything at once.
  const paginate = limit > 0 && !(rvParam === '0' && !cont);
  const pageEnd = paginate ? Math.min(items.length, from + limit) : items.length;
  const page = from === 0 && pageEnd === items.length ? items : items.slice(from, pageEnd);
  const listMeta: Record<string, unknown> = { resourceVersion: String(rev) };
  if (pageEnd < items.length) {
    const last = page[page.length - 1]!;
    listMeta.continue = encodeContinue(rev, `${last.key.slice(prefix.length)}\u0000`);
    pages.put(snapshotId(rev), items, ctx.now());
    if (filter.labels?.empty !== false && filter.fields?.empty !== false) {
      listMeta.remainingItemCount = items.length - pageEnd;
    }
  }

  if (form.kind === 'json') {
    const listKind = `${r.def.kind}List`;
    const head = `{"kind":"${listKind}","apiVersion":"${apiVersionOf(r.def)}","metadata":${JSON.stringify(listMeta)},"items":[`;
    const body = head + page.map((o) => withoutTypeMeta(servedJson(r.def, objectJson(o)))).join(',') + ']}';
    return jsonResponse(200, body);
  }
  const objs = page.map(parsedObject);
  if (form.kind === 'metadata') return jsonResponse(200, toPartialObjectMetadataList(objs, listMeta, form.version));
  return jsonResponse(
    200,
    toTable(r.def, objs, listMeta, form.version, {
      includeObject: q.get('includeObject') ?? 'Metadata',
      withColumns: true,
      now: ctx.now(),
    }),
  );
}

async function waitForRv(ctx: ApiContext, r: ResourceRequest, rv: number): Promise<void> {
  const cacher = ctx.store(r.def).cacher;
  try {
    await cacher.waitFor(rv, ctx.options.tooLargeRvWaitMs);
  } catch {
    throw errors.tooLargeResourceVersion(rv, cacher.revision);
  }
}
