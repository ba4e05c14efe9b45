import type { Registry } from '../apiserver/registry.js';
import { apiVersionOf, type ResourceDef } from '../apiserver/resource-def.js';
import { isRecord, type KubeObject } from '../apiserver/types.js';
import { Informer } from '../informer.js';
import { LocalApiError, type LocalClient } from '../local-client.js';
import { WorkQueue } from './work-queue.js';

interface NamespaceRecord {
  name: string;
  terminating: boolean;
  hasKubernetesFinalizer: boolean;
  /** status.conditions as JSON, to write them only when they change */
  conditions: string;
}

type Condition = { type: string; status: 'True' | 'False'; reason: string; message: string };

/** The deletion conditions the real namespace controller reports, from what remains. */
function deletionConditions(remaining: Map<string, number>, finalizers: Map<string, number>): Condition[] {
  const list = (m: Map<string, number>, f: (k: string, n: number) => string): string => [...m].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, n]) => f(k, n)).join(', ');
  return [
    { type: 'NamespaceDeletionDiscoveryFailure', status: 'False', reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
    { type: 'NamespaceDeletionGroupVersionParsingFailure', status: 'False', reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed' },
    { type: 'NamespaceDeletionContentFailure', status: 'False', reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
    remaining.size > 0
      ? { type: 'NamespaceContentRemaining', status: 'True', reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${list(remaining, (k, n) => `${k} has ${n} resource instances`)}` }
      : { type: 'NamespaceContentRemaining', status: 'False', reason: 'ContentRemoved', message: 'All content successfully removed' },
    finalizers.size > 0
      ? { type: 'NamespaceFinalizersRemaining', status: 'True', reason: 'SomeFinalizersRemain', message: `Some content in the namespace has finalizers remaining: ${list(finalizers, (k, n) => `${k} in ${n} resource instances`)}` }
      : { type: 'NamespaceFinalizersRemaining', status: 'False', reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
  ];
}

function collectionPath(def: ResourceDef, ns: string): string {
  const base = def.group ? `/apis/${apiVersionOf(def)}` : `/api/${def.version}`;
  return `${base}/namespaces/${ns}/${def.resource}`;
}

/**
 * Deletes the contents of a terminating namespace, then removes its `kubernetes`
 * finalizer so the apiserver deletes it (kube-controller-manager's namespace controller).
 */
export class NamespaceController {
  readonly #informer: Informer<NamespaceRecord>;
  readonly #queue: WorkQueue;
  readonly #resources: ResourceDef[];

  constructor(
    private readonly client: LocalClient,
    registry: Registry,
    private readonly recheckMs = 1000,
  ) {
    // One served version per storage: events.k8s.io shares storage with v1 events.
    this.#resources = registry.resources.filter((r) => r.namespaced && !r.codec);
    this.#queue = new WorkQueue(2, (name) => this.#sync(name), (name) => this.#queue.addAfter(name, this.recheckMs));
    this.#informer = new Informer(client, {
      path: '/api/v1/namespaces',
      transform: (o) => ({
        name: String(o.metadata.name),
        terminating: !!o.metadata.deletionTimestamp,
        hasKubernetesFinalizer:
          isRecord(o.spec) && Array.isArray(o.spec.finalizers) && o.spec.finalizers.includes('kubernetes'),
        conditions: JSON.stringify(isRecord(o.status) && Array.isArray(o.status.conditions) ? o.status.conditions.map((c: Record<string, unknown>) => [c.type, c.status, c.reason, c.message]) : []),
      }),
      handlers: {
        add: (n) => n.terminating && this.#queue.add(n.name),
        update: (_o, n) => n.terminating && this.#queue.add(n.name),
      },
    });
  }

  start(): Promise<void> {
    return this.#informer.start();
  }

  stop(): void {
    this.#informer.stop();
    this.#queue.stop();
  }

  async #writeConditions(ns: NamespaceRecord, conditions: Condition[]): Promise<void> {
    if (JSON.stringify(conditions.map((c) => [c.type, c.status, c.reason, c.message])) === ns.conditions) return;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    try {
      await this.client.patch(`/api/v1/namespaces/${ns.name}/status`, { status: { conditions: conditions.map((c) => ({ ...c, lastTransitionTime: now })) } });
    } catch (e) {
      if (!(e instanceof LocalApiError && e.code === 404)) throw e;
    }
  }

  async #sync(name: string): Promise<void> {
    const ns = this.#informer.get(name);
    if (!ns || !ns.terminating || !ns.hasKubernetesFinalizer) return;
    let remaining = 0;
    const byResource = new Map<string, number>();
    const finalizers = new Map<string, number>();
    for (const def of this.#resources) {
      const path = collectionPath(def, name);
      try {
        await this.client.request('DELETE', path, { body: { propagationPolicy: 'Background' } });
        const list = await this.client.get<{ items: KubeObject[] }>(path);
        remaining += list.items.length;
        if (list.items.length > 0) byResource.set(def.group ? `${def.resource}.${def.group}` : def.resource, list.items.length);
        for (const o of list.items) for (const f of o.metadata.finalizers ?? []) finalizers.set(f, (finalizers.get(f) ?? 0) + 1);
      } catch (e) {
        if (e instanceof LocalApiError && e.code === 404) continue;
        throw e;
      }
    }
    await this.#writeConditions(ns, deletionConditions(byResource, finalizers));
    if (remaining > 0) {
      // Pods in their grace period and objects with finalizers: look again shortly.
      this.#queue.addAfter(name, this.recheckMs);
      return;
    }
    try {
      await this.client.update(`/api/v1/namespaces/${name}/finalize`, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name },
        spec: { finalizers: [] },
      });
    } catch (e) {
      if (!(e instanceof LocalApiError && e.code === 404)) throw e;
    }
  }
}
