import type { KubeObject } from '../apiserver/types.js';
import { rfc3339Micro } from '../apiserver/types.js';
import { nodeUser } from '../apiserver/user-info.js';
import { LocalApiError, type LocalClient } from '../local-client.js';
import { heartbeatConditions, nodeLease, nodeName, nodeObject, type NodeShape } from './node-objects.js';

export interface NodeAgentOptions {
  count: number;
  shape: NodeShape;
  leaseIntervalMs: number;
  statusIntervalMs: number;
  now(): number;
  log(line: string): void;
}

interface NodeState {
  name: string;
  /** The node's own credentials (system:node:<name>), as its kubelet's. */
  client: LocalClient;
  registeredAt: number;
  lease?: KubeObject;
  nextLease: number;
  nextStatus: number;
}

/** Heartbeats are checked this often; each node renews when its own time has come. */
const TICK_MS = 100;
/** Registrations in flight at once (4,100 nodes register in a few seconds, not one by one). */
const REGISTER_CONCURRENCY = 32;

/**
 * The node side of every simulated kubelet: registers the Node objects, renews each node's
 * Lease in kube-node-lease every lease interval and rewrites its status every status
 * interval. Renewals are spread evenly over the interval (node i renews at offset
 * i/N of it), so 4,100 nodes make a steady 410 lease writes per second, never a burst.
 */
export class NodeAgent {
  readonly #nodes: NodeState[] = [];
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #inflight = 0;

  constructor(
    private readonly client: LocalClient,
    private readonly opts: NodeAgentOptions,
  ) {}

  get nodeNames(): string[] {
    return this.#nodes.map((n) => n.name);
  }

  async start(): Promise<void> {
    const now = this.opts.now();
    let next = 0;
    const register = async (): Promise<void> => {
      while (next < this.opts.count && !this.#stopped) {
        const index = next++;
        await this.#register(index, now);
      }
    };
    await Promise.all(Array.from({ length: REGISTER_CONCURRENCY }, register));
    this.#nodes.sort((a, b) => (a.name < b.name ? -1 : 1));
    const n = this.#nodes.length;
    this.#nodes.forEach((s, i) => {
      s.nextLease = now + (i / n) * this.opts.leaseIntervalMs;
      s.nextStatus = now + (i / n) * this.opts.statusIntervalMs;
    });
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
  }

  async #register(index: number, now: number): Promise<void> {
    const name = nodeName(index);
    const client = this.client.as(nodeUser(name));
    try {
      await client.create('/api/v1/nodes', nodeObject(index, this.opts.shape, now));
    } catch (e) {
      // Re-registering after a restart on kept data: the node is already there.
      if (!(e instanceof LocalApiError && e.code === 409)) throw e;
    }
    this.#nodes.push({ name, client, registeredAt: now, nextLease: 0, nextStatus: 0 });
  }

  #tick(): void {
    if (this.#stopped) return;
    const now = this.opts.now();
    for (const node of this.#nodes) {
      // A slow apiserver must not pile up heartbeats: skip while too many are in flight.
      if (this.#inflight > 256) break;
      if (now >= node.nextLease) {
        node.nextLease += this.opts.leaseIntervalMs;
        if (node.nextLease < now) node.nextLease = now + this.opts.leaseIntervalMs;
        void this.#renewLease(node, now);
      }
      if (now >= node.nextStatus) {
        node.nextStatus += this.opts.statusIntervalMs;
        if (node.nextStatus < now) node.nextStatus = now + this.opts.statusIntervalMs;
        void this.#reportStatus(node, now);
      }
    }
  }

  async #renewLease(node: NodeState, now: number): Promise<void> {
    this.#inflight++;
    try {
      if (node.lease) {
        const lease = { ...node.lease, spec: { ...(node.lease.spec ?? {}), renewTime: rfc3339Micro(now) } };
        node.lease = await node.client.update(`/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${node.name}`, lease);
      } else {
        node.lease = await node.client.create('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', nodeLease(node.name, now));
      }
    } catch (e) {
      // Lost a race or the lease is gone: start over from the stored one next time.
      node.lease = undefined;
      if (e instanceof LocalApiError && e.code === 409) {
        try {
          node.lease = await node.client.get(`/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${node.name}`);
        } catch {
          // next tick
        }
      } else if (!(e instanceof LocalApiError) || e.code !== 404) {
        this.opts.log(`node ${node.name}: lease renewal failed: ${(e as Error).message}`);
      }
    } finally {
      this.#inflight--;
    }
  }

  async #reportStatus(node: NodeState, now: number): Promise<void> {
    this.#inflight++;
    try {
      await node.client.patch(`/api/v1/nodes/${node.name}/status`, {
        status: { conditions: heartbeatConditions(now, node.registeredAt) },
      });
    } catch (e) {
      this.opts.log(`node ${node.name}: status update failed: ${(e as Error).message}`);
    } finally {
      this.#inflight--;
    }
  }
}
