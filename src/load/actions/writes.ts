import { objectPath } from '../../cluster/resources.js';
import { substitute } from '../../spec/template.js';
import { type ActionFactory, objectsOf, ok } from './context.js';

const PATCH_TYPES = { merge: 'application/merge-patch+json', strategic: 'application/strategic-merge-patch+json', json: 'application/json-patch+json' } as const;

/** patch: the phase's patch body (template variables allowed) on one object per operation. */
export const patch: ActionFactory = (phase, ctx, api) => {
  const { from, type = 'merge', body } = phase.spec.patch!;
  const contentType = PATCH_TYPES[type];
  const bodyText = JSON.stringify(body);
  return async (i) => {
    const objs = objectsOf(ctx, from);
    if (objs.length === 0) return false;
    const o = objs[i % objs.length]!;
    const rendered = substitute(bodyText, { index: i, name: o.name, namespace: o.namespace, runId: ctx.runId, workload: ctx.workload, phase: phase.name });
    return ok(await api.call('PATCH', objectPath(o.type, o.namespace, o.name), { body: rendered, contentType }));
  };
};

/** update: read-modify-write (GET, then PUT); a conflict with a controller's write is retried, as clients do. */
export const update: ActionFactory = (phase, ctx, api) => {
  const u = phase.spec.update!;
  return async (i) => {
    const objs = objectsOf(ctx, u.from);
    if (objs.length === 0) return false;
    const o = objs[i % objs.length]!;
    const path = objectPath(o.type, o.namespace, o.name);
    for (let attempt = 0; attempt < 5; attempt++) {
      const got = await api.call('GET', path);
      if (!ok(got)) return false;
      const obj = JSON.parse(got.body) as { metadata: { labels?: Record<string, string>; annotations?: Record<string, string> } };
      if (u.labels) obj.metadata.labels = { ...(obj.metadata.labels ?? {}), ...u.labels };
      if (u.annotations) obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), ...u.annotations };
      const put = await api.call('PUT', path, { body: obj });
      if (put.status !== 409) return ok(put);
    }
    return false;
  };
};

/** scale: the scale subresource of one Deployment or ReplicaSet per operation. */
export const scale: ActionFactory = (phase, ctx, api) => {
  const s = phase.spec.scale!;
  return async (i) => {
    const objs = objectsOf(ctx, s.from);
    if (objs.length === 0) return false;
    const o = objs[i % objs.length]!;
    const res = await api.call('PATCH', objectPath(o.type, o.namespace, o.name, 'scale'), { body: { spec: { replicas: s.replicas } }, contentType: 'application/merge-patch+json' });
    return ok(res);
  };
};

/** delete: object i of an earlier create phase; one already gone counts as done. */
export const del: ActionFactory = (phase, ctx, api) => {
  const d = phase.spec.delete!;
  const options: Record<string, unknown> = { propagationPolicy: d.propagationPolicy ?? 'Background' };
  if (d.gracePeriodSeconds !== undefined) options.gracePeriodSeconds = d.gracePeriodSeconds;
  return async (i) => {
    const objs = objectsOf(ctx, d.from);
    if (i >= objs.length) return false;
    const o = objs[i]!;
    const res = await api.call('DELETE', objectPath(o.type, o.namespace, o.name), { body: options });
    return ok(res) || res.status === 404;
  };
};
