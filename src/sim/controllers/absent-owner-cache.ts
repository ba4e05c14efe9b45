import type { OwnerReference } from '../apiserver/types.js';

/**
 * Owners the garbage collector knows to be gone, as kube-controller-manager's
 * absentOwnerCache (an LRU of 500 references): filled when an owner with dependents is seen
 * deleted or a lookup finds it missing, so its other dependents are collected without
 * asking the apiserver for it again, once per dependent.
 */
export class AbsentOwnerCache {
  /** Insertion order is recency order: a hit moves the key to the end. */
  readonly #keys = new Map<string, true>();

  constructor(private readonly capacity = 500) {}

  static key(ref: Pick<OwnerReference, 'apiVersion' | 'kind' | 'name' | 'uid'>, namespace: string): string {
    return `${ref.apiVersion}\u0000${ref.kind}\u0000${namespace}\u0000${ref.name}\u0000${ref.uid}`;
  }

  has(key: string): boolean {
    if (!this.#keys.has(key)) return false;
    this.#keys.delete(key);
    this.#keys.set(key, true);
    return true;
  }

  add(key: string): void {
    this.#keys.delete(key);
    this.#keys.set(key, true);
    if (this.#keys.size > this.capacity) this.#keys.delete(this.#keys.keys().next().value!);
  }

  get size(): number {
    return this.#keys.size;
  }
}
