import { parse as parseYaml } from 'yaml';
import { type ApiResponse, jsonResponse } from './api-types.js';
import { type ApiContext, groupResource, parseJsonBody, type ResourceRequest } from './context.js';
import { ConflictError, NotFoundError, type StoredObject } from './object-store.js';
import { negotiateOutput } from './output-form.js';
import { jsonPatch, mergePatch, PatchError, type PatchType, patchTypeOf, strategicMergePatch } from './patch.js';
import { apiVersionOf, type ResourceDef } from './resource-def.js';
import { dnsSubdomainError, invalidValue, notSupported, required } from './resources/validation.js';
import { renderOne, servedJson } from './rest-read.js';
import { validateLabelKey, validateLabelValue } from './selectors.js';
import { errors, type StatusCause } from './status.js';
import { isRecord, type KubeObject } from './types.js';

/** What the write verbs share: dry runs, storage form, metadata validation, patches, answers. */

type OptionsKind = 'CreateOptions' | 'UpdateOptions' | 'PatchOptions' | 'DeleteOptions';

function optionsKind(method: string): OptionsKind {
  return method === 'POST' ? 'CreateOptions' : method === 'PUT' ? 'UpdateOptions' : method === 'PATCH' ? 'PatchOptions' : 'DeleteOptions';
}

/** dryRun=All, or nothing; any other value is refused as the verb's options are (CreateOptions, ...). */
export function isDryRun(q: URLSearchParams, method: string): boolean {
  const v = q.getAll('dryRun');
  if (v.length === 0) return false;
  if (v.some((x) => x !== 'All')) throw errors.invalidOptions(optionsKind(method), notSupported('dryRun', v, ['All']));
  return true;
}

/** Go's omitempty: empty label, annotation, finalizer and owner lists are not stored. */
export function dropEmptyMeta(m: KubeObject['metadata']): void {
  for (const k of ['labels', 'annotations'] as const) if (isRecord(m[k]) && Object.keys(m[k]).length === 0) delete m[k];
  for (const k of ['finalizers', 'ownerReferences'] as const) if (Array.isArray(m[k]) && m[k].length === 0) delete m[k];
}

/** Checks the body's apiVersion/kind against the endpoint and converts it to storage form. */
export function toStorageForm(def: ResourceDef, obj: KubeObject): KubeObject {
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

export function metaCauses(obj: KubeObject, def: ResourceDef): StatusCause[] {
  const causes: StatusCause[] = [];
  const name = obj.metadata.name ?? '';
  if (!name) causes.push({ ...required('metadata.name'), message: 'Required value: name or generateName is required' });
  else {
    const err = (def.nameError ?? dnsSubdomainError)(name);
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

export function invalid(def: ResourceDef, obj: KubeObject, causes: StatusCause[]): never {
  throw errors.invalid(def.kind, def.group, obj.metadata.name ?? obj.metadata.generateName ?? '', causes);
}

/** The object in the form the client asked for (JSON, Table, PartialObjectMetadata). */
export function respond(ctx: ApiContext, r: ResourceRequest, status: number, stored: StoredObject): ApiResponse {
  const form = negotiateOutput(r.req.accept);
  return jsonResponse(status, form.kind === 'json' ? servedJson(r.def, stored.json) : renderOne(ctx, r.def, stored.json, form, r.req.query));
}

export function mapStoreError(e: unknown, def: ResourceDef, name: string): unknown {
  if (e instanceof NotFoundError) return errors.notFound(groupResource(def), name);
  if (e instanceof ConflictError) return errors.staleUpdate(groupResource(def), name);
  if (e instanceof PatchError) return e.decode ? errors.badRequest(e.message) : errors.patchNotApplicable();
  return e;
}

export function decodePatch(r: ResourceRequest): { type: PatchType; patch: unknown } {
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

export function applyPatch(type: PatchType, current: KubeObject, patch: unknown): KubeObject {
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

/** An object whose deletion is pending and has nothing left to wait for is removed. */
function readyToDelete(obj: KubeObject): boolean {
  if (!obj.metadata.deletionTimestamp) return false;
  if ((obj.metadata.finalizers ?? []).length > 0) return false;
  if ((obj.metadata.deletionGracePeriodSeconds ?? 0) > 0) return false;
  const specFinalizers = isRecord(obj.spec) && Array.isArray(obj.spec.finalizers) ? obj.spec.finalizers : [];
  return specFinalizers.length === 0;
}

/** After a write that may have released the last finalizer: removes what is due to go. */
export async function finishIfDeletable(ctx: ApiContext, def: ResourceDef, key: string, stored: StoredObject): Promise<StoredObject> {
  if (!readyToDelete(stored.obj)) return stored;
  try {
    return await ctx.store(def).delete(key, stored.rv);
  } catch (e) {
    if (e instanceof NotFoundError || e instanceof ConflictError) return stored;
    throw e;
  }
}
