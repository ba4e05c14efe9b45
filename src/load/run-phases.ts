import type { PodTracker } from '../measure/pod-tracker.js';
import { exactStats } from '../measure/stats.js';
import type { PhaseResult } from '../results/format.js';
import type { ResolvedPhase, ResolvedWorkload } from '../spec/resolve.js';
import { formatDuration } from '../util/duration.js';
import { TokenBucket } from '../util/token-bucket.js';
import { ACTION_FACTORIES, isApiAction, LimitedApi, type RunContext } from './actions/index.js';
import { runPaced, sleep } from './pacer.js';

export interface PhaseHooks {
  onPhaseStart?(phase: ResolvedPhase): Promise<void>;
  onPhaseEnd?(phase: ResolvedPhase, result: PhaseResult): Promise<void>;
  /** Live progress for the console. */
  onProgress?(phase: ResolvedPhase, done: number, total: number): void;
}

export class WaitTimeoutError extends Error {}

/**
 * Runs the workload's phases in order against the cluster. Pods expected per create phase
 * are tracked (scales and deletes change them) so a wait knows when it is done. A failed
 * wait ends the run; API errors are counted and the run goes on.
 */
export async function runPhases(
  w: ResolvedWorkload,
  ctx: RunContext,
  /** The pods measurement's tracker; wait phases need it (the spec refuses them without it). */
  tracker: PodTracker | undefined,
  hooks: PhaseHooks,
  signal: AbortSignal,
  now: () => number,
): Promise<PhaseResult[]> {
  const results: PhaseResult[] = [];
  const expected = new Map<string, number>();
  for (const phase of w.phases) {
    if (signal.aborted) break;
    await hooks.onPhaseStart?.(phase);
    const startedAt = now();
    const t0 = performance.now();
    const result: PhaseResult = { name: phase.name, action: phase.action, startedAt, endedAt: startedAt, durationMs: 0, status: 'ok' };
    try {
      if (phase.sleepMs !== undefined) {
        await sleep(phase.sleepMs, signal);
      } else if (phase.spec.wait) {
        if (!tracker) throw new Error(`phase ${phase.name} waits for pods, but the pods measurement is off`);
        result.wait = await waitFor(phase, tracker, expected, signal, (d, t) => hooks.onProgress?.(phase, d, t));
      } else if (isApiAction(phase.action)) {
        const limiter = new TokenBucket(phase.pacing.qps, phase.pacing.burst);
        const api = new LimitedApi(ctx, limiter);
        const op = ACTION_FACTORIES[phase.action](phase, ctx, api);
        let succeeded = 0;
        let failed = 0;
        let firstError: string | undefined;
        const total = phase.operations;
        // A shard does the operations of its share, under their single-run indices.
        const indices = phase.share?.indices;
        const paced = await runPaced(
          total,
          phase.pacing,
          async (j) => {
            let r: true | string;
            try {
              r = await op(indices ? indices[j]! : j, j);
            } catch (e) {
              r = (e as Error).message;
            }
            if (r === true) succeeded++;
            else {
              failed++;
              firstError ??= r;
            }
            hooks.onProgress?.(phase, succeeded + failed, total);
          },
          { random: ctx.random, signal },
          phase.share?.batchLengths,
        );
        result.operations = { planned: total, started: paced.started, succeeded, failed, skipped: paced.skipped, ...(firstError ? { firstError } : {}) };
        const late = exactStats(paced.intendedLatencyMs);
        if (late) result.intendedLatencyMs = late;
        updateExpected(phase, ctx, expected);
      }
      if (signal.aborted) result.status = 'interrupted';
    } catch (e) {
      result.status = signal.aborted ? 'interrupted' : 'failed';
      result.error = (e as Error).message;
    }
    // A run stopped for a reason (a dead server, a timeout) says why in the phase it cut short.
    if (signal.aborted && !result.error && signal.reason instanceof Error && signal.reason.name === 'RunStop') {
      result.status = 'failed';
      result.error = signal.reason.message;
    }
    result.endedAt = now();
    result.durationMs = performance.now() - t0;
    results.push(result);
    await hooks.onPhaseEnd?.(phase, result);
    if (result.status === 'failed') break;
  }
  return results;
}

function updateExpected(phase: ResolvedPhase, ctx: RunContext, expected: Map<string, number>): void {
  const p = phase.spec;
  if (phase.create) {
    const made = ctx.objects.get(phase.name)?.length ?? 0;
    expected.set(phase.name, made * phase.create.podsPerObject);
  } else if (p.scale) {
    expected.set(p.scale.from, (ctx.objects.get(p.scale.from)?.length ?? 0) * p.scale.replicas);
  } else if (p.delete) {
    expected.set(p.delete.from, 0);
  }
}

async function waitFor(
  phase: ResolvedPhase,
  tracker: PodTracker,
  expected: Map<string, number>,
  signal: AbortSignal,
  progress: (done: number, total: number) => void,
): Promise<{ for: string; target: number; reached: number }> {
  const wait = phase.spec.wait!;
  const from = wait.from;
  const deadline = performance.now() + (phase.waitTimeoutMs ?? 600_000);
  const target = from !== undefined ? (expected.get(from) ?? 0) : [...expected.values()].reduce((a, b) => a + b, 0);
  for (;;) {
    // Running counts: a poll costs the same at 150,000 pods as at 10.
    const { totals, current } = tracker.counts(from);
    const liveTotal = totals.seen;
    const live = current.seen;
    const reached = wait.for === 'deleted' ? totals.deleted : current[wait.for];
    const done = wait.for === 'deleted' ? live === 0 : live >= target && reached >= live;
    const shownTarget = wait.for === 'deleted' ? liveTotal : Math.max(target, live);
    progress(reached, shownTarget);
    if (done) return { for: wait.for, target: shownTarget, reached };
    if (signal.aborted) return { for: wait.for, target: shownTarget, reached };
    if (performance.now() > deadline) {
      throw new WaitTimeoutError(
        `phase ${phase.name}: waited ${formatDuration(phase.waitTimeoutMs ?? 600_000)} for pods to be ${wait.for}: ${reached} of ${shownTarget} are`,
      );
    }
    await sleep(200, signal);
  }
}
