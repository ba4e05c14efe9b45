import type { Registry } from '../apiserver/registry.js';
import { apiVersionOf, type ResourceDef } from '../apiserver/resource-def.js';
import type { KubeObject, OwnerReference } from '../apiserver/types.js';
import { Informer } from '../informer.js';
import { LocalApiError, type LocalClient } from '../local-client.js';
import { WorkQueue } from './work-queue.js';

/** What the collector keeps of each object: identity, owners, deletion state. */
interface Node {
  uid: string;
  def: ResourceDef;
  namespace: string;
  name: string;
  owners: OwnerReference[];
  deleting: boolean;
  finalizers: string[];
}

const ABSENT_OWNER_CACHE_SIZE = 500;

function sameOwners(a: OwnerReference[], b: OwnerReference[]): boolean {
  return a.length === b.length && a.every((o, i) => o.uid === b[i]!.uid);
}

function objectPath(def: ResourceDef, namespace: string, name: string): string {
  const base = def.group ? `/apis/${apiVersionOf(def)}` : `/api/${def.version}`;
  return def.namespaced ? `${base}/namespaces/${namespace}/${def.resource}/${name}` : `${base}/${def.resource}/${name}`;
}

/**
 * Garbage collection through ownerReferences, as kube-controller-manager's collector does:
 * dependents whose owners are all gone are deleted (background propagation); owners being
 * deleted in the foreground wait for their blocking dependents; orphaning strips the
 * owner reference from dependents.
 */
export class GarbageCollector {
  readonly #nodes = new Map<string, Node>();
  /** owner uid -> dependent uids */
  readonly #dependents = new Map<string, Set<string>>();
  readonly #informers: Informer<Node>[] = [];
  readonly #queue: WorkQueue;
  readonly #defs: ResourceDef[];
  /**
   * Owners found absent in storage, as kube-controller-manager's absentOwnerCache (an LRU of
   * 500 uids): the dependents of one deleted owner cost one GET, not one each.
   */
  readonly #absentOwners = new Map<string, true>();

  constructor(
    private readonly client: LocalClient,
    registry: Registry,
    private readonly retryMs = 1000,
    /** Grace before a dependent with an unknown owner is checked against storage. */
    private readonly orphanCheckDelayMs = 500,
  ) {
    this.#defs = registry.resources.filter((r) => !r.codec);
    this.#queue = new WorkQueue(4, (uid) => this.#sync(uid), (uid) => this.#queue.addAfter(uid, this.retryMs));
    for (const def of this.#defs) {
      const base = def.group ? `/apis/${apiVersionOf(def)}` : `/api/${def.version}`;
      this.#informers.push(
        new Informer(client, {
          path: `${base}/${def.resource}`,
          transform: (o: KubeObject): Node => ({
            uid: String(o.metadata.uid),
            def,
            namespace: o.metadata.namespace ?? '',
            name: String(o.metadata.name),
            owners: o.metadata.ownerReferences ?? [],
            deleting: !!o.metadata.deletionTimestamp,
            finalizers: o.metadata.finalizers ?? [],
          }),
          handlers: {
            add: (n) => this.#upsert(n),
            update: (_o, n) => this.#upsert(n),
            delete: (n) => this.#remove(n),
          },
        }),
      );
    }
  }

  async start(): Promise<void> {
    await Promise.all(this.#informers.map((i) => i.start()));
  }

  stop(): void {
    for (const i of this.#informers) i.stop();
    this.#queue.stop();
  }

  #upsert(n: Node): void {
    const prev = this.#nodes.get(n.uid);
    if (prev && !n.deleting && !prev.deleting && sameOwners(prev.owners, n.owners)) {
      // The common update (a status change): nothing the collector indexes has changed.
      this.#nodes.set(n.uid, n);
      return;
    }
    if (prev) for (const o of prev.owners) this.#dependents.get(o.uid)?.delete(n.uid);
    this.#nodes.set(n.uid, n);
    let ownerMissing = false;
    for (const o of n.owners) {
      let set = this.#dependents.get(o.uid);
      if (!set) this.#dependents.set(o.uid, (set = new Set()));
      set.add(n.uid);
      if (!this.#nodes.has(o.uid)) ownerMissing = true;
    }
    if (ownerMissing) this.#queue.addAfter(n.uid, this.orphanCheckDelayMs);
    if (n.deleting && (n.finalizers.includes('foregroundDeletion') || n.finalizers.includes('orphan'))) {
      this.#queue.add(n.uid);
    }
  }

  #remove(n: Node): void {
    this.#nodes.delete(n.uid);
    for (const o of n.owners) this.#dependents.get(o.uid)?.delete(n.uid);
    for (const dep of this.#dependents.get(n.uid) ?? []) this.#queue.add(dep);
    // Owners waiting in the foreground re-check their remaining dependents.
    for (const o of n.owners) if (this.#nodes.get(o.uid)?.deleting) this.#queue.add(o.uid);
  }

  async #sync(uid: string): Promise<void> {
    const n = this.#nodes.get(uid);
    if (!n) return;
    if (n.deleting && n.finalizers.includes('orphan')) await this.#orphanDependents(n);
    else if (n.deleting && n.finalizers.includes('foregroundDeletion')) await this.#deleteForeground(n);
    if (n.owners.length > 0) await this.#collectIfOwnersGone(n);
  }

  /** Is the owner still there? The cache first, then storage (the cache may trail). */
  async #ownerExists(ref: OwnerReference, namespace: string): Promise<boolean> {
    const cached = this.#nodes.get(ref.uid);
    if (cached) return true;
    if (this.#absentOwners.has(ref.uid)) return false;
    const [group, version] = ref.apiVersion.includes('/') ? ref.apiVersion.split('/') : ['', ref.apiVersion];
    const def = this.#defs.find((d) => d.group === group && d.version === version && d.kind === ref.kind);
    if (!def) return true; // an owner kind the sim does not serve: leave the dependent alone
    try {
      const live = await this.client.get(objectPath(def, namespace, ref.name));
      if (live.metadata.uid === ref.uid) return true;
    } catch (e) {
      if (!(e instanceof LocalApiError && e.code === 404)) throw e;
    }
    this.#rememberAbsent(ref.uid);
    return false;
  }

  #rememberAbsent(uid: string): void {
    this.#absentOwners.set(uid, true);
    if (this.#absentOwners.size > ABSENT_OWNER_CACHE_SIZE) this.#absentOwners.delete(this.#absentOwners.keys().next().value!);
  }

  async #collectIfOwnersGone(n: Node): Promise<void> {
    let ownerDeletingForeground = false;
    for (const ref of n.owners) {
      if (await this.#ownerExists(ref, n.namespace)) {
        const owner = this.#nodes.get(ref.uid);
        if (owner?.deleting && owner.finalizers.includes('foregroundDeletion')) ownerDeletingForeground = true;
        else return; // a live owner keeps it
      }
    }
    if (ownerDeletingForeground) return; // handled by the owner's foreground deletion
    await this.#delete(n, 'Background');
  }

  async #deleteForeground(owner: Node): Promise<void> {
    const deps = [...(this.#dependents.get(owner.uid) ?? [])].map((d) => this.#nodes.get(d)).filter((d) => d !== undefined);
    let blocking = 0;
    for (const d of deps) {
      const ref = d.owners.find((o) => o.uid === owner.uid);
      if (ref?.blockOwnerDeletion) blocking++;
      if (!d.deleting) await this.#delete(d, 'Foreground');
    }
    if (blocking === 0) await this.#removeFinalizer(owner, 'foregroundDeletion');
  }

  async #orphanDependents(owner: Node): Promise<void> {
    for (const depUid of [...(this.#dependents.get(owner.uid) ?? [])]) {
      const d = this.#nodes.get(depUid);
      if (!d) continue;
      const owners = d.owners.filter((o) => o.uid !== owner.uid);
      await this.#ignoreNotFound(() =>
        this.client.patch(objectPath(d.def, d.namespace, d.name), { metadata: { ownerReferences: owners.length ? owners : null, uid: d.uid } }),
      );
    }
    await this.#removeFinalizer(owner, 'orphan');
  }

  async #removeFinalizer(n: Node, finalizer: string): Promise<void> {
    const finalizers = n.finalizers.filter((f) => f !== finalizer);
    await this.#ignoreNotFound(() =>
      this.client.patch(objectPath(n.def, n.namespace, n.name), { metadata: { finalizers: finalizers.length ? finalizers : null } }),
    );
  }

  async #delete(n: Node, propagationPolicy: 'Background' | 'Foreground'): Promise<void> {
    await this.#ignoreNotFound(() =>
      this.client.delete(objectPath(n.def, n.namespace, n.name), { propagationPolicy, preconditions: { uid: n.uid } }),
    );
  }

  async #ignoreNotFound(fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      // Gone already, or replaced by a new object of the same name (uid precondition): done.
      if (e instanceof LocalApiError && (e.code === 404 || e.code === 409)) return;
      throw e;
    }
  }
}
