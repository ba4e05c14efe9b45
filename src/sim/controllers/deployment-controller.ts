import { cloneJson, isRecord, type KubeObject, rfc3339Seconds } from '../apiserver/types.js';
import { Informer, objectKey } from '../informer.js';
import { LocalApiError, type LocalClient } from '../local-client.js';
import { controllerRef, ownerReference } from './controller-ref.js';
import { WorkQueue } from './work-queue.js';

type Json = Record<string, unknown>;

const REVISION = 'deployment.kubernetes.io/revision';
const HASH_LABEL = 'pod-template-hash';

interface DeployRecord {
  key: string;
  obj: KubeObject;
}

interface RsRecord {
  key: string;
  obj: KubeObject;
  ownerUid: string;
}

function spec(o: KubeObject): Json {
  return isRecord(o.spec) ? o.spec : {};
}

function status(o: KubeObject): Json {
  return isRecord(o.status) ? o.status : {};
}

function num(v: unknown, fallback = 0): number {
  return typeof v === 'number' ? v : fallback;
}

/** Canonical JSON (sorted keys) so equal templates hash equally. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isRecord(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

const COUNTS = ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas'];

/** DeploymentStatus' counts are omitempty: a 0 is removed (null in a merge patch), not stored. */
function omitZeros(status: Json, keys: string[]): Json {
  return Object.fromEntries(Object.entries(status).map(([k, v]) => [k, keys.includes(k) && v === 0 ? null : v]));
}

/** Same counts and same condition states: nothing worth a status write. */
function sameStatus(prev: Json, next: Json): boolean {
  for (const k of COUNTS) if ((prev[k] ?? 0) !== (next[k] ?? 0)) return false;
  const a = Array.isArray(prev.conditions) ? prev.conditions.filter(isRecord) : [];
  const b = Array.isArray(next.conditions) ? next.conditions.filter(isRecord) : [];
  if (a.length !== b.length) return false;
  return b.every((c) => a.some((x) => x.type === c.type && x.status === c.status && x.reason === c.reason && x.message === c.message));
}

/** The pod-template-hash: FNV-1a of the template, in the safe alphabet the real one uses. */
export function podTemplateHash(template: unknown, collisionCount = 0): string {
  let h = 0x811c9dc5;
  const text = canonical(template) + (collisionCount ? String(collisionCount) : '');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // Like the real controller: the hash's decimal digits, each mapped into the safe alphabet.
  let out = '';
  for (const c of String(h)) out += SAFE[c.charCodeAt(0) % SAFE.length];
  return out;
}

/** maxSurge / maxUnavailable: an int, or a percentage of replicas (surge rounds up). */
function resolveIntOrPercent(v: unknown, replicas: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.endsWith('%')) {
    const x = (Number(v.slice(0, -1)) * replicas) / 100;
    return roundUp ? Math.ceil(x) : Math.floor(x);
  }
  return 0;
}

/**
 * kube-controller-manager's Deployment controller: one ReplicaSet per pod template
 * (named <deployment>-<pod-template-hash>), rolling updates within maxSurge and
 * maxUnavailable (or Recreate), old ReplicaSets trimmed to revisionHistoryLimit, and the
 * status `kubectl rollout status` reads: observedGeneration, replicas, updatedReplicas,
 * readyReplicas, availableReplicas and the Available/Progressing conditions.
 */
export class DeploymentController {
  readonly #deployments: Informer<DeployRecord>;
  readonly #replicasets: Informer<RsRecord>;
  readonly #queue: WorkQueue;
  readonly #byUid = new Map<string, string>();
  /** Template hash per deployment uid and generation: hashing on every sync is costly. */
  readonly #hashes = new Map<string, { generation: number; collisions: number; hash: string }>();

  constructor(
    private readonly client: LocalClient,
    workers: number,
    private readonly now: () => number,
    private readonly log: (line: string) => void,
  ) {
    this.#queue = new WorkQueue(workers, (key) => this.#sync(key), (key, e) => {
      this.log(`deployment controller: ${key}: ${(e as Error).message}`);
      this.#queue.addAfter(key, 1000);
    });
    this.#deployments = new Informer(client, {
      path: '/apis/apps/v1/deployments',
      transform: (o) => ({ key: objectKey(o), obj: o }),
      handlers: {
        add: (d) => this.#deploymentChanged(d),
        update: (_o, d) => this.#deploymentChanged(d),
        delete: (d) => {
          this.#byUid.delete(String(d.obj.metadata.uid));
          this.#hashes.delete(String(d.obj.metadata.uid));
        },
      },
    });
    this.#replicasets = new Informer(client, {
      path: '/apis/apps/v1/replicasets',
      transform: (o) => ({ key: objectKey(o), obj: o, ownerUid: controllerRef(o)?.uid ?? '' }),
      handlers: {
        add: (r) => this.#enqueueOwner(r.ownerUid),
        update: (_o, r) => this.#enqueueOwner(r.ownerUid),
        delete: (r) => this.#enqueueOwner(r.ownerUid),
      },
    });
  }

  async start(): Promise<void> {
    await this.#replicasets.start();
    await this.#deployments.start();
  }

  stop(): void {
    this.#deployments.stop();
    this.#replicasets.stop();
    this.#queue.stop();
  }

  #hashOf(d: KubeObject): string {
    const uid = String(d.metadata.uid);
    const generation = d.metadata.generation ?? 0;
    const collisions = num(status(d).collisionCount);
    const cached = this.#hashes.get(uid);
    if (cached && cached.generation === generation && cached.collisions === collisions) return cached.hash;
    const hash = podTemplateHash(spec(d).template, collisions);
    this.#hashes.set(uid, { generation, collisions, hash });
    return hash;
  }

  #deploymentChanged(d: DeployRecord): void {
    this.#byUid.set(String(d.obj.metadata.uid), d.key);
    this.#queue.add(d.key);
  }

  #enqueueOwner(uid: string): void {
    const key = uid ? this.#byUid.get(uid) : undefined;
    if (key) this.#queue.add(key);
  }

  #ownedReplicaSets(d: KubeObject): KubeObject[] {
    const out: KubeObject[] = [];
    for (const r of this.#replicasets.values()) if (r.ownerUid === d.metadata.uid) out.push(r.obj);
    return out;
  }

  async #sync(key: string): Promise<void> {
    const rec = this.#deployments.get(key);
    if (!rec) return;
    const d = rec.obj;
    if (d.metadata.deletionTimestamp) return;
    const ds = spec(d);
    const replicas = num(ds.replicas, 1);
    const hash = this.#hashOf(d);
    const all = this.#ownedReplicaSets(d);
    let newRs = all.find((rs) => rs.metadata.labels?.[HASH_LABEL] === hash);
    const old = all.filter((rs) => rs !== newRs);
    const maxRevision = Math.max(0, ...all.map((rs) => Number(rs.metadata.annotations?.[REVISION] ?? 0)));

    if (!newRs) {
      newRs = await this.#createReplicaSet(d, hash, maxRevision + 1, old.length === 0 ? replicas : 0);
      if (!newRs) return;
    } else if (old.length > 0 && Number(newRs.metadata.annotations?.[REVISION] ?? 0) <= maxRevision && maxRevision > 0) {
      // A rollback to an older template: that ReplicaSet becomes the newest revision.
      const current = Number(newRs.metadata.annotations?.[REVISION] ?? 0);
      if (old.some((rs) => Number(rs.metadata.annotations?.[REVISION] ?? 0) > current)) {
        await this.#patchRs(newRs, { metadata: { annotations: { [REVISION]: String(maxRevision + 1) } } });
      }
    }

    // The Deployment carries its newest ReplicaSet's revision (deploymentutil.SetDeploymentRevision),
    // written through the status subresource as the real controller does (no generation bump).
    const revision = newRs.metadata.annotations?.[REVISION];
    if (revision && d.metadata.annotations?.[REVISION] !== revision) {
      try {
        await this.client.patch(`/apis/apps/v1/namespaces/${d.metadata.namespace}/deployments/${d.metadata.name}/status`, { metadata: { uid: d.metadata.uid, annotations: { [REVISION]: revision } } });
      } catch (e) {
        if (!(e instanceof LocalApiError && (e.code === 404 || e.code === 409))) throw e;
      }
    }

    if (!ds.paused) {
      const strategy = isRecord(ds.strategy) ? ds.strategy : {};
      if (strategy.type === 'Recreate') await this.#recreate(newRs, old, replicas);
      else await this.#rollingUpdate(d, newRs, old, replicas);
    }
    await this.#cleanup(d, old);
    await this.#writeStatus(d, newRs, old, replicas);
  }

  async #createReplicaSet(d: KubeObject, hash: string, revision: number, replicas: number): Promise<KubeObject | undefined> {
    const ds = spec(d);
    const template = cloneJson(isRecord(ds.template) ? ds.template : {}) as Json;
    const meta = (isRecord(template.metadata) ? template.metadata : {}) as Json;
    meta.labels = { ...(isRecord(meta.labels) ? meta.labels : {}), [HASH_LABEL]: hash };
    template.metadata = meta;
    const selector = cloneJson(isRecord(ds.selector) ? ds.selector : {}) as Json;
    selector.matchLabels = { ...(isRecord(selector.matchLabels) ? selector.matchLabels : {}), [HASH_LABEL]: hash };
    const maxSurge = resolveIntOrPercent(isRecord(ds.strategy) && isRecord(ds.strategy.rollingUpdate) ? ds.strategy.rollingUpdate.maxSurge : '25%', num(ds.replicas, 1), true);
    try {
      return await this.client.create<KubeObject>(`/apis/apps/v1/namespaces/${d.metadata.namespace}/replicasets`, {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: `${d.metadata.name}-${hash}`,
          namespace: d.metadata.namespace,
          labels: { ...(meta.labels as Record<string, string>) },
          annotations: {
            [REVISION]: String(revision),
            'deployment.kubernetes.io/desired-replicas': String(num(ds.replicas, 1)),
            'deployment.kubernetes.io/max-replicas': String(num(ds.replicas, 1) + maxSurge),
          },
          ownerReferences: [ownerReference('apps/v1', 'Deployment', d)],
        },
        spec: { replicas, ...(num(ds.minReadySeconds) ? { minReadySeconds: num(ds.minReadySeconds) } : {}), selector, template },
      });
    } catch (e) {
      // Created by an earlier sync whose watch event has not arrived yet: the next sync sees it.
      if (e instanceof LocalApiError && (e.code === 409 || e.code === 403)) return undefined;
      throw e;
    }
  }

  async #patchRs(rs: KubeObject, patch: Json): Promise<void> {
    try {
      await this.client.patch(`/apis/apps/v1/namespaces/${rs.metadata.namespace}/replicasets/${rs.metadata.name}`, patch);
    } catch (e) {
      if (!(e instanceof LocalApiError && e.code === 404)) throw e;
    }
  }

  /** `maxReplicas`: desired plus maxSurge, kept in an annotation as the real controller does. */
  async #scale(rs: KubeObject, replicas: number, desired: number, maxReplicas = desired): Promise<void> {
    const ann = rs.metadata.annotations ?? {};
    if (num(spec(rs).replicas) === replicas && ann['deployment.kubernetes.io/desired-replicas'] === String(desired) && ann['deployment.kubernetes.io/max-replicas'] === String(maxReplicas)) return;
    await this.#patchRs(rs, {
      metadata: { annotations: { 'deployment.kubernetes.io/desired-replicas': String(desired), 'deployment.kubernetes.io/max-replicas': String(maxReplicas) } },
      spec: { replicas },
    });
  }

  async #recreate(newRs: KubeObject, old: KubeObject[], replicas: number): Promise<void> {
    for (const rs of old) await this.#scale(rs, 0, replicas);
    const oldPods = old.reduce((n, rs) => n + num(status(rs).replicas), 0);
    if (oldPods === 0) await this.#scale(newRs, replicas, replicas);
  }

  async #rollingUpdate(d: KubeObject, newRs: KubeObject, old: KubeObject[], replicas: number): Promise<void> {
    const ru = isRecord(spec(d).strategy) && isRecord((spec(d).strategy as Json).rollingUpdate) ? ((spec(d).strategy as Json).rollingUpdate as Json) : {};
    const maxSurge = resolveIntOrPercent(ru.maxSurge ?? '25%', replicas, true);
    let maxUnavailable = resolveIntOrPercent(ru.maxUnavailable ?? '25%', replicas, false);
    if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
    const activeOld = old.filter((rs) => num(spec(rs).replicas) > 0);
    if (activeOld.length === 0) {
      await this.#scale(newRs, replicas, replicas, replicas + maxSurge);
      return;
    }
    // Scale the new ReplicaSet up as far as maxSurge allows.
    const total = num(spec(newRs).replicas) + activeOld.reduce((n, rs) => n + num(spec(rs).replicas), 0);
    const maxTotal = replicas + maxSurge;
    if (total < maxTotal && num(spec(newRs).replicas) < replicas) {
      await this.#scale(newRs, Math.min(replicas, num(spec(newRs).replicas) + maxTotal - total), replicas, maxTotal);
    }
    // Scale old ones down as far as maxUnavailable allows, oldest first.
    const available = num(status(newRs).availableReplicas) + activeOld.reduce((n, rs) => n + num(status(rs).availableReplicas), 0);
    let canRemove = available - (replicas - maxUnavailable);
    // Old pods that are not available cost no availability to remove.
    for (const rs of activeOld) canRemove += Math.max(0, num(spec(rs).replicas) - num(status(rs).availableReplicas));
    const byAge = [...activeOld].sort((a, b) => Number(a.metadata.annotations?.[REVISION] ?? 0) - Number(b.metadata.annotations?.[REVISION] ?? 0));
    for (const rs of byAge) {
      if (canRemove <= 0) break;
      const cut = Math.min(num(spec(rs).replicas), canRemove);
      await this.#scale(rs, num(spec(rs).replicas) - cut, replicas, maxTotal);
      canRemove -= cut;
    }
  }

  async #cleanup(d: KubeObject, old: KubeObject[]): Promise<void> {
    const limit = num(spec(d).revisionHistoryLimit, 10);
    const idle = old
      .filter((rs) => num(spec(rs).replicas) === 0 && num(status(rs).replicas) === 0 && !rs.metadata.deletionTimestamp)
      .sort((a, b) => Number(a.metadata.annotations?.[REVISION] ?? 0) - Number(b.metadata.annotations?.[REVISION] ?? 0));
    for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) {
      try {
        await this.client.delete(`/apis/apps/v1/namespaces/${rs.metadata.namespace}/replicasets/${rs.metadata.name}`, { preconditions: { uid: rs.metadata.uid } });
      } catch (e) {
        if (!(e instanceof LocalApiError && (e.code === 404 || e.code === 409))) throw e;
      }
    }
  }

  async #writeStatus(d: KubeObject, newRs: KubeObject, old: KubeObject[], replicas: number): Promise<void> {
    const all = [newRs, ...old];
    const sum = (f: string): number => all.reduce((n, rs) => n + num(status(rs)[f]), 0);
    const specTotal = all.reduce((n, rs) => n + num(spec(rs).replicas), 0);
    const ru = isRecord(spec(d).strategy) && isRecord((spec(d).strategy as Json).rollingUpdate) ? ((spec(d).strategy as Json).rollingUpdate as Json) : {};
    const maxUnavailable = isRecord(spec(d).strategy) && (spec(d).strategy as Json).type === 'Recreate' ? 0 : resolveIntOrPercent(ru.maxUnavailable ?? '25%', replicas, false);
    const available = sum('availableReplicas');
    const updated = num(status(newRs).replicas);
    const complete = updated === replicas && sum('replicas') === replicas && available >= replicas;
    const now = rfc3339Seconds(this.now());
    const prev = status(d);
    const prevConds = Array.isArray(prev.conditions) ? prev.conditions.filter(isRecord) : [];
    const cond = (type: string, st: string, reason: string, message: string): Json => {
      const before = prevConds.find((c) => c.type === type);
      const same = before && before.status === st && before.reason === reason;
      return {
        type,
        status: st,
        lastUpdateTime: same ? before.lastUpdateTime : now,
        lastTransitionTime: before && before.status === st ? before.lastTransitionTime : now,
        reason,
        message,
      };
    };
    const rsName = newRs.metadata.name;
    const next: Json = {
      observedGeneration: d.metadata.generation ?? 0,
      replicas: sum('replicas'),
      updatedReplicas: updated,
      readyReplicas: sum('readyReplicas'),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, specTotal - available),
      conditions: [
        available >= replicas - maxUnavailable
          ? cond('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.')
          : cond('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.'),
        complete
          ? cond('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${rsName}" has successfully progressed.`)
          : cond('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`),
      ],
    };
    if (prev.collisionCount !== undefined) next.collisionCount = prev.collisionCount;
    if (sameStatus(prev, next)) return;
    try {
      await this.client.patch(`/apis/apps/v1/namespaces/${d.metadata.namespace}/deployments/${d.metadata.name}/status`, {
        metadata: { uid: d.metadata.uid },
        status: omitZeros(next, COUNTS),
      });
    } catch (e) {
      if (!(e instanceof LocalApiError && (e.code === 404 || e.code === 409))) throw e;
    }
  }
}
