import type { ApiResponse } from '../api-types.js';
import { type ApiContext, asKubeObject, decodeBody, type ResourceRequest } from '../context.js';
import { finishIfDeletable, mapStoreError, respond } from '../rest-support.js';
import { storageKey } from '../storage-keys.js';
import { cloneJson, isRecord } from '../types.js';

/** PUT namespaces/<name>/finalize: replaces spec.finalizers; an empty list lets it go. */
export async function updateFinalize(ctx: ApiContext, r: ResourceRequest): Promise<ApiResponse> {
  const { def, info } = r;
  const body = asKubeObject(decodeBody(r.req));
  const finalizers = isRecord(body.spec) && Array.isArray(body.spec.finalizers) ? body.spec.finalizers : [];
  const key = storageKey(def, '', info.name);
  try {
    const { result, changed } = await ctx.store(def).update(key, (cur) => {
      const next = cloneJson(cur);
      next.spec = { ...(isRecord(next.spec) ? next.spec : {}), finalizers };
      return next;
    });
    const final = changed ? await finishIfDeletable(ctx, def, key, result) : result;
    return respond(ctx, r, 200, final);
  } catch (e) {
    throw mapStoreError(e, def, info.name);
  }
}
