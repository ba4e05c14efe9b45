import type { ApiResponse } from './api-types.js';
import { type ApiContext, asKubeObject, decodeBody, groupResource, parseRv, type ResourceRequest } from './context.js';
import { decodeError } from './decode-check.js';
import { ConflictError, NotFoundError, type StoredObject } from './object-store.js';
import type { ResourceDef } from './resource-def.js';
import { createObject } from './rest-create.js';
import { applyPatch, decodePatch, dropEmptyMeta, finishIfDeletable, invalid, isDryRun, mapStoreError, metaCauses, respond, toStorageForm } from './rest-support.js';
import { forbidden, required } from './resources/validation.js';
import { semanticEqual } from './semantic-equal.js';
import { errors } from './status.js';
import { storageKey } from './storage-keys.js';
import { cloneJson, isRecord, type KubeObject } from './types.js';

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

/** Builds the next object of an update of the main resource or of its status. */
function prepareUpdate(ctx: ApiContext, def: ResourceDef, subresource: string, next: KubeObject, cur: KubeObject): KubeObject {
  let out: KubeObject;
  if (subresource === 'status') {
    if (next.metadata.uid && next.metadata.uid !== cur.metadata.uid) {
      throw errors.conflict(groupResource(def), cur.metadata.name ?? '', `Precondition failed: UID in precondition: ${next.metadata.uid}, UID in object meta: ${cur.metadata.uid}`);
    }
    // Status writes change status only; metadata and spec stay as stored.
    out = { ...cur, metadata: { ...cur.metadata }, status: next.status };
    if (next.status === undefined) delete out.status;
    // The Deployment's revision annotation is written with its status (no generation bump).
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
    if (def.generation && (!semanticEqual(out.spec, cur.spec) || (def.annotationsInGeneration && !semanticEqual(out.metadata.annotations, cur.metadata.annotations)))) {
      out.metadata.generation = (cur.metadata.generation ?? 0) + 1;
    }
  }
  return out;
}

/** A read-modify-write of one object (GuaranteedUpdate); a dry run reads and computes only. */
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

/** Only the object itself and its status are written by the generic verbs. */
function checkGenericSubresource(subresource: string): void {
  if (subresource !== '' && subresource !== 'status') throw errors.methodNotAllowed();
}

export async function handleUpdate(ctx: ApiContext, r: ResourceRequest): Promise<ApiResponse> {
  const { def, info } = r;
  checkGenericSubresource(info.subresource);
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
      prepareUpdate(ctx, def, info.subresource, cloneJson(body), cur),
    );
    const final = changed && !dryRun ? await finishIfDeletable(ctx, def, key, result) : result;
    return respond(ctx, r, 200, final);
  } catch (e) {
    throw mapStoreError(e, def, info.name);
  }
}

export async function handlePatch(ctx: ApiContext, r: ResourceRequest): Promise<ApiResponse> {
  const { def, info } = r;
  checkGenericSubresource(info.subresource);
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
      const obj = asKubeObject(cloneJson(patch));
      obj.metadata.name ??= info.name;
      const stored = await createObject(ctx, def, info.namespace, obj, dryRun);
      return respond(ctx, r, 201, stored);
    }
    throw mapStoreError(e, def, info.name);
  }
}
