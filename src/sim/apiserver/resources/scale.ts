import { type ApiResponse, jsonResponse } from '../api-types.js';
import { type ApiContext, asKubeObject, decodeBody, groupResource, parseRv, type ResourceRequest } from '../context.js';
import { decodeError, type TypedField } from '../decode-check.js';
import type { SubresourceVerbs } from '../resource-def.js';
import { applyPatch, decodePatch, mapStoreError } from '../rest-support.js';
import { errors } from '../status.js';
import { storageKey } from '../storage-keys.js';
import { cloneJson, isRecord, type KubeObject } from '../types.js';
import { invalidValue } from './validation.js';
import { labelSelectorString } from './label-selector.js';

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

async function getScale(ctx: ApiContext, r: ResourceRequest): Promise<ApiResponse> {
  const got = await ctx.store(r.def).get(storageKey(r.def, r.info.namespace, r.info.name));
  if (!got) throw errors.notFound(groupResource(r.def), r.info.name);
  return jsonResponse(200, JSON.stringify(scaleOf(got.obj)));
}

const SCALE_FIELDS: TypedField[] = [{ path: 'spec.replicas', type: 'int32', struct: 'ScaleSpec' }];

async function writeScale(ctx: ApiContext, r: ResourceRequest, how: 'update' | 'patch'): Promise<ApiResponse> {
  const { def, info } = r;
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
          throw errors.invalid('Scale', 'autoscaling', info.name, [invalidValue('spec.replicas', replicas, 'must be greater than or equal to 0')]);
        }
        const out = cloneJson(cur);
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

/** The scale subresource of a workload with spec.replicas. */
export const scaleSubresource: SubresourceVerbs = {
  get: getScale,
  update: (ctx, r) => writeScale(ctx, r, 'update'),
  patch: (ctx, r) => writeScale(ctx, r, 'patch'),
};
