import { cloneJson, isRecord, type KubeObject } from '../apiserver/types.js';
import { Informer, objectKey } from '../informer.js';
import { LocalApiError, type LocalClient } from '../local-client.js';
import { controllerRef, ownerReference } from './controller-ref.js';
import { WorkQueue } from './work-queue.js';

/** Pods created or deleted per sync at most (the real controller's burstReplicas). */
const BURST_REPLICAS = 500;

interface RsRecord {
  key: string;
  namespace: string;
  name: string;
  uid: string;
  generation: number;
  replicas: number;
  template: Record<string, unknown>;
  deleting: boolean;
  status: Record<string, unknown>;
}

interface PodRecord {
  key: string;
  namespace: string;
  name: string;
  uid: string;
  ownerUid: string;
  ready: boolean;
  scheduled: boolean;
  running: boolean;
  deleting: boolean;
  terminal: boolean;
  created: string;
}

function toRs(o: KubeObject): RsRecord {
  const spec = isRecord(o.spec) ? o.spec : {};
  return {
    key: objectKey(o),
    namespace: o.metadata.namespace ?? '',
    name: o.metadata.name ?? '',
    uid: o.metadata.uid ?? '',
    generation: o.metadata.generation ?? 0,
    replicas: typeof spec.replicas === 'number' ? spec.replicas : 1,
    template: isRecord(spec.template) ? spec.template : {},
    deleting: !!o.metadata.deletionTimestamp,
    status: isRecord(o.status) ? o.status : {},
  };
}

function toPod(o: KubeObject): PodRecord {
  const status = isRecord(o.status) ? o.status : {};
  const spec = isRecord(o.spec) ? o.spec : {};
  const conds = Array.isArray(status.conditions) ? status.conditions.filter(isRecord) : [];
  return {
    key: objectKey(o),
    namespace: o.metadata.namespace ?? '',
    name: o.metadata.name ?? '',
    uid: o.metadata.uid ?? '',
    ownerUid: controllerRef(o)?.uid ?? '',
    ready: conds.some((c) => c.type === 'Ready' && c.status === 'True'),
    scheduled: !!spec.nodeName,
    running: status.phase === 'Running',
    deleting: !!o.metadata.deletionTimestamp,
    terminal: status.phase === 'Succeeded' || status.phase === 'Failed',
    created: o.metadata.creationTimestamp ?? '',
  };
}

/** Pods to delete first: unscheduled, then pending, then not ready, then the newest. */
function deletionRank(a: PodRecord, b: PodRecord): number {
  if (a.scheduled !== b.scheduled) return a.scheduled ? 1 : -1;
  if (a.running !== b.running) return a.running ? 1 : -1;
  if (a.ready !== b.ready) return a.ready ? 1 : -1;
  return a.created < b.created ? 1 : a.created > b.created ? -1 : 0;
}

/**
 * kube-controller-manager's ReplicaSet controller: keeps the number of pods owned by each
 * ReplicaSet at spec.replicas, creating them from the template (generateName, controller
 * owner reference) in slow-start batches of 1, 2, 4, ... and deleting surplus pods, and
 * writes status (replicas, readyReplicas, availableReplicas, observedGeneration).
 * Expectations keep it from acting twice on pods it has not seen come back yet.
 */
/** What an owner's pods add up to, kept current as pod events arrive. */
interface OwnedPods {
  keys: Set<string>;
  /** Not deleting and not finished. */
  active: number;
  ready: number;
}

function counts(p: PodRecord): { active: number; ready: number } {
  const active = !p.deleting && !p.terminal ? 1 : 0;
  return { active, ready: active && p.ready ? 1 : 0 };
}

export class ReplicaSetController {
  readonly #rs: Informer<RsRecord>;
  readonly #pods: Informer<PodRecord>;
  readonly #byOwner = new Map<string, OwnedPods>();
  readonly #expect = new Map<string, { adds: number; dels: Set<string> }>();
  readonly #rsByUid = new Map<string, string>();
  readonly #queue: WorkQueue;

  constructor(
    private readonly client: LocalClient,
    workers: number,
    private readonly log: (line: string) => void,
  ) {
    this.#queue = new WorkQueue(workers, (key) => this.#sync(key), (key, e) => {
      this.log(`replicaset controller: ${key}: ${(e as Error).message}`);
      this.#queue.addAfter(key, 1000);
    });
    this.#rs = new Informer(client, {
      path: '/apis/apps/v1/replicasets',
      transform: toRs,
      handlers: {
        add: (r) => this.#rsChanged(r),
        update: (_o, r) => this.#rsChanged(r),
        delete: (r) => {
          this.#rsByUid.delete(r.uid);
          this.#expect.delete(r.uid);
        },
      },
    });
    this.#pods = new Informer(client, {
      path: '/api/v1/pods',
      transform: toPod,
      handlers: {
        add: (p) => this.#podAdded(p),
        update: (o, p) => this.#podUpdated(o, p),
        delete: (p) => this.#podDeleted(p),
      },
    });
  }

  async start(): Promise<void> {
    await this.#pods.start();
    await this.#rs.start();
  }

  stop(): void {
    this.#rs.stop();
    this.#pods.stop();
    this.#queue.stop();
  }

  #rsChanged(r: RsRecord): void {
    this.#rsByUid.set(r.uid, r.key);
    this.#queue.add(r.key);
  }

  #enqueueOwner(uid: string): void {
    const key = this.#rsByUid.get(uid);
    if (key) this.#queue.add(key);
  }

  #podAdded(p: PodRecord): void {
    if (!p.ownerUid) return;
    let owned = this.#byOwner.get(p.ownerUid);
    if (!owned) this.#byOwner.set(p.ownerUid, (owned = { keys: new Set(), active: 0, ready: 0 }));
    if (owned.keys.has(p.key)) return;
    owned.keys.add(p.key);
    const c = counts(p);
    owned.active += c.active;
    owned.ready += c.ready;
    const e = this.#expect.get(p.ownerUid);
    if (e && e.adds > 0) e.adds--;
    this.#enqueueOwner(p.ownerUid);
  }

  #podUpdated(o: PodRecord, p: PodRecord): void {
    if (o.ownerUid !== p.ownerUid) {
      this.#podDeleted(o);
      this.#podAdded(p);
      return;
    }
    const owned = p.ownerUid ? this.#byOwner.get(p.ownerUid) : undefined;
    if (!owned || !owned.keys.has(p.key)) {
      this.#podAdded(p);
      return;
    }
    const before = counts(o);
    const after = counts(p);
    if (before.active === after.active && before.ready === after.ready) return;
    owned.active += after.active - before.active;
    owned.ready += after.ready - before.ready;
    if (p.deleting) this.#expect.get(p.ownerUid)?.dels.delete(p.uid);
    this.#enqueueOwner(p.ownerUid);
  }

  #podDeleted(p: PodRecord): void {
    if (!p.ownerUid) return;
    const owned = this.#byOwner.get(p.ownerUid);
    if (owned?.keys.delete(p.key)) {
      const c = counts(p);
      owned.active -= c.active;
      owned.ready -= c.ready;
    }
    this.#expect.get(p.ownerUid)?.dels.delete(p.uid);
    this.#enqueueOwner(p.ownerUid);
  }

  /** The owner's active pods, only needed when some must be chosen for deletion. */
  #activePods(r: RsRecord): PodRecord[] {
    const out: PodRecord[] = [];
    for (const key of this.#byOwner.get(r.uid)?.keys ?? []) {
      const p = this.#pods.get(key);
      if (p && p.ownerUid === r.uid && !p.deleting && !p.terminal) out.push(p);
    }
    return out;
  }

  async #sync(key: string): Promise<void> {
    const r = this.#rs.get(key);
    if (!r) return;
    const exp = this.#expect.get(r.uid) ?? { adds: 0, dels: new Set<string>() };
    this.#expect.set(r.uid, exp);
    const owned = this.#byOwner.get(r.uid) ?? { keys: new Set<string>(), active: 0, ready: 0 };
    // Wait until the pods this controller created or deleted have come back through the watch.
    if (exp.adds === 0 && exp.dels.size === 0 && !r.deleting) {
      const diff = r.replicas - owned.active;
      if (diff > 0) await this.#createPods(r, Math.min(diff, BURST_REPLICAS), exp);
      else if (diff < 0) await this.#deletePods(this.#activePods(r), Math.min(-diff, BURST_REPLICAS), exp);
    }
    await this.#writeStatus(r, owned.active, owned.ready);
  }

  async #createPods(r: RsRecord, count: number, exp: { adds: number }): Promise<void> {
    const meta = isRecord(r.template.metadata) ? r.template.metadata : {};
    const owner = ownerReference('apps/v1', 'ReplicaSet', { metadata: { name: r.name, uid: r.uid } });
    let created = 0;
    // Slow start: a batch of 1, then 2, 4, ...; a failure stops the sync early.
    for (let batch = 1; created < count; batch *= 2) {
      const size = Math.min(batch, count - created);
      exp.adds += size;
      const results = await Promise.allSettled(
        Array.from({ length: size }, () =>
          this.client.send('POST', `/api/v1/namespaces/${r.namespace}/pods`, {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: {
              generateName: `${r.name}-`,
              namespace: r.namespace,
              labels: { ...(isRecord(meta.labels) ? meta.labels : {}) },
              ...(isRecord(meta.annotations) ? { annotations: { ...meta.annotations } } : {}),
              ownerReferences: [owner],
            },
            spec: cloneJson(isRecord(r.template.spec) ? r.template.spec : {}),
          }),
        ),
      );
      const failed = results.filter((x) => x.status === 'rejected');
      exp.adds -= failed.length;
      created += size - failed.length;
      if (failed.length > 0) {
        const err = (failed[0] as PromiseRejectedResult).reason as Error;
        // A terminating namespace refuses new pods: not worth a log line per retry.
        if (!(err instanceof LocalApiError && err.code === 403)) throw err;
        return;
      }
    }
  }

  async #deletePods(active: PodRecord[], count: number, exp: { dels: Set<string> }): Promise<void> {
    const victims = [...active].sort(deletionRank).slice(0, count);
    for (const v of victims) exp.dels.add(v.uid);
    await Promise.all(
      victims.map(async (v) => {
        try {
          await this.client.delete(`/api/v1/namespaces/${v.namespace}/pods/${v.name}`, { preconditions: { uid: v.uid } });
        } catch (e) {
          exp.dels.delete(v.uid);
          if (!(e instanceof LocalApiError && (e.code === 404 || e.code === 409))) throw e;
        }
      }),
    );
  }

  async #writeStatus(r: RsRecord, active: number, ready: number): Promise<void> {
    const status = {
      replicas: active,
      fullyLabeledReplicas: active,
      readyReplicas: ready,
      availableReplicas: ready,
      observedGeneration: r.generation,
    };
    const cur = r.status;
    if (Object.entries(status).every(([k, v]) => (cur[k] ?? 0) === v)) return;
    // All but replicas are omitempty: a 0 is removed (null in the merge patch), not stored.
    const patch = Object.fromEntries(Object.entries(status).map(([k, v]) => [k, v === 0 && k !== 'replicas' ? null : v]));
    try {
      await this.client.send('PATCH', `/apis/apps/v1/namespaces/${r.namespace}/replicasets/${r.name}/status`, { metadata: { uid: r.uid }, status: patch });
    } catch (e) {
      if (!(e instanceof LocalApiError && (e.code === 404 || e.code === 409))) throw e;
    }
  }
}
