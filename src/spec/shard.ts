import type { Pacing, ResolvedPhase, ResolvedWorkload } from './resolve.js';

/**
 * The split of a workload into N shards (docs/shards.md): shard i of N does a
 * deterministic share of every phase, so that the N shards together send exactly the
 * requests a single run would.
 *
 * - Operations: operation k of a phase (its global index, from 0, across repeats) belongs
 *   to shard k mod N. Objects keep their single-run names (`<phase>-<k>`), `{{index}}` and
 *   namespace; a list k lists the namespace a single run's list k would.
 * - Batches: each shard does its part of every batch of the phase and pauses when a
 *   single run would, so the batches keep their rhythm (a shard with nothing in a batch
 *   still waits it out).
 * - Rates: qps and open-loop arrival rates are divided by N (N Poisson processes of rate
 *   r/N are together a Poisson process of rate r); workers, burst and maxInFlight are
 *   split as evenly as whole numbers allow, at least 1 each.
 * - Namespaces: namespace n is created (and deleted) by shard n mod N; objects go where
 *   a single run puts them, whichever shard made the namespace.
 * - Operations on an earlier phase's objects (get, patch, update, scale, delete): a
 *   shard acts on the objects it created itself, round robin; the counts are exact.
 * - Waits: each shard waits for its own pods; the next phase starts when every shard
 *   is done waiting (the coordination's barrier).
 */

export interface ShardRef {
  /** i of `i/N`, from 0. */
  index: number;
  count: number;
}

/** The most shards a run may have: far above any need, low enough to catch a typo. */
export const MAX_SHARDS = 1000;

/** `i/N` as the command line writes it, or why it is not one. */
export function parseShard(text: string): ShardRef | string {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) return `"${text}" is not i/N (shard i of N, i from 0): for example 0/4`;
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > MAX_SHARDS) return `"${text}": N must be 1 to ${MAX_SHARDS}`;
  if (index >= count) return `"${text}": i must be 0 to ${count - 1} (shards are numbered from 0)`;
  return { index, count };
}

/** This shard's part of one phase. */
export interface PhaseShare {
  /** The global operation indices this shard performs, ascending. */
  indices: number[];
  /** Batched phases: how many of this shard's operations fall in each of the phase's batches. */
  batchLengths?: number[];
}

/** x split into N whole parts as evenly as possible: part s. */
export function evenPart(x: number, count: number, s: number): number {
  return Math.floor(x / count) + (s < x % count ? 1 : 0);
}

/** How many of 0..total-1 are congruent to s mod N. */
export function ownCount(total: number, count: number, s: number): number {
  return total > s ? Math.floor((total - 1 - s) / count) + 1 : 0;
}

function sharePacing(p: Pacing, count: number, s: number): Pacing {
  const out: Pacing = {
    ...p,
    workers: Math.max(1, evenPart(p.workers, count, s)),
    maxInFlight: Math.max(1, evenPart(p.maxInFlight, count, s)),
    qps: p.qps / count,
    burst: Math.max(1, evenPart(p.burst, count, s)),
  };
  if (p.arrivalRate !== undefined) out.arrivalRate = p.arrivalRate / count;
  return out;
}

function sharePhase(phase: ResolvedPhase, ref: ShardRef, own: Map<string, { objects: number; pods: number }>): ResolvedPhase {
  const { index: s, count } = ref;
  const total = phase.operations;
  const indices: number[] = [];
  for (let k = s; k < total; k += count) indices.push(k);
  const share: PhaseShare = { indices };
  const batch = phase.pacing.batch;
  if (batch && total > 0) {
    const lengths: number[] = [];
    for (let from = 0; from < total; from += batch.size) lengths.push(ownCount(Math.min(total, from + batch.size), count, s) - ownCount(from, count, s));
    share.batchLengths = lengths;
  }
  const out: ResolvedPhase = { ...phase, pacing: sharePacing(phase.pacing, count, s), operations: indices.length, share };
  const spec = phase.spec;
  if (phase.create) {
    out.expectedPods = indices.length * phase.create.podsPerObject;
    own.set(phase.name, { objects: indices.length, pods: out.expectedPods });
  } else if (spec.delete) {
    out.expectedPods = -(own.get(spec.delete.from)?.pods ?? 0);
  }
  return out;
}

/** What one shard runs: the workload with every phase cut to its share, and its namespaces. */
export interface ShardPlan {
  shard: ShardRef;
  workload: ResolvedWorkload;
  /** Indices of the namespaces this shard creates and deletes. */
  namespaces: number[];
}

export function shardWorkload(w: ResolvedWorkload, ref: ShardRef): ShardPlan {
  const own = new Map<string, { objects: number; pods: number }>();
  const phases = w.phases.map((p) => sharePhase(p, ref, own));
  const expectedPods = phases.filter((p) => p.create).reduce((n, p) => n + p.expectedPods, 0);
  const namespaces: number[] = [];
  for (let n = ref.index; n < w.namespaceCount; n += ref.count) namespaces.push(n);
  return { shard: ref, workload: { ...w, phases, expectedPods }, namespaces };
}

/** The phase an operation on earlier objects draws from, if any. */
function fromPhase(p: ResolvedPhase): string | undefined {
  const s = p.spec;
  return (s.get ?? s.patch ?? s.update ?? s.scale ?? s.delete)?.from;
}

/**
 * Why the workload cannot be split into `count` shards, one line each (empty: it can): a
 * shard that would act on an earlier phase's objects but creates none of them has
 * nothing to act on, since a shard acts on the objects it made itself.
 */
export function shardProblems(w: ResolvedWorkload, count: number): string[] {
  const problems: string[] = [];
  for (let s = 0; s < count; s++) {
    const plan = shardWorkload(w, { index: s, count });
    const made = new Map(plan.workload.phases.filter((p) => p.create).map((p) => [p.name, p.operations]));
    for (const p of plan.workload.phases) {
      const from = fromPhase(p);
      if (from === undefined || p.operations === 0) continue;
      if ((made.get(from) ?? 0) === 0) {
        problems.push(`phase ${p.name}: shard ${s} of ${count} has ${p.operations} ${p.action} operation${p.operations === 1 ? '' : 's'} on the objects of phase ${from}, but phase ${from} creates too few objects (${w.phases.find((x) => x.name === from)?.operations ?? 0}) to give shard ${s} any; use at most that many shards`);
        break;
      }
    }
    if (problems.length > 0) break;
  }
  return problems;
}
