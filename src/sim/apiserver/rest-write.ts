import { randomUUID } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import type { AdmissionContext } from './admission.js';
import { type ApiResponse, jsonResponse } from './api-types.js';
import type { CachedObject } from './cacher.js';
import { decodeError, type TypedField } from './decode-check.js';
import {
  type ApiContext,
  asKubeObject,
  decodeBody,
  groupResource,
  parseJsonBody,
  parseRv,
  type ResourceRequest,
} from './context.js';
import { AlreadyExistsError, ConflictError, NotFoundError, type StoredObject } from './object-store.js';
import { jsonPatch, mergePatch, PatchError, type PatchType, patchTypeOf, strategicMergePatch } from './patch.js';
import { negotiateOutput } from './output-form.js';
import { storageKey, storagePrefix } from './registry.js';
import { apiVersionOf, type ResourceDef } from './resource-def.js';
import { namespaces as namespacesDef } from './resources/cluster.js';
import { dnsSubdomainError, forbidden, invalidValue, notSupported, required } from './resources/validation.js';
import { labelSelectorString } from './resources/workloads.js';
import { filterFor, renderOne, servedJson } from './rest-read.js';
import { validateLabelKey, validateLabelValue } from './selectors.js';
import { errors, type StatusCause, successStatus } from './status.js';
import { isRecord, type KubeObject, rfc3339Seconds, semanticallyEqual } from './types.js';

type OptionsKind = 'CreateOptions' | 'UpdateOptions' | 'PatchOptions' | 'DeleteOptions';

function optionsKind(method: string): OptionsKind {
  return method === 'POST' ? 'CreateOptions' : method === 'PUT' ? 'UpdateOptions' : method === 'PATCH' ? 'PatchOptions' : 'DeleteOptions';
}

function isDryRun(q: URLSearchParams, method: string): boolean {
  const v = q.getAll('dryRun');
  if (v.length === 0) return false;
  if (v.some((x) => x !== 'All')) throw errors.invalidOptions(optionsKind(method), notSupported('dryRun', v, ['All']));
  return true;
}

/** Checks the body's apiVersion/kind against the endpoint and converts it to storage form. */
function toStorageForm(def: ResourceDef, obj: KubeObject): KubeObject {
  const expected = apiVersionOf(def);
  if (obj.apiVersion !== undefined && obj.apiVersion !== expected) {
    throw errors.badRequest(
      `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${expected})`,
    );
  }
  if (obj.kind !== undefined && obj.kind !== def.kind) {
    throw errors.badRequest(`${String(obj.kind)} in version "${def.version}" cannot be handled as a ${def.kind}`);
  }
  obj.apiVersion = expected;
  obj.kind = def.kind;
  return def.codec ? def.codec.toStorage(obj) : obj;
}

/** Go's omitempty: empty label, annotation, finalizer and owner lists are not stored. */
function dropEmptyMeta(m: KubeObject['metadata']): void {
  for (const k of ['labels', 'annotations'] as const) if (isRecord(m[k]) && Object.keys(m[k]).length === 0) delete m[k];
  for (const k of ['finalizers', 'ownerReferences'] as const) if (Array.isArray(m[k]) && m[k].length === 0) delete m[k];
}

function metaCauses(obj: KubeObject, def: ResourceDef): StatusCause[] {
  const causes: StatusCause[] = [];
  const name = obj.metadata.name ?? '';
  if (!name) causes.push({ ...required('metadata.name'), message: 'Required value: name or generateName is required' });
  else if (def.resource !== 'namespaces') {
    const err = dnsSubdomainError(name);
    if (err) causes.push(invalidValue('metadata.name', name, err));
  }
  const labels = obj.metadata.labels;
  if (labels !== undefined && !isRecord(labels)) causes.push(invalidValue('metadata.labels', labels, 'must be a map'));
  for (const [k, v] of Object.entries(isRecord(labels) ? labels : {})) {
    const ke = validateLabelKey(k);
    if (ke) causes.push(invalidValue('metadata.labels', k, ke));
    // Not a string: refused by decodeError before validation.
    const ve = typeof v === 'string' ? validateLabelValue(v) : undefined;
    if (ve) causes.push(invalidValue('metadata.labels', v, ve));
  }
  const ann = obj.metadata.annotations;
  if (ann !== undefined && !isRecord(ann)) causes.push(invalidValue('metadata.annotations', ann, 'must be a map'));
  else if (ann && JSON.stringify(ann).length > 256 * 1024) {
    causes.push({ reason: 'FieldValueTooLong', message: 'Too long: must have at most 262144 bytes', field: 'metadata.annotations' });
  }
  return causes;
}

function invalid(def: ResourceDef, obj: KubeObject, causes: StatusCause[]): never {
  throw errors.invalid(def.kind, def.group, obj.metadata.name ?? obj.metadata.generateName ?? '', causes);
}

/** Namespace lifecycle admission: the namespace must exist and not be terminating. */
async function admitNamespace(ctx: ApiContext, def: ResourceDef, ns: string, name: string): Promise<void> {
  if (!def.namespaced) return;
  const nsStore = ctx.store(namespacesDef);
  const key = storageKey(namespacesDef, undefined, ns);
  const cached = nsStore.cacher.get(key);
  let phase: unknown;
  if (cached) {
    phase = cached.fields['status.phase'];
  } else {
    // The cache may trail a namespace created a moment ago; ask storage before refusing.
    const obj = (await nsStore.get(key))?.obj;
    if (!obj) throw errors.notFound({ group: '', resource: 'namespaces' }, ns);
    phase = isRecord(obj.status) ? obj.status.phase : undefined;
  }
  // Deleting a namespace sets its phase to Terminating in the same write.
  if (phase === 'Terminating') {
    const why = `unable to create new content in namespace ${ns} because it is being terminated`;
    throw errors.forbidden(groupResource(def), name, why, { reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' });
  }
}

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

export function randomSuffix(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)];
  return s;
}

function respond(ctx: ApiContext, r: ResourceRequest, status: number, stored: StoredObject): ApiResponse {
  const form = negotiateOutput(r.req.accept);
  return jsonResponse(status, form.kind === 'json' ? servedJson(r.def, stored.json) : renderOne(ctx, r.def, stored.json, form, r.req.query));
}

/**
 * Parsed cache entries for admission lookups: every pod create reads its ServiceAccount, and
 * a cache entry is replaced (never changed) when its object changes.
 */
const parsedForAdmission = new WeakMap<CachedObject, KubeObject>();

/** Lookups for admission plugins: the watch cache, else storage (a lister, then a live GET). */
function admissionContext(ctx: ApiContext): AdmissionContext {
  return {
    async get(def, namespace, name) {
      const store = ctx.store(def);
      const key = storageKey(def, namespace, name);
      const cached = store.cacher.get(key);
      if (cached) {
        let obj = parsedForAdmission.get(cached);
        if (!obj) parsedForAdmission.set(cached, (obj = JSON.parse(cached.json) as KubeObject));
        return obj;
      }
      return (await store.get(key))?.obj;
    },
    randomSuffix,
  };
}

/** Create: admission, defaulting, validation, then a create-if-absent in storage. */
export async function createObject(
  ctx: ApiContext,
  def: ResourceDef,
  namespace: string,
  input: KubeObject,
  dryRun: boolean,
): Promise<StoredObject> {
  const undecodable = decodeError(def.kind, def.version, input, def.typedFields);
  if (undecodable) throw undecodable;
  const obj = toStorageForm(def, input);
  const meta = obj.metadata;
  if (def.namespaced) {
    if (meta.namespace && meta.namespace !== namespace) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    meta.namespace = namespace;
  } else {
    delete meta.namespace;
  }
  // Mutating admission comes first, as in the real create handler (before BeforeCreate).
  if (def.admitCreate) await def.admitCreate(obj, admissionContext(ctx));
  const generated = !meta.name && !!meta.generateName;
  // names.SimpleNameGenerator: the base is cut so that base + 5 characters fit in 63.
  const base = (meta.generateName ?? '').slice(0, 58);
  if (generated) meta.name = `${base}${randomSuffix(5)}`;
  meta.uid = randomUUID();
  meta.creationTimestamp = rfc3339Seconds(ctx.now());
  delete meta.resourceVersion;
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  delete meta.selfLink;
  if (def.generation) meta.generation = 1;
  else delete meta.generation;
  dropEmptyMeta(meta);
  const causes = metaCauses(obj, def);
  if (causes.length === 0) {
    def.strategy?.prepareForCreate?.(obj, ctx.strategy);
    causes.push(...(def.strategy?.validate?.(obj) ?? []));
  }
  if (causes.length > 0) invalid(def, obj, causes);
  await admitNamespace(ctx, def, namespace, meta.name!);
  if (dryRun) return { obj, rv: 0, json: JSON.stringify(obj) };
  // generateName collisions are retried with a new suffix, as the real apiserver does.
  for (let attempt = 0; ; attempt++) {
    try {
      return await ctx.store(def).create(storageKey(def, namespace, meta.name!), obj);
    } catch (e) {
      if (!(e instanceof AlreadyExistsError)) throw e;
      if (!generated || attempt >= 7) throw errors.alreadyExists(groupResource(def), meta.name!);
      meta.name = `${base}${randomSuffix(5)}`;
    }
  }
}

export async function handleCreate(ctx: ApiContext, r: ResourceRequest): Promise<ApiResponse> {
  if (r.info.subresource === 'binding') return handleBinding(ctx, r);
  if (r.info.subresource) throw errors.methodNotAllowed();
  const dryRun = isDryRun(r.req.query, r.req.method);
  const obj = asKubeObject(decodeBody(r.req));
  const stored = await createObject(ctx, r.def, r.info.namespace, obj, dryRun);
  return respond(ctx, r, 201, stored);
}

/** Fields of metadata the client cannot change on update. */
function keepImmutableMeta(next: KubeObject, cur: KubeObject, def: ResourceDef): void {
  const m = next.metadata;
  const c = cur.metadata;
  if (m.uid && m.uid !== c.uid) {
    throw errors.conflict(groupResource(def), c.name ?? '', `Precondition failed: UID in precondition: ${m.uid}, UID in object meta: ${c.uid}`);
  }
  // rest.checkName: an update or patch may leave the name out, not change it.
  if (m.name && m.name !== c.name) {
    throw errors.badRequest(`the name of the object (${m.name}) does not match the name on the URL (${c.name ?? ''})`);
  }
  if (def.namespaced && m.namespace && m.namespace !== c.namespace) {
    throw errors.badRequest(`the namespace of the object (${m.namespace}) does not match the namespace on the URL (${c.namespace ?? ''})`);
  }
  m.name = c.name;
  if (def.namespaced) m.namespace = c.namespace;
  m.uid = c.uid;
  m.creationTimestamp = c.creationTimestamp;
  if (c.deletionTimestamp) m.deletionTimestamp = c.deletionTimestamp;
  else delete m.deletionTimestamp;
  if (c.deletionGracePeriodSeconds !== undefined) m.deletionGracePeriodSeconds = c.deletionGracePeriodSeconds;
  else delete m.deletionGracePeriodSeconds;
  if (def.generation) m.generation = c.generation;
  else delete m.generation;
  delete m.selfLink;
}

/** Builds the next object of an update of the main resource or the status subresource. */
function prepareUpdate(
  ctx: ApiContext,
  def: ResourceDef,
  subresource: string,
  next: KubeObject,
  cur: KubeObject,
): KubeObject {
  let out: KubeObject;
  if (subresource === 'status') {
    if (next.metadata.uid && next.metadata.uid !== cur.metadata.uid) {
      throw errors.conflict(groupResource(def), cur.metadata.name ?? '', `Precondition failed: UID in precondition: ${next.metadata.uid}, UID in object meta: ${cur.metadata.uid}`);
    }
    // Status writes change status only; metadata and spec stay as stored.
    out = { ...cur, metadata: { ...cur.metadata }, status: next.status };
    if (next.status === undefined) delete out.status;
    if (def.annotationsInGeneration) {
      if (next.metadata.annotations) out.metadata.annotations = next.metadata.annotations;
      else delete out.metadata.annotations;
    }
  } else {
    const undecodable = decodeError(def.kind, def.version, next, def.typedFields);
    if (undecodable) throw undecodable;
    out = next;
    keepImmutableMeta(out, cur, def);
    dropEmptyMeta(out.metadata);
    const causes = metaCauses(out, def);
    const added = cur.metadata.deletionTimestamp ? (out.metadata.finalizers ?? []).filter((f) => !(cur.metadata.finalizers ?? []).includes(f)) : [];
    if (added.length > 0) {
      causes.push(forbidden('metadata.finalizers', `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`));
    }
    if (causes.length === 0) {
      def.strategy?.prepareForUpdate?.(out, cur, ctx.strategy);
      causes.push(...(def.strategy?.validate?.(out) ?? []), ...(def.strategy?.validateUpdate?.(out, cur) ?? []));
    }
    if (causes.length > 0) invalid(def, out, causes);
    if (def.generation && (!semanticallyEqual(out.spec, cur.spec) || (def.annotationsInGeneration && !semanticallyEqual(out.metadata.annotations, cur.metadata.annotations)))) {
      out.metadata.generation = (cur.metadata.generation ?? 0) + 1;
    }
  }
  return out;
}

/** An object whose deletion is pending and has nothing left to wait for is removed. */
function readyToDelete(obj: KubeObject): boolean {
  if (!obj.metadata.deletionTimestamp) return false;
  if ((obj.metadata.finalizers ?? []).length > 0) return false;
  if ((obj.metadata.deletionGracePeriodSeconds ?? 0) > 0) return false;
  const specFinalizers = isRecord(obj.spec) && Array.isArray(obj.spec.finalizers) ? obj.spec.finalizers : [];
  return specFinalizers.length === 0;
}

async function finishIfDeletable(ctx: ApiContext, def: ResourceDef, key: string, stored: StoredObject): Promise<StoredObject> {
  if (!readyToDelete(stored.obj)) return stored;
  try {
    return await ctx.store(def).delete(key, stored.rv);
  } catch (e) {
    if (e instanceof NotFoundError || e instanceof ConflictError) return stored;
    throw e;
  }
}

function mapStoreError(e: unknown, def: ResourceDef, name: string): unknown {
  if (e instanceof NotFoundError) return errors.notFound(groupResource(def), name);
  if (e instanceof ConflictError) return errors.staleUpdate(groupResource(def), name);
  if (e instanceof PatchError) return e.decode ? errors.badRequest(e.message) : errors.patchNotApplicable();
  return e;
}

export async function handleUpdate(ctx: ApiContext, r: ResourceRequest): Promise<ApiResponse> {
  const { def, info } = r;
  if (info.subresource === 'scale') return handleScaleWrite(ctx, r, 'update');
  if (info.subresource === 'finalize') return handleFinalize(ctx, r);
  if (info.subresource && info.subresource !== 'status') throw errors.methodNotAllowed();
  if (info.subresource && !def.subresources.includes(info.subresource as 'status')) throw errors.serverNotFound();
  const dryRun = isDryRun(r.req.query, r.req.method);
  const body = toStorageForm(def, asKubeObject(decodeBody(r.req)));
  if (body.metadata.name && body.metadata.name !== info.name) {
    throw errors.badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${info.name})`);
  }
  if (def.namespaced && body.metadata.namespace && body.metadata.namespace !== info.namespace) {
    throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  const precondition = parseRv(body.metadata.resourceVersion);
  const key = storageKey(def, info.namespace, info.name);
  try {
    const { result, changed } = await updateWith(ctx, def, key, dryRun, precondition, (cur) =>
      prepareUpdate(ctx, def, info.subresource, structuredClone(body), cur),
    );
    const final = changed && !dryRun ? await finishIfDeletable(ctx, def, key, result) : result;
    return respond(ctx, r, 200, final);
  } catch (e) {
    throw mapStoreError(e, def, info.name);
  }
}

async function updateWith(
  ctx: ApiContext,
  def: ResourceDef,
  key: string,
  dryRun: boolean,
  precondition: number | undefined,
  fn: (cur: KubeObject) => KubeObject | null,
): Promise<{ result: StoredObject; changed: boolean }> {
  if (dryRun) {
    const cur = await ctx.store(def).get(key);
    if (!cur) throw new NotFoundError(key);
    if (precondition !== undefined && precondition !== cur.rv) throw new ConflictError(key);
    const next = fn(cur.obj) ?? cur.obj;
    return { result: { obj: next, rv: cur.rv, json: JSON.stringify(next) }, changed: false };
  }
  return ctx.store(def).update(key, fn, precondition);
}

function decodePatch(r: ResourceRequest): { type: PatchType; patch: unknown } {
  const type = patchTypeOf(r.req.contentType);
  if (!type) throw errors.unsupportedPatchType();
  if (r.req.object !== undefined) return { type, patch: r.req.object };
  if (type === 'apply') {
    const text = r.req.body === undefined ? '' : r.req.body.toString();
    try {
      return { type, patch: parseYaml(text) };
    } catch (e) {
      throw errors.badRequest(`error decoding YAML: ${(e as Error).message}`);
    }
  }
  return { type, patch: parseJsonBody(r.req.body) };
}

function applyPatch(type: PatchType, current: KubeObject, patch: unknown): KubeObject {
  switch (type) {
    case 'merge':
      return mergePatch(current, patch) as KubeObject;
    case 'json':
      return jsonPatch(current, patch) as KubeObject;
    case 'strategic':
    case 'apply':
      return strategicMergePatch(current, patch) as KubeObject;
  }
}

export async function handlePatch(ctx: ApiContext, r: ResourceRequest): Promise<ApiResponse> {
  const { def, info } = r;
  if (info.subresource === 'scale') return handleScaleWrite(ctx, r, 'patch');
  if (info.subresource && info.subresource !== 'status') throw errors.methodNotAllowed();
  const dryRun = isDryRun(r.req.query, r.req.method);
  const { type, patch } = decodePatch(r);
  if (type === 'apply') {
    if (!r.req.query.get('fieldManager')) {
      throw errors.invalidOptions('PatchOptions', { ...required('fieldManager'), message: 'Required value: is required for apply patch' });
    }
    if (!isRecord(patch)) throw errors.badRequest('apply patch must be an object');
  }
  const key = storageKey(def, info.namespace, info.name);
  try {
    const { result, changed } = await updateWith(ctx, def, key, dryRun, undefined, (cur) => {
      const served = def.codec ? def.codec.fromStorage(cur) : cur;
      // The patch functions copy what they change; `cur` is this request's own parse.
      const patched = applyPatch(type, served, patch);
      if (!isRecord(patched) || !isRecord(patched.metadata)) throw errors.badRequest('the patch removed the object metadata');
      const patchedRv = patched.metadata.resourceVersion;
      if (patchedRv !== undefined && patchedRv !== cur.metadata.resourceVersion) throw new ConflictError(key);
      const next = toStorageForm(def, patched);
      return prepareUpdate(ctx, def, info.subresource, next, cur);
    });
    const final = changed && !dryRun ? await finishIfDeletable(ctx, def, key, result) : result;
    return respond(ctx, r, 200, final);
  } catch (e) {
    if (e instanceof NotFoundError && type === 'apply' && !info.subresource) {
      // Server-side apply creates what does not exist yet.
      const obj = asKubeObject(structuredClone(patch));
      obj.metadata.name ??= info.name;
      const stored = await createObject(ctx, def, info.namespace, obj, dryRun);
      return respond(ctx, r, 201, stored);
    }
    throw mapStoreError(e, def, info.name);
  }
}

interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
  /** The deprecated orphanDependents=false: the one case a pending deletion answers 202. */
  orphanDependentsFalse?: boolean;
}

function deleteOptions(r: ResourceRequest): DeleteOptions {
  const q = r.req.query;
  let body: Record<string, unknown> = {};
  const hasBody = r.req.object !== undefined || (r.req.body !== undefined && r.req.body.length > 0);
  if (hasBody) {
    const decoded = decodeBody(r.req);
    if (!isRecord(decoded)) throw errors.badRequest('DeleteOptions must be an object');
    body = decoded;
  }
  const opts: DeleteOptions = {};
  const grace = q.get('gracePeriodSeconds') ?? (body.gracePeriodSeconds as number | string | undefined);
  if (grace !== undefined && grace !== null && grace !== '') {
    const n = Number(grace);
    if (!Number.isInteger(n)) throw errors.badRequest(`invalid gracePeriodSeconds: ${String(grace)}`);
    opts.gracePeriodSeconds = n;
  }
  const orphan = q.get('orphanDependents') ?? (body.orphanDependents as string | boolean | undefined);
  const policy = q.get('propagationPolicy') ?? (body.propagationPolicy as string | undefined);
  if (policy !== undefined && policy !== null) {
    if (!['Orphan', 'Background', 'Foreground'].includes(policy)) {
      throw errors.invalidOptions('DeleteOptions', notSupported('propagationPolicy', policy, ['Foreground', 'Background', 'Orphan', 'nil']));
    }
    opts.propagationPolicy = policy as DeleteOptions['propagationPolicy'];
  } else if (orphan === true || orphan === 'true') {
    opts.propagationPolicy = 'Orphan';
  }
  if (orphan === false || orphan === 'false') opts.orphanDependentsFalse = true;
  if (isRecord(body.preconditions)) opts.preconditions = body.preconditions as DeleteOptions['preconditions'];
  return opts;
}

/** Deletes one object with the real semantics: preconditions, grace period, finalizers. */
export async function deleteObject(
  ctx: ApiContext,
  def: ResourceDef,
  namespace: string,
  name: string,
  opts: DeleteOptions,
  dryRun: boolean,
): Promise<{ deleted: boolean; stored: StoredObject }> {
  const key = storageKey(def, namespace, name);
  const store = ctx.store(def);
  for (let attempt = 0; attempt < 16; attempt++) {
    const cur = await store.get(key);
    if (!cur) throw errors.notFound(groupResource(def), name);
    const meta = cur.obj.metadata;
    const pre = opts.preconditions;
    // The real delete's precondition conflicts name the kind (ConfigMap, Deployment.apps), not the resource.
    const byKind = { group: def.group, resource: def.kind };
    if (pre?.uid && pre.uid !== meta.uid) {
      throw errors.conflict(byKind, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${meta.uid}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== meta.resourceVersion) {
      throw errors.conflict(
        byKind,
        name,
        `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${meta.resourceVersion}). The object might have been modified`,
      );
    }
    const next = structuredClone(cur.obj);
    const finalizers = new Set(next.metadata.finalizers ?? []);
    const policy = opts.propagationPolicy ?? (def.resource === 'namespaces' ? 'Background' : undefined);
    if (policy === 'Orphan') finalizers.add('orphan');
    if (policy === 'Foreground') finalizers.add('foregroundDeletion');
    const grace = def.strategy?.gracePeriod?.(cur.obj, opts.gracePeriodSeconds);
    const specFinalizers = isRecord(next.spec) && Array.isArray(next.spec.finalizers) ? next.spec.finalizers : [];
    const pending = finalizers.size > 0 || specFinalizers.length > 0;

    if (!pending && grace === undefined) {
      // Nothing to wait for: remove now (even when a graceful deletion was under way).
      if (dryRun) return { deleted: true, stored: cur };
      try {
        return { deleted: true, stored: await store.delete(key, cur.rv) };
      } catch (e) {
        if (e instanceof ConflictError) continue;
        if (e instanceof NotFoundError) throw errors.notFound(groupResource(def), name);
        throw e;
      }
    }
    const now = ctx.now();
    if (meta.deletionTimestamp) {
      // Already terminating: a shorter grace period may bring the deadline forward.
      const curGrace = meta.deletionGracePeriodSeconds ?? 0;
      if (grace === undefined || grace >= curGrace) {
        if (finalizers.size === (next.metadata.finalizers ?? []).length) return { deleted: false, stored: cur };
      }
    }
    next.metadata.finalizers = finalizers.size > 0 ? [...finalizers] : undefined;
    if (!next.metadata.finalizers) delete next.metadata.finalizers;
    if (!meta.deletionTimestamp || (grace !== undefined && grace < (meta.deletionGracePeriodSeconds ?? 0))) {
      next.metadata.deletionTimestamp = rfc3339Seconds(now + (grace ?? 0) * 1000);
      next.metadata.deletionGracePeriodSeconds = grace ?? 0;
    }
    if (def.resource === 'namespaces') next.status = { ...(next.status ?? {}), phase: 'Terminating' };
    if (dryRun) return { deleted: false, stored: { ...cur, obj: next, json: JSON.stringify(next) } };
    try {
      const { result } = await store.update(key, () => next, cur.rv);
      return { deleted: false, stored: result };
    } catch (e) {
      if (e instanceof ConflictError) continue;
      if (e instanceof NotFoundError) throw errors.notFound(groupResource(def), name);
      throw e;
    }
  }
  throw errors.staleUpdate(groupResource(def), name);
}

export async function handleDelete(ctx: ApiContext, r: ResourceRequest): Promise<ApiResponse> {
  if (r.info.subresource) throw errors.methodNotAllowed();
  const dryRun = isDryRun(r.req.query, r.req.method);
  const opts = deleteOptions(r);
  const { deleted, stored: last } = await deleteObject(ctx, r.def, r.info.namespace, r.info.name, opts, dryRun);
  let stored = last;
  if (deleted && r.def.strategy?.gracePeriod && !last.obj.metadata.deletionTimestamp) {
    // A graceful-deletion kind removed at once was first marked with a grace period of 0 (rest.BeforeDelete).
    const obj = structuredClone(last.obj);
    obj.metadata.deletionTimestamp = rfc3339Seconds(ctx.now());
    obj.metadata.deletionGracePeriodSeconds = 0;
    stored = { ...last, obj, json: JSON.stringify(obj) };
  }
  // handlers/delete.go: 200, or 202 when the object stays (finalizers, a grace period) and
  // the client passed orphanDependents=false; foreground deletion and namespaces answer 200.
  const status = !deleted && opts.orphanDependentsFalse ? 202 : 200;
  // A removed object answers with its last state; a pending deletion with its current one.
  if (deleted && r.def.resource !== 'pods' && r.def.resource !== 'namespaces') {
    return jsonResponse(200, JSON.stringify(successStatus(groupResource(r.def), r.info.name, stored.obj.metadata.uid)));
  }
  return respond(ctx, r, status, stored);
}

export async function handleDeleteCollection(ctx: ApiContext, r: ResourceRequest): Promise<ApiResponse> {
  const dryRun = isDryRun(r.req.query, r.req.method);
  const opts = deleteOptions(r);
  const filter = filterFor(r);
  const cacher = ctx.store(r.def).cacher;
  await cacher.catchUp();
  const prefix = storagePrefix(r.def);
  const keyPrefix = filter.namespace !== undefined ? `${prefix}${filter.namespace}/` : prefix;
  const { items, rev } = cacher.listCurrent(keyPrefix, filter);
  const deleted: string[] = [];
  for (const o of items) {
    try {
      const { stored } = await deleteObject(ctx, r.def, o.namespace, o.name, opts, dryRun);
      deleted.push(servedJson(r.def, stored.json));
    } catch (e) {
      // Gone meanwhile: that is what was asked for.
      if (!(e instanceof Error && 'code' in e && (e as { code: number }).code === 404)) throw e;
    }
  }
  const head = `{"kind":"${r.def.kind}List","apiVersion":"${apiVersionOf(r.def)}","metadata":{"resourceVersion":"${rev}"},"items":[`;
  return jsonResponse(200, `${head}${deleted.join(',')}]}`);
}

/** POST pods/<name>/binding: assigns the pod to a node, as the scheduler does. */
async function handleBinding(ctx: ApiContext, r: ResourceRequest): Promise<ApiResponse> {
  const { def, info } = r;
  if (def.resource !== 'pods') throw errors.serverNotFound();
  const body = asKubeObject(decodeBody(r.req));
  const target = isRecord(body.target) ? body.target : undefined;
  const node = target && typeof target.name === 'string' ? target.name : '';
  if (!node) throw errors.invalid('Binding', '', info.name, [required('target.name')]);
  const key = storageKey(def, info.namespace, info.name);
  try {
    await ctx.store(def).update(key, (cur) => {
      const spec = isRecord(cur.spec) ? cur.spec : {};
      if (cur.metadata.deletionTimestamp) {
        throw errors.conflict(groupResource(def), info.name, 'pod is being deleted, cannot be assigned to a host');
      }
      if (spec.nodeName) {
        throw errors.conflict(groupResource(def), info.name, `pod ${info.name} is already assigned to node "${String(spec.nodeName)}"`);
      }
      // `cur` is this request's own parse: change a shallow copy of it.
      const next: KubeObject = { ...cur, metadata: { ...cur.metadata } };
      next.spec = { ...spec, nodeName: node };
      const ann = isRecord(body.metadata.annotations) ? body.metadata.annotations : undefined;
      if (ann) next.metadata.annotations = { ...(next.metadata.annotations ?? {}), ...ann };
      const status = isRecord(next.status) ? { ...next.status } : {};
      const conds = (Array.isArray(status.conditions) ? status.conditions : []).filter(
        (c) => !(isRecord(c) && c.type === 'PodScheduled'),
      );
      conds.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339Seconds(ctx.now()) });
      status.conditions = conds;
      next.status = status;
      return next;
    });
  } catch (e) {
    throw mapStoreError(e, def, info.name);
  }
  return jsonResponse(201, JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 }));
}

/** The autoscaling/v1 Scale view of a Deployment or ReplicaSet. */
export function scaleOf(obj: KubeObject): KubeObject {
  const spec = isRecord(obj.spec) ? obj.spec : {};
  const status = isRecord(obj.status) ? obj.status : {};
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    // ScaleSpec.replicas is omitempty: 0 is not shown.
    spec: typeof spec.replicas === 'number' && spec.replicas !== 0 ? { replicas: spec.replicas } : {},
    status: {
      replicas: typeof status.replicas === 'number' ? status.replicas : 0,
      selector: labelSelectorString(spec.selector),
    },
  };
}

export async function handleScaleGet(ctx: ApiContext, r: ResourceRequest): Promise<ApiResponse> {
  const got = await ctx.store(r.def).get(storageKey(r.def, r.info.namespace, r.info.name));
  if (!got) throw errors.notFound(groupResource(r.def), r.info.name);
  return jsonResponse(200, JSON.stringify(scaleOf(got.obj)));
}

const SCALE_FIELDS: TypedField[] = [{ path: 'spec.replicas', type: 'int32', struct: 'ScaleSpec' }];

async function handleScaleWrite(ctx: ApiContext, r: ResourceRequest, how: 'update' | 'patch'): Promise<ApiResponse> {
  const { def, info } = r;
  if (!def.subresources.includes('scale')) throw errors.serverNotFound();
  const key = storageKey(def, info.namespace, info.name);
  const patchInput = how === 'patch' ? decodePatch(r) : undefined;
  const body = how === 'update' ? asKubeObject(decodeBody(r.req)) : undefined;
  const precondition = body ? parseRv(body.metadata.resourceVersion) : undefined;
  try {
    const { result } = await ctx.store(def).update(
      key,
      (cur) => {
        const scale = scaleOf(cur);
        const next = patchInput ? applyPatch(patchInput.type, scale, patchInput.patch) : body!;
        const bad = decodeError('Scale', 'v1', next, SCALE_FIELDS);
        if (bad) throw bad;
        // A Scale without replicas decodes as 0, as the Go struct's zero value.
        const replicas = (isRecord(next.spec) ? next.spec.replicas : undefined) ?? 0;
        if (typeof replicas !== 'number' || replicas < 0) {
          throw errors.invalid('Scale', 'autoscaling', info.name, [
            invalidValue('spec.replicas', replicas, 'must be greater than or equal to 0'),
          ]);
        }
        const out = structuredClone(cur);
        const spec = isRecord(out.spec) ? out.spec : {};
        if (spec.replicas === replicas) return null;
        spec.replicas = replicas;
        out.spec = spec;
        if (def.generation) out.metadata.generation = (cur.metadata.generation ?? 0) + 1;
        return out;
      },
      precondition,
    );
    return jsonResponse(200, JSON.stringify(scaleOf(result.obj)));
  } catch (e) {
    throw mapStoreError(e, def, info.name);
  }
}

/** PUT namespaces/<name>/finalize: replaces spec.finalizers; an empty list lets it go. */
async function handleFinalize(ctx: ApiContext, r: ResourceRequest): Promise<ApiResponse> {
  const { def, info } = r;
  if (def.resource !== 'namespaces') throw errors.serverNotFound();
  const body = asKubeObject(decodeBody(r.req));
  const finalizers = isRecord(body.spec) && Array.isArray(body.spec.finalizers) ? body.spec.finalizers : [];
  const key = storageKey(def, '', info.name);
  try {
    const { result, changed } = await ctx.store(def).update(key, (cur) => {
      const next = structuredClone(cur);
      next.spec = { ...(isRecord(next.spec) ? next.spec : {}), finalizers };
      return next;
    });
    const final = changed ? await finishIfDeletable(ctx, def, key, result) : result;
    return respond(ctx, r, 200, final);
  } catch (e) {
    throw mapStoreError(e, def, info.name);
  }
}
