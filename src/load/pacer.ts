import pLimit from 'p-limit';
import type { Pacing } from '../spec/resolve.js';
import type { Random } from '../util/random.js';

export interface PacerResult {
  started: number;
  /** Open loop: arrivals dropped because maxInFlight operations were still running. */
  skipped: number;
  /** Open loop: ms from each operation's scheduled arrival to its completion (coordinated-omission corrected). */
  intendedLatencyMs: number[];
}

/**
 * Runs `total` operations with a phase's pacing. Closed loop: `workers` at a time (p-limit),
 * in batches with pauses when asked. Open loop: Poisson arrivals at `arrivalRate`, started
 * whatever the cluster answers; what runs late is measured from when it should have
 * started (so a slow server cannot hide its slowness by slowing the load down), and
 * arrivals beyond `maxInFlight` are counted as skipped, never queued.
 */
export async function runPaced(
  total: number,
  pacing: Pacing,
  op: (index: number) => Promise<void>,
  deps: { random: Random; signal: AbortSignal },
  /** A shard's part of each batch (src/spec/shard.ts); default: batches of pacing.batch.size. */
  batchLengths?: readonly number[],
): Promise<PacerResult> {
  const result: PacerResult = { started: 0, skipped: 0, intendedLatencyMs: [] };
  if (total === 0) return result;
  const lengths = batchLengths ?? batchesOf(total, pacing.batch?.size ?? total);
  if (pacing.mode === 'open') return runOpen(total, pacing, op, deps, result, lengths);
  const limit = pLimit(pacing.workers);
  let from = 0;
  for (let b = 0; b < lengths.length && !deps.signal.aborted; b++) {
    const to = Math.min(total, from + lengths[b]!);
    const tasks: Promise<void>[] = [];
    for (let i = from; i < to; i++) {
      tasks.push(
        limit(async () => {
          if (deps.signal.aborted) return;
          result.started++;
          await op(i);
        }),
      );
    }
    await Promise.all(tasks);
    from = to;
    if (pacing.batch && b < lengths.length - 1) await sleep(pacing.batch.intervalMs, deps.signal);
  }
  return result;
}

/** Batch lengths of `total` operations in batches of `size`. */
function batchesOf(total: number, size: number): number[] {
  const out: number[] = [];
  for (let from = 0; from < total; from += size) out.push(Math.min(size, total - from));
  return out;
}

async function runOpen(
  total: number,
  pacing: Pacing,
  op: (index: number) => Promise<void>,
  deps: { random: Random; signal: AbortSignal },
  result: PacerResult,
  lengths: readonly number[],
): Promise<PacerResult> {
  const rate = pacing.arrivalRate!;
  const t0 = performance.now();
  let due = 0;
  let inFlight = 0;
  const running: Promise<void>[] = [];
  // The operation that starts each batch after the first, and the pauses before it (a
  // shard's empty batches still pause, as the single run's batches would).
  const pauseBefore = new Map<number, number>();
  let end = 0;
  for (let b = 0; b < lengths.length - 1; b++) {
    end += lengths[b]!;
    pauseBefore.set(end, (pauseBefore.get(end) ?? 0) + 1);
  }
  for (let i = 0; i < total && !deps.signal.aborted; i++) {
    if (pacing.batch) due += (pauseBefore.get(i) ?? 0) * pacing.batch.intervalMs;
    // Exponential gaps: a Poisson process with mean rate `rate`, from the run seed.
    due += (-Math.log(1 - deps.random.next()) / rate) * 1000;
    const wait = t0 + due - performance.now();
    if (wait > 0) await sleep(wait, deps.signal);
    if (deps.signal.aborted) break;
    if (inFlight >= pacing.maxInFlight) {
      result.skipped++;
      continue;
    }
    const intended = t0 + due;
    inFlight++;
    result.started++;
    running.push(
      op(i).finally(() => {
        inFlight--;
        result.intendedLatencyMs.push(performance.now() - intended);
      }),
    );
  }
  await Promise.all(running);
  return result;
}

/**
 * Waits at least `ms` by the monotonic clock (or until aborted). Node's timers count from
 * the event loop's cached, whole-millisecond time and can fire a fraction of a millisecond
 * early by performance.now(): a `sleep: 6s` phase measured 5999.7 ms. The rest is waited out.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const end = performance.now() + ms;
    let t: NodeJS.Timeout | undefined;
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    function arm(): void {
      const left = end - performance.now();
      if (left <= 0) done();
      else t = setTimeout(arm, Math.ceil(left));
    }
    signal?.addEventListener('abort', done, { once: true });
    arm();
  });
}
