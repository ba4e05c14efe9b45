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

  async #sync(name: string): Promise<void> {
    const ns = this.#informer.get(name);
    if (!ns || !ns.terminating || !ns.hasKubernetesFinalizer) return;
    let remaining = 0;
    for (const def of this.#resources) {
      const path = collectionPath(def, name);
      try {
        await this.client.request('DELETE', path, { body: { propagationPolicy: 'Background' } });
        const list = await this.client.get<{ items: KubeObject[] }>(path, { limit: '1' });
        remaining += list.items.length;
      } catch (e) {
        if (e instanceof LocalApiError && e.code === 404) continue;
        throw e;
      }
    }
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
