import { type ApiResponse, jsonResponse } from './api-types.js';
import { type ApiContext, decodeBody, groupResource, type ResourceRequest } from './context.js';
import { ConflictError, NotFoundError, type StoredObject } from './object-store.js';
import { apiVersionOf, type ResourceDef } from './resource-def.js';
import { filterFor, servedJson } from './rest-read.js';
import { isDryRun, respond } from './rest-support.js';
import { notSupported } from './resources/validation.js';
import { errors, successStatus } from './status.js';
import { storageKey, storagePrefix } from './storage-keys.js';
import { cloneJson, isRecord, rfc3339Seconds } from './types.js';

export interface DeleteOptions {
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
    const next = cloneJson(cur.obj);
    const finalizers = new Set(next.metadata.finalizers ?? []);
    if (opts.propagationPolicy === 'Orphan') finalizers.add('orphan');
    if (opts.propagationPolicy === 'Foreground') finalizers.add('foregroundDeletion');
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
    def.strategy?.prepareForDeletion?.(next);
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
    const obj = cloneJson(last.obj);
    obj.metadata.deletionTimestamp = rfc3339Seconds(ctx.now());
    obj.metadata.deletionGracePeriodSeconds = 0;
    stored = { ...last, obj, json: JSON.stringify(obj) };
  }
  // handlers/delete.go: 200, or 202 when the object stays (finalizers, a grace period) and
  // the client passed orphanDependents=false; foreground deletion and namespaces answer 200.
  const status = !deleted && opts.orphanDependentsFalse ? 202 : 200;
  // A removed object answers with a Status, unless its store returns the deleted object;
  // a pending deletion answers with the object's current state.
  if (deleted && !r.def.returnDeletedObject) {
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
