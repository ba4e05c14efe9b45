import type { KubeObject, OwnerReference } from '../apiserver/types.js';

/** The owner reference marked `controller: true`, if any. */
export function controllerRef(o: KubeObject): OwnerReference | undefined {
  return (o.metadata.ownerReferences ?? []).find((r) => r.controller === true);
}

export function ownerReference(apiVersion: string, kind: string, owner: KubeObject): OwnerReference {
  return {
    apiVersion,
    kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}
