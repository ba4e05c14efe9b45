import type { ApiResponse } from '../api-types.js';
import { type ApiContext, groupResource, type ResourceRequest } from '../context.js';
import { errors } from '../status.js';
import { storageKey } from '../storage-keys.js';

/**
 * GET pods/<[scheme:]name[:port]>/proxy/<path>: reaches the sim's control-plane pods
 * (kube-scheduler's metrics), which in-process servers stand in for; other pods have no
 * container to answer.
 */
export async function getPodProxy(ctx: ApiContext, r: ResourceRequest): Promise<ApiResponse> {
  const { def, info } = r;
  const parts = info.name.split(':');
  const scheme = parts.length === 3 ? parts[0] : '';
  const pod = parts.length === 3 ? parts[1]! : parts[0]!;
  const port = Number(parts.length === 3 ? parts[2] : (parts[1] ?? 80));
  const found = await ctx.store(def).get(storageKey(def, info.namespace, pod));
  if (!found) throw errors.notFound(groupResource(def), pod);
  const target = ctx.proxyTarget(info.namespace, pod, port);
  if (!target || (scheme && scheme !== target.scheme)) {
    throw errors.serviceUnavailable(`error trying to reach service: dial tcp ${pod}:${port}: connect: connection refused`);
  }
  const res = await target.fetch(info.proxyPath);
  return { status: res.status, headers: { 'Content-Type': res.contentType }, body: res.body };
}
