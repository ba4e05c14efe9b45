import { objectPath } from '../../cluster/resources.js';
import { substitute } from '../../spec/template.js';
import { type ActionFactory, objectsOf, ok, outcome } from './context.js';

const PATCH_TYPES = { merge: 'application/merge-patch+json', strategic: 'application/strategic-merge-patch+json', json: 'application/json-patch+json' } as const;

/** patch: the phase's patch body (template variables allowed) on one object per operation. */
export const patch: ActionFactory = (phase, ctx, api) => {
  const { from, type = 'merge', body } = phase.spec.patch!;
  const contentType = PATCH_TYPES[type];
  const bodyText = JSON.stringify(body);
  return async (i) => {
    const objs = objectsOf(ctx, from);
    if (objs.length === 0) return `no objects of phase ${from} to patch`;
    const o = objs[i % objs.length]!;
    const rendered = substitute(bodyText, { index: i, name: o.name, namespace: o.namespace, runId: ctx.runId, workload: ctx.workload, phase: phase.name });
    return outcome(await api.call('PATCH', objectPath(o.type, o.namespace, o.name), { body: rendered, contentType }), `patch ${o.namespace}/${o.name}`);
  };
};

/** update: read-modify-write (GET, then PUT); a conflict with a controller's write is retried, as clients do. */
export const update: ActionFactory = (phase, ctx, api) => {
  const u = phase.spec.update!;
  return async (i) => {
    const objs = objectsOf(ctx, u.from);
    if (objs.length === 0) return `no objects of phase ${u.from} to update`;
    const o = objs[i % objs.length]!;
    const path = objectPath(o.type, o.namespace, o.name);
    for (let attempt = 0; attempt < 5; attempt++) {
      const got = await api.call('GET', path);
      if (!ok(got)) return outcome(got, `get ${o.namespace}/${o.name}`);
      const obj = JSON.parse(got.body) as { metadata: { labels?: Record<string, string>; annotations?: Record<string, string> } };
      if (u.labels) obj.metadata.labels = { ...(obj.metadata.labels ?? {}), ...u.labels };
      if (u.annotations) obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), ...u.annotations };
      const put = await api.call('PUT', path, { body: obj });
      if (put.status !== 409) return outcome(put, `update ${o.namespace}/${o.name}`);
    }
    return `update ${o.namespace}/${o.name}: 409 Conflict five times in a row`;
  };
};

/** scale: the scale subresource of one Deployment or ReplicaSet per operation. */
export const scale: ActionFactory = (phase, ctx, api) => {
  const s = phase.spec.scale!;
  return async (i) => {
    const objs = objectsOf(ctx, s.from);
    if (objs.length === 0) return `no objects of phase ${s.from} to scale`;
    const o = objs[i % objs.length]!;
    const res = await api.call('PATCH', objectPath(o.type, o.namespace, o.name, 'scale'), { body: { spec: { replicas: s.replicas } }, contentType: 'application/merge-patch+json' });
    return outcome(res, `scale ${o.namespace}/${o.name}`);
  };
};

/** delete: object i of an earlier create phase; one already gone counts as done. */
export const del: ActionFactory = (phase, ctx, api) => {
  const d = phase.spec.delete!;
  const options: Record<string, unknown> = { propagationPolicy: d.propagationPolicy ?? 'Background' };
  if (d.gracePeriodSeconds !== undefined) options.gracePeriodSeconds = d.gracePeriodSeconds;
  return async (i) => {
    const objs = objectsOf(ctx, d.from);
    if (i >= objs.length) return `phase ${d.from} made no object ${i} to delete`;
    const o = objs[i]!;
    const res = await api.call('DELETE', objectPath(o.type, o.namespace, o.name), { body: options });
    return res.status === 404 ? true : outcome(res, `delete ${o.namespace}/${o.name}`);
  };
};
