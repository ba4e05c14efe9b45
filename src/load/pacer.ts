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
): Promise<PacerResult> {
  const result: PacerResult = { started: 0, skipped: 0, intendedLatencyMs: [] };
  if (total === 0) return result;
  if (pacing.mode === 'open') return runOpen(total, pacing, op, deps, result);
  const limit = pLimit(pacing.workers);
  const batchSize = pacing.batch?.size ?? total;
  for (let from = 0; from < total && !deps.signal.aborted; from += batchSize) {
    const to = Math.min(total, from + batchSize);
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
    if (pacing.batch && to < total) await sleep(pacing.batch.intervalMs, deps.signal);
  }
  return result;
}

async function runOpen(
  total: number,
  pacing: Pacing,
  op: (index: number) => Promise<void>,
  deps: { random: Random; signal: AbortSignal },
  result: PacerResult,
): Promise<PacerResult> {
  const rate = pacing.arrivalRate!;
  const t0 = performance.now();
  let due = 0;
  let inFlight = 0;
  const running: Promise<void>[] = [];
  const batchSize = pacing.batch?.size ?? total;
  for (let i = 0; i < total && !deps.signal.aborted; i++) {
    if (i > 0 && i % batchSize === 0 && pacing.batch) due += pacing.batch.intervalMs;
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
