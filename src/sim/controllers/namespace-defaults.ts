import { ROOT_CA_CONFIGMAP } from '../apiserver/admission.js';
import type { KubeObject } from '../apiserver/types.js';
import { Informer, objectKey } from '../informer.js';
import { LocalApiError, type LocalClient } from '../local-client.js';
import { WorkQueue } from './work-queue.js';

/** One object every active namespace has, kept there by a controller. */
export interface NamespaceDefault {
  /** The controller's name in kube-controller-manager (its client's component). */
  controller: string;
  /** The core/v1 resource, e.g. serviceaccounts. */
  resource: string;
  name: string;
  object(): KubeObject;
}

/**
 * kube-controller-manager's serviceaccount-controller (a `default` ServiceAccount in every
 * namespace) and root-ca-cert-publisher (the `kube-root-ca.crt` ConfigMap with the cluster
 * CA, which every pod's token volume projects). Both re-create their object if it is deleted.
 */
export function namespaceDefaults(caPem: string): NamespaceDefault[] {
  return [
    {
      controller: 'serviceaccount-controller',
      resource: 'serviceaccounts',
      name: 'default',
      object: () => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } }),
    },
    {
      controller: 'root-ca-cert-publisher',
      resource: 'configmaps',
      name: ROOT_CA_CONFIGMAP,
      object: () => ({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: ROOT_CA_CONFIGMAP, annotations: { 'kubernetes.io/description': 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.' } },
        data: { 'ca.crt': caPem },
      }),
    },
  ];
}

/** Ensures one NamespaceDefault in every active namespace, with its own client and queue. */
export class NamespaceDefaultController {
  readonly #namespaces: Informer<{ name: string; active: boolean }>;
  readonly #objects: Informer<string>;
  readonly #queue: WorkQueue;

  constructor(
    private readonly client: LocalClient,
    private readonly wanted: NamespaceDefault,
    private readonly log: (line: string) => void,
  ) {
    this.#queue = new WorkQueue(2, (ns) => this.#sync(ns), (ns, e) => {
      this.log(`${wanted.controller}: ${ns}: ${(e as Error).message}`);
      this.#queue.addAfter(ns, 1000);
    });
    this.#namespaces = new Informer(client, {
      path: '/api/v1/namespaces',
      transform: (o) => ({ name: String(o.metadata.name), active: !o.metadata.deletionTimestamp }),
      handlers: {
        add: (n) => n.active && this.#queue.add(n.name),
        update: (_o, n) => n.active && this.#queue.add(n.name),
      },
    });
    // Only the one object per namespace: a deletion brings it back.
    this.#objects = new Informer(client, {
      path: `/api/v1/${wanted.resource}`,
      fieldSelector: `metadata.name=${wanted.name}`,
      transform: (o) => String(o.metadata.namespace),
      handlers: { delete: (ns) => this.#queue.add(ns) },
    });
  }

  /**
   * Resolves once every namespace that exists now has the object, or has it queued: a
   * busy apiserver (429) delays the object, never the sim's start.
   */
  async start(): Promise<void> {
    await Promise.all([this.#namespaces.start(), this.#objects.start()]);
    for (const n of [...this.#namespaces.values()]) {
      try {
        await this.#sync(n.name);
      } catch {
        this.#queue.addAfter(n.name, 1000);
      }
    }
  }

  stop(): void {
    this.#namespaces.stop();
    this.#objects.stop();
    this.#queue.stop();
  }

  async #sync(ns: string): Promise<void> {
    const n = this.#namespaces.get(ns);
    if (!n?.active) return;
    if (this.#objects.get(objectKey({ metadata: { namespace: ns, name: this.wanted.name } }))) return;
    try {
      await this.client.send('POST', `/api/v1/namespaces/${ns}/${this.wanted.resource}`, this.wanted.object());
    } catch (e) {
      // There already, or the namespace is going away: nothing to do.
      if (e instanceof LocalApiError && (e.code === 409 || e.code === 403 || e.code === 404)) return;
      throw e;
    }
  }
}
