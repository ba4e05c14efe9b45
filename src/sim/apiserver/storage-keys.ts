import type { ResourceDef } from './resource-def.js';

/** Where a resource's objects live in storage: /registry/<storage>/. */
export function storagePrefix(def: ResourceDef): string {
  return `/registry/${def.storage}/`;
}

/** /registry/<storage>/[<namespace>/]<name>, as the real apiserver writes keys. */
export function storageKey(def: ResourceDef, namespace: string | undefined, name: string): string {
  return def.namespaced ? `${storagePrefix(def)}${namespace}/${name}` : `${storagePrefix(def)}${name}`;
}
