import { randomUUID } from 'node:crypto';
import type { AdmissionContext } from './admission.js';
import type { ApiResponse } from './api-types.js';
import { type CachedObject, parsedObject } from './cacher.js';
import { type ApiContext, asKubeObject, decodeBody, groupResource, type ResourceRequest } from './context.js';
import { decodeError } from './decode-check.js';
import { admitNamespaceLifecycle } from './namespace-lifecycle.js';
import { AlreadyExistsError, type StoredObject } from './object-store.js';
import type { ResourceDef } from './resource-def.js';
import { dropEmptyMeta, invalid, isDryRun, metaCauses, respond, toStorageForm } from './rest-support.js';
import { errors } from './status.js';
import { storageKey } from './storage-keys.js';
import { type KubeObject, rfc3339Seconds } from './types.js';

/**
 * Parsed cache entries for admission lookups: every pod create reads its ServiceAccount, and
 * a cache entry is replaced (never changed) when its object changes.
 */
const parsedForAdmission = new WeakMap<CachedObject, KubeObject>();

/** Lookups for admission plugins: the watch cache, else storage (a lister, then a live GET). */
function admissionContext(ctx: ApiContext): AdmissionContext {
  return {
    async get(def, namespace, name) {
      const store = ctx.store(def);
      const key = storageKey(def, namespace, name);
      const cached = store.cacher.get(key);
      if (cached) {
        let obj = parsedForAdmission.get(cached);
        if (!obj) parsedForAdmission.set(cached, (obj = parsedObject(cached)));
        return obj;
      }
      return (await store.get(key))?.obj;
    },
    randomSuffix: (n) => ctx.strategy.randomSuffix(n),
    randomInt: (n) => ctx.strategy.randomInt(n),
  };
}

/** Create: admission, defaulting, validation, then a create-if-absent in storage. */
export async function createObject(
  ctx: ApiContext,
  def: ResourceDef,
  namespace: string,
  input: KubeObject,
  dryRun: boolean,
): Promise<StoredObject> {
  const undecodable = decodeError(def.kind, def.version, input, def.typedFields);
  if (undecodable) throw undecodable;
  const obj = toStorageForm(def, input);
  const meta = obj.metadata;
  if (def.namespaced) {
    if (meta.namespace && meta.namespace !== namespace) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    meta.namespace = namespace;
  } else {
    delete meta.namespace;
  }
  // Mutating admission comes first, as in the real create handler (before BeforeCreate).
  if (def.admitCreate) await def.admitCreate(obj, admissionContext(ctx));
  const generated = !meta.name && !!meta.generateName;
  // names.SimpleNameGenerator: the base is cut so that base + 5 characters fit in 63.
  const base = (meta.generateName ?? '').slice(0, 58);
  if (generated) meta.name = `${base}${ctx.strategy.randomSuffix(5)}`;
  meta.uid = randomUUID();
  meta.creationTimestamp = rfc3339Seconds(ctx.now());
  delete meta.resourceVersion;
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  delete meta.selfLink;
  if (def.generation) meta.generation = 1;
  else delete meta.generation;
  dropEmptyMeta(meta);
  const causes = metaCauses(obj, def);
  if (causes.length === 0) {
    def.strategy?.prepareForCreate?.(obj, ctx.strategy);
    causes.push(...(def.strategy?.validate?.(obj) ?? []));
  }
  if (causes.length > 0) invalid(def, obj, causes);
  await admitNamespaceLifecycle(ctx, def, namespace, meta.name!);
  if (dryRun) return { obj, rv: 0, json: JSON.stringify(obj) };
  // generateName collisions are retried with a new suffix, as the real apiserver does.
  for (let attempt = 0; ; attempt++) {
    try {
      return await ctx.store(def).create(storageKey(def, namespace, meta.name!), obj);
    } catch (e) {
      if (!(e instanceof AlreadyExistsError)) throw e;
      if (!generated || attempt >= 7) throw errors.alreadyExists(groupResource(def), meta.name!);
      meta.name = `${base}${ctx.strategy.randomSuffix(5)}`;
    }
  }
}

export async function handleCreate(ctx: ApiContext, r: ResourceRequest): Promise<ApiResponse> {
  if (r.info.subresource) throw errors.methodNotAllowed();
  const dryRun = isDryRun(r.req.query, r.req.method);
  const obj = asKubeObject(decodeBody(r.req));
  const stored = await createObject(ctx, r.def, r.info.namespace, obj, dryRun);
  return respond(ctx, r, 201, stored);
}
