import { type ApiResponse, jsonResponse } from '../api-types.js';
import { type ApiContext, asKubeObject, decodeBody, groupResource, type ResourceRequest } from '../context.js';
import { mapStoreError } from '../rest-support.js';
import { errors } from '../status.js';
import { storageKey } from '../storage-keys.js';
import { isRecord, type KubeObject, rfc3339Seconds } from '../types.js';
import { required } from './validation.js';

/** POST pods/<name>/binding: assigns the pod to a node once, as the scheduler does. */
export async function createBinding(ctx: ApiContext, r: ResourceRequest): Promise<ApiResponse> {
  const { def, info } = r;
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
