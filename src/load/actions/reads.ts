import { collectionPath, objectPath, typeForResource } from '../../cluster/resources.js';
import { type ActionFactory, objectsOf, outcome } from './context.js';

/** get: one object of an earlier create phase per operation, round robin. */
export const get: ActionFactory = (phase, ctx, api) => {
  const from = phase.spec.get!.from;
  return async (i, j = i) => {
    const objs = objectsOf(ctx, from);
    if (objs.length === 0) return `no objects of phase ${from} to get`;
    const o = objs[j % objs.length]!;
    return outcome(await api.call('GET', objectPath(o.type, o.namespace, o.name)), `get ${o.namespace}/${o.name}`);
  };
};

/** list: a collection in the run's namespaces (round robin) or the cluster, every page read. */
export const list: ActionFactory = (phase, ctx, api) => {
  const l = phase.spec.list!;
  const type = typeForResource(l.resource)!;
  const limit = l.limit ?? 500;
  return async (i) => {
    const ns = type.namespaced && (l.scope ?? 'namespace') === 'namespace' ? ctx.namespaces[i % Math.max(1, ctx.namespaces.length)] : undefined;
    let cont = '';
    // Every page is read, as a client listing the whole collection would.
    do {
      const query: Record<string, string> = {};
      if (limit > 0) query.limit = String(limit);
      if (cont) query.continue = cont;
      if (l.labelSelector) query.labelSelector = l.labelSelector;
      const res = await api.call('GET', collectionPath(type, ns), { query, keepBodyUntil: '"items"' });
      const r = outcome(res, `list ${l.resource}`);
      if (r !== true) return r;
      const token = limit > 0 ? continueToken(res.body) : '';
      if (token === undefined) return `list ${l.resource}: a page without its metadata before its items, so its continue token is not known`;
      cont = token;
    } while (cont);
    return true;
  };
};

const CONTINUE = /"continue":"([^"\\]*)"/;

/**
 * The continue token of a list page, from its text up to "items" (the client keeps no
 * more: 500 pods, some 1.5 MB, per page were most of a list phase's memory). The apiserver
 * writes the list's metadata before its items; undefined when the page is shaped otherwise.
 */
export function continueToken(head: string): string | undefined {
  const items = head.indexOf('"items"');
  // No items at all: the whole page was kept.
  if (items < 0) return (JSON.parse(head) as { metadata?: { continue?: string } }).metadata?.continue ?? '';
  const before = head.slice(0, items);
  if (!before.includes('"metadata"')) return undefined;
  return CONTINUE.exec(before)?.[1] ?? '';
}
