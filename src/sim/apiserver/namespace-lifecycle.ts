import { type ApiContext, groupResource } from './context.js';
import type { ResourceDef } from './resource-def.js';
import { namespaces } from './resources/cluster.js';
import { errors } from './status.js';
import { storageKey } from './storage-keys.js';
import { isRecord } from './types.js';

/**
 * The NamespaceLifecycle admission plugin on create: an object of a namespaced resource
 * needs its namespace to exist and not to be terminating.
 */
export async function admitNamespaceLifecycle(ctx: ApiContext, def: ResourceDef, ns: string, name: string): Promise<void> {
  if (!def.namespaced) return;
  const nsStore = ctx.store(namespaces);
  const key = storageKey(namespaces, undefined, ns);
  const cached = nsStore.cacher.get(key);
  let phase: unknown;
  if (cached) {
    phase = cached.fields['status.phase'];
  } else {
    // The cache may trail a namespace created a moment ago; ask storage before refusing.
    const obj = (await nsStore.get(key))?.obj;
    if (!obj) throw errors.notFound(groupResource(namespaces), ns);
    phase = isRecord(obj.status) ? obj.status.phase : undefined;
  }
  // Deleting a namespace sets its phase to Terminating in the same write.
  if (phase === 'Terminating') {
    const why = `unable to create new content in namespace ${ns} because it is being terminated`;
    throw errors.forbidden(groupResource(def), name, why, { reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' });
  }
}
