import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { rfc3339Micro, type KubeObject } from '../apiserver/types.js';
import { LocalApiError, type LocalClient } from '../local-client.js';

/**
 * The leader-election Lease a control-plane component holds in kube-system
 * (kube-scheduler, kube-controller-manager), renewed every 2 s as client-go's leader
 * election does. Collectors find the active scheduler from its holderIdentity.
 */
/** The name the sim's control-plane "node" goes by: the host name as a DNS label. */
export function controlPlaneNodeName(): string {
  const h = hostname().toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  return h || 'control-plane';
}

export class LeaderLease {
  readonly identity = `${controlPlaneNodeName()}_${randomUUID()}`;
  #lease: KubeObject | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: LocalClient,
    private readonly name: string,
    private readonly now: () => number,
    private readonly renewMs = 2000,
  ) {}

  async start(): Promise<void> {
    await this.#renew();
    this.#timer = setInterval(() => void this.#renew(), this.renewMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  async #renew(): Promise<void> {
    const path = '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases';
    const t = rfc3339Micro(this.now());
    try {
      let current = this.#lease;
      if (!current) {
        try {
          current = await this.client.get<KubeObject>(`${path}/${this.name}`);
        } catch (e) {
          if (!(e instanceof LocalApiError && e.code === 404)) throw e;
          this.#lease = await this.client.create(path, {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: this.name, namespace: 'kube-system' },
            spec: { holderIdentity: this.identity, leaseDurationSeconds: 15, acquireTime: t, renewTime: t, leaseTransitions: 0 },
          });
          return;
        }
      }
      const spec = { ...(current.spec ?? {}) };
      if (spec.holderIdentity !== this.identity) {
        spec.holderIdentity = this.identity;
        spec.acquireTime = t;
        spec.leaseTransitions = (typeof spec.leaseTransitions === 'number' ? spec.leaseTransitions : 0) + 1;
      }
      spec.renewTime = t;
      this.#lease = await this.client.update(`${path}/${this.name}`, { ...current, spec });
    } catch {
      // Lost a race or the apiserver is busy: read it again next time.
      this.#lease = undefined;
    }
  }
}
