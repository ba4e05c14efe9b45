import type { KubeClient } from '../cluster/kube-client.js';
import { RUN_LABEL, SHARD_LABEL } from '../load/labels.js';
import { sleep } from '../load/pacer.js';
import type { LostShard, RunStatus } from '../results/format.js';
import type { ShardRef } from '../spec/shard.js';

/**
 * The shards of one run find each other and keep in step through the API server itself
 * (docs/shards.md), with no server of kbench's own:
 *
 * - a ConfigMap `kbench-run-<run id>`: what the run is (`run`: workload, spec hash, seed,
 *   shard count; the first shard to come creates it, the others check they run the
 *   same), one key per shard that joined (`shard-<i>`), the start of every phase
 *   (`phase-<k>`, written by the lowest shard still in the run) and the shards lost
 *   (`lost-<i>`);
 * - a Lease per shard `kbench-run-<run id>-shard-<i>`, renewed every second, whose
 *   annotations say the step the shard is ready for and how it ended.
 *
 * A phase starts when every shard still in the run is ready for it. A shard whose Lease
 * has not been renewed for `deadAfterMs` (by this process's own monotonic clock, so the
 * machines' clocks need not agree), or that says it ended early, is lost: the run then
 * stops naming it (`onLoss: fail`) or goes on without it (`continue`).
 */

export type OnShardLoss = 'fail' | 'continue';

/** What the shards of one run must agree on. */
export interface RunIdentity {
  runId: string;
  workload: string;
  /** sha256 of the spec as run (after --set) and the seed: the shards run the same load. */
  specHash: string;
  shards: number;
}

/** The shards disagree on what the run is, or two processes claim one shard: bad input (exit 2). */
export class CoordinationConflict extends Error {}

/** This shard cannot take part (the run went on without it, or it never started): exit 1. */
export class CoordinationError extends Error {}

/** An earlier process of this shard finished it: nothing left to do. */
export class ShardAlreadyDone extends Error {}

export interface CoordinationOptions {
  /** A client of its own: coordination calls are not the workload's and are not measured. */
  client: KubeClient;
  namespace: string;
  identity: RunIdentity;
  shard: ShardRef;
  onLoss: OnShardLoss;
  /** Who this process is (pod name, or host/pid), written into the Lease. */
  holder: string;
  /** @default 1000 */
  renewMs?: number;
  /** @default 10000 */
  deadAfterMs?: number;
  /** How long the first phase waits for every shard to join. @default 600000 */
  joinTimeoutMs?: number;
}

type Cleanup = 'pending' | 'ready' | 'done' | 'left';

interface Peer {
  holder: string;
  state: RunStatus;
  ready: number;
  cleanup: Cleanup;
  error?: string;
  renew: string;
  /** performance.now() when `renew` was last seen to change. */
  changedAt: number;
}

interface LeaseJson {
  metadata: { name: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

interface ConfigMapJson {
  metadata: { resourceVersion?: string };
  data?: Record<string, string>;
}

const READY = 'kbench.io/ready';
const STATE = 'kbench.io/state';
const CLEANUP = 'kbench.io/cleanup';
const ERROR = 'kbench.io/error';
const ROLE_LABEL = 'kbench.io/coordination';
/** The ready step of a shard that did all its phases. */
const PHASES_DONE = 1_000_000;

/** Lease times are MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(d = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function runConfigMapName(runId: string): string {
  return `kbench-run-${runId}`;
}

export function shardLeaseName(runId: string, index: number): string {
  return `kbench-run-${runId}-shard-${index}`;
}

export class ShardCoordinator {
  readonly #c: KubeClient;
  readonly #o: Required<Omit<CoordinationOptions, 'client'>>;
  readonly #peers = new Map<number, Peer>();
  readonly #lost = new Map<number, LostShard>();
  readonly #listeners: ((l: LostShard) => void)[] = [];
  #ready = -1;
  #state: RunStatus = 'running';
  #cleanup: Cleanup = 'pending';
  #error: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastRenew = 0;
  #lastList = 0;
  #joinedAt = 0;
  #fast = 0;
  #tick: Promise<void> = Promise.resolve();
  #stopped = false;
  #phase = 'joining';

  constructor(o: CoordinationOptions) {
    this.#c = o.client;
    this.#o = { renewMs: 1000, deadAfterMs: 10_000, joinTimeoutMs: 600_000, ...o };
  }

  get where(): string {
    return `configmap ${this.#o.namespace}/${runConfigMapName(this.#o.identity.runId)}`;
  }

  get index(): number {
    return this.#o.shard.index;
  }

  /** The shards lost so far, in the order they were noticed. */
  lost(): LostShard[] {
    return [...this.#lost.values()];
  }

  onLost(listener: (l: LostShard) => void): void {
    this.#listeners.push(listener);
  }

  #cmPath(name = ''): string {
    return `/api/v1/namespaces/${this.#o.namespace}/configmaps${name ? `/${name}` : ''}`;
  }

  #leasePath(name = ''): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.#o.namespace}/leases${name ? `/${name}` : ''}`;
  }

  #labels(extra: Record<string, string> = {}): Record<string, string> {
    return { [RUN_LABEL]: this.#o.identity.runId, [ROLE_LABEL]: 'true', ...extra };
  }

  async #patchData(key: string, value: unknown): Promise<void> {
    await this.#c.json('PATCH', this.#cmPath(runConfigMapName(this.#o.identity.runId)), {
      body: { data: { [key]: JSON.stringify(value) } },
      contentType: 'application/merge-patch+json',
    });
  }

  async #readRun(): Promise<Record<string, string>> {
    const cm = await this.#c.json<ConfigMapJson>('GET', this.#cmPath(runConfigMapName(this.#o.identity.runId)));
    return cm.data ?? {};
  }

  #leaseBody(renew: string, transitions: number, resourceVersion?: string): LeaseJson & Record<string, unknown> {
    const { runId } = this.#o.identity;
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: shardLeaseName(runId, this.index),
        ...(resourceVersion ? { resourceVersion } : {}),
        labels: this.#labels({ [SHARD_LABEL]: String(this.index) }),
        annotations: this.#annotations(),
      },
      spec: { holderIdentity: this.#o.holder, leaseDurationSeconds: Math.ceil(this.#o.deadAfterMs / 1000), acquireTime: renew, renewTime: renew, leaseTransitions: transitions },
    };
  }

  #annotations(): Record<string, string> {
    return { [READY]: String(this.#ready), [STATE]: this.#state, [CLEANUP]: this.#cleanup, ...(this.#error ? { [ERROR]: this.#error.slice(0, 500) } : {}) };
  }

  /**
   * Joins the run: creates or checks the run's ConfigMap, takes this shard's Lease, and
   * starts renewing it. Throws CoordinationConflict (another workload, another shard count,
   * a live process holding this shard), CoordinationError (the run started without this
   * shard) or ShardAlreadyDone.
   */
  async join(signal?: AbortSignal): Promise<void> {
    const id = this.#o.identity;
    const name = runConfigMapName(id.runId);
    const created = await this.#c.call('POST', this.#cmPath(), {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: this.#labels() }, data: { run: JSON.stringify(id) } },
    });
    if (created.status === 409) {
      const data = await this.#readRun();
      const theirs = data.run ? (JSON.parse(data.run) as RunIdentity) : undefined;
      if (!theirs) throw new CoordinationConflict(`${this.where} exists but is not a kbench run record; choose another --run-id`);
      const diff = (['workload', 'specHash', 'shards'] as const).filter((k) => theirs[k] !== id[k]);
      if (diff.length > 0) {
        throw new CoordinationConflict(
          `run ${id.runId} (${this.where}) is a run of workload ${theirs.workload} in ${theirs.shards} shards (spec ${theirs.specHash.slice(0, 12)}); this shard runs ${id.workload} in ${id.shards} shards (spec ${id.specHash.slice(0, 12)}): every shard of a run must run the same workload, --set, --seed and shard count`,
        );
      }
    } else if (created.status < 200 || created.status >= 300) {
      throw new CoordinationError(`cannot create ${this.where}: ${created.status} ${created.body.slice(0, 300)}`);
    }
    await this.#takeLease(signal);
    this.#joinedAt = performance.now();
    await this.#patchData(`shard-${this.index}`, { holder: this.#o.holder, joinedAt: new Date().toISOString() });
    this.#schedule(0);
  }

  async #takeLease(signal?: AbortSignal): Promise<void> {
    const name = shardLeaseName(this.#o.identity.runId, this.index);
    const now = microTime();
    const res = await this.#c.call('POST', this.#leasePath(), { body: this.#leaseBody(now, 0) });
    if (res.status >= 200 && res.status < 300) return;
    if (res.status !== 409) throw new CoordinationError(`cannot create the Lease ${this.#o.namespace}/${name}: ${res.status} ${res.body.slice(0, 300)}`);
    const held = await this.#c.json<LeaseJson>('GET', this.#leasePath(name));
    if (held.spec?.holderIdentity === this.#o.holder) return;
    const data = await this.#readRun();
    const record = data[`shard-${this.index}`] ? (JSON.parse(data[`shard-${this.index}`]!) as { end?: { status: RunStatus } }) : undefined;
    if (record?.end?.status === 'complete') throw new ShardAlreadyDone(`shard ${this.index} of run ${this.#o.identity.runId} was already run to completion by ${held.spec?.holderIdentity ?? 'another process'}: nothing to do`);
    if (data['phase-0']) {
      throw new CoordinationError(
        `shard ${this.index} of run ${this.#o.identity.runId} was held by ${held.spec?.holderIdentity ?? 'another process'} and the run has started without this process (${this.where}): a shard cannot join a run midway`,
      );
    }
    // Someone else holds it: take it over only when they have stopped renewing it.
    const first = held.spec?.renewTime;
    await sleep(this.#o.deadAfterMs, signal);
    const again = await this.#c.json<LeaseJson>('GET', this.#leasePath(name));
    if (again.spec?.renewTime !== first) {
      throw new CoordinationConflict(`shard ${this.index} of run ${this.#o.identity.runId} is held by ${again.spec?.holderIdentity ?? 'another process'}, which is alive: two processes cannot be the same shard`);
    }
    const put = await this.#c.call('PUT', this.#leasePath(name), { body: this.#leaseBody(microTime(), (again.spec?.leaseTransitions ?? 0) + 1, again.metadata.resourceVersion) });
    if (put.status < 200 || put.status >= 300) throw new CoordinationConflict(`shard ${this.index} of run ${this.#o.identity.runId}: another process took its Lease at the same time (${put.status})`);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#tick = this.#step().finally(() => this.#schedule(this.#fast > 0 ? 200 : this.#o.renewMs));
    }, ms);
  }

  /** One round: renew the Lease when due, read every shard's, notice losses. */
  async #step(): Promise<void> {
    const now = performance.now();
    if (now - this.#lastRenew >= this.#o.renewMs - 50) await this.#renew();
    await this.#observe();
  }

  async #renew(): Promise<void> {
    const at = performance.now();
    const res = await this.#c
      .call('PATCH', this.#leasePath(shardLeaseName(this.#o.identity.runId, this.index)), {
        body: { metadata: { annotations: this.#annotations() }, spec: { renewTime: microTime() } },
        contentType: 'application/merge-patch+json',
        retry: false,
      })
      .catch(() => undefined);
    if (res && res.status >= 200 && res.status < 300) this.#lastRenew = at;
  }

  async #observe(): Promise<void> {
    const at = performance.now();
    let list: { items: LeaseJson[] };
    try {
      list = await this.#c.json<{ items: LeaseJson[] }>('GET', this.#leasePath(), { query: { labelSelector: `${RUN_LABEL}=${this.#o.identity.runId},${ROLE_LABEL}=true` }, retry: false });
    } catch {
      return;
    }
    this.#lastList = at;
    for (const l of list.items) {
      const i = Number(l.metadata.labels?.[SHARD_LABEL]);
      if (!Number.isInteger(i) || i === this.index) continue;
      const a = l.metadata.annotations ?? {};
      const renew = l.spec?.renewTime ?? '';
      const prev = this.#peers.get(i);
      const peer: Peer = {
        holder: l.spec?.holderIdentity ?? '',
        state: (a[STATE] as RunStatus | undefined) ?? 'running',
        ready: Number(a[READY] ?? -1),
        cleanup: (a[CLEANUP] as Cleanup | undefined) ?? 'pending',
        ...(a[ERROR] ? { error: a[ERROR] } : {}),
        renew,
        changedAt: prev && prev.renew === renew && prev.holder === (l.spec?.holderIdentity ?? '') ? prev.changedAt : at,
      };
      this.#peers.set(i, peer);
    }
    for (const [i, p] of this.#peers) {
      if (this.#lost.has(i)) continue;
      if ((p.state === 'failed' || p.state === 'interrupted') && p.ready !== PHASES_DONE) {
        // A shard that ends before its phases are done leaves the run.
        this.#markLost(i, `shard ${i} ended ${p.state === 'failed' ? 'with an error' : 'interrupted'}${p.error ? `: ${p.error}` : ''}`);
      } else if (p.state === 'running' && at - p.changedAt > this.#o.deadAfterMs) {
        this.#markLost(i, `shard ${i} (${p.holder}) stopped renewing its Lease: nothing from it for ${Math.round((at - p.changedAt) / 1000)} s`);
      }
    }
  }

  #markLost(index: number, reason: string): void {
    const lost: LostShard = { index, reason, at: new Date().toISOString(), during: this.#phase };
    this.#lost.set(index, lost);
    this.#patchData(`lost-${index}`, { ...lost, noticedBy: this.index }).catch(() => undefined);
    for (const l of this.#listeners) l(lost);
  }

  /** The shards that have not left the run, this one included. */
  #present(): number[] {
    return Array.from({ length: this.#o.identity.shards }, (_, i) => i).filter((i) => !this.#lost.has(i));
  }

  /**
   * Waits until every shard has joined (its Lease exists), so that nothing is created
   * before the whole run is there; `progress` hears who is still awaited every 10 s.
   * Throws CoordinationError after the join timeout, naming the shards that did not come.
   */
  async awaitJoined(signal: AbortSignal, progress: (missing: number[]) => void): Promise<void> {
    this.#fast++;
    let told = performance.now();
    try {
      for (;;) {
        signal.throwIfAborted();
        await this.#observe();
        this.#failIfLost();
        const missing = this.#present().filter((i) => i !== this.index && !this.#peers.has(i));
        if (missing.length === 0) return;
        const now = performance.now();
        if (now - this.#joinedAt > this.#o.joinTimeoutMs) {
          throw new CoordinationError(`shard${missing.length === 1 ? '' : 's'} ${missing.join(', ')} of ${this.#o.identity.shards} did not join run ${this.#o.identity.runId} within ${Math.round(this.#o.joinTimeoutMs / 1000)} s (--join-timeout; ${this.where})`);
        }
        if (now - told >= 10_000) {
          told = now;
          progress(missing);
        }
        await sleep(200, signal);
      }
    } finally {
      this.#fast--;
    }
  }

  /**
   * Waits until every shard still in the run is ready for `step` (a phase index), then
   * returns; the lowest shard present records the step's start in the run's ConfigMap.
   * Throws CoordinationError when a shard is lost and the run must not go on without it,
   * or when a shard has not joined within the join timeout.
   */
  async barrier(step: number, name: string, signal: AbortSignal): Promise<void> {
    this.#ready = step;
    this.#phase = name;
    this.#fast++;
    try {
      await this.#renew();
      for (;;) {
        signal.throwIfAborted();
        await this.#observe();
        this.#failIfLost();
        const missing: number[] = [];
        for (const i of this.#present()) {
          if (i === this.index) continue;
          const p = this.#peers.get(i);
          if (!p || p.ready < step) missing.push(i);
        }
        if (missing.length === 0) break;
        const notJoined = missing.filter((i) => !this.#peers.has(i));
        if (notJoined.length > 0 && performance.now() - this.#joinedAt > this.#o.joinTimeoutMs) {
          throw new CoordinationError(`shard${notJoined.length === 1 ? '' : 's'} ${notJoined.join(', ')} of ${this.#o.identity.shards} did not join run ${this.#o.identity.runId} within ${Math.round(this.#o.joinTimeoutMs / 1000)} s (${this.where})`);
        }
        await sleep(200, signal);
      }
      if (this.#present()[0] === this.index) {
        await this.#patchData(`phase-${step}`, { name, startedAt: new Date().toISOString(), shards: this.#present() }).catch(() => undefined);
      }
    } finally {
      this.#fast--;
    }
  }

  #failIfLost(): void {
    if (this.#o.onLoss !== 'fail' || this.#lost.size === 0) return;
    const l = [...this.#lost.values()][0]!;
    throw new CoordinationError(`${l.reason}; the run stops (--on-shard-loss fail)`);
  }

  /** Says how this shard ended; the others see it within a second. */
  async finish(status: RunStatus, phasesDone: boolean, error?: string): Promise<void> {
    this.#state = status;
    if (error) this.#error = error;
    if (phasesDone) this.#ready = PHASES_DONE;
    await this.#renew();
    await this.#patchData(`shard-${this.index}`, { holder: this.#o.holder, end: { status, at: new Date().toISOString(), ...(error ? { error } : {}) } }).catch(() => undefined);
  }

  /**
   * Waits until no other shard is still measuring (each has written its results, or is
   * lost), at most `maxMs`. Returns the shards still measuring when it gave up.
   */
  async othersEnded(maxMs: number, signal?: AbortSignal): Promise<number[]> {
    const deadline = performance.now() + maxMs;
    this.#fast++;
    try {
      for (;;) {
        await this.#observe();
        // Ended = stopped measuring: its results are written (cleanup no longer pending).
        const running = this.#present().filter((i) => i !== this.index && this.#peers.has(i) && this.#peers.get(i)!.cleanup === 'pending');
        if (running.length === 0 || performance.now() > deadline || signal?.aborted) return running;
        await sleep(200, signal);
      }
    } finally {
      this.#fast--;
    }
  }

  /**
   * The shards whose namespaces this one deletes: itself, and, when it is the lowest
   * shard still present, every shard that left without deleting its own.
   */
  cleanupDuty(): number[] {
    const present = this.#present();
    const orphans = present[0] === this.index ? [...this.#lost.keys(), ...[...this.#peers].filter(([, p]) => p.cleanup === 'left').map(([i]) => i)] : [];
    return [...new Set([this.index, ...orphans])].sort((a, b) => a - b);
  }

  /** Records whether this shard deleted its namespaces (`done`) or left them to the others. */
  async setCleanup(c: Cleanup): Promise<void> {
    this.#cleanup = c;
    await this.#renew();
  }

  /** Stops renewing (the Lease then says how this shard ended). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#tick.catch(() => undefined);
  }

  /** When the last list of the shards' Leases succeeded (performance.now()); 0 never. */
  get lastListAt(): number {
    return this.#lastList;
  }
}
