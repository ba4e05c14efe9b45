import { describe, expect, it } from 'vitest';
import { runPaced, sleep } from '../../src/load/pacer.js';
import type { Pacing } from '../../src/spec/resolve.js';
import { Random } from '../../src/util/random.js';

const closed = (workers: number, batch?: { size: number; intervalMs: number }): Pacing => ({ mode: 'closed', workers, maxInFlight: 1000, qps: 0, burst: 1, repeat: 1, ...(batch ? { batch } : {}) });

describe('runPaced', () => {
  it('closed loop: never more than `workers` at once, every index once', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    const r = await runPaced(
      50,
      closed(7),
      async (i) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await sleep(1);
        seen.push(i);
        inFlight--;
      },
      { random: new Random(1), signal: new AbortController().signal },
    );
    expect(r).toMatchObject({ started: 50, skipped: 0 });
    expect(peak).toBe(7);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('batches: a batch completes before the pause and the next one starts', async () => {
    const events: string[] = [];
    await runPaced(
      6,
      closed(10, { size: 2, intervalMs: 5 }),
      async (i) => {
        events.push(`start ${i}`);
        await sleep(1);
        events.push(`end ${i}`);
      },
      { random: new Random(1), signal: new AbortController().signal },
    );
    // Each batch's two ends come before the next batch's starts.
    const startOf = (i: number): number => events.indexOf(`start ${i}`);
    const endOf = (i: number): number => events.indexOf(`end ${i}`);
    expect(Math.max(endOf(0), endOf(1))).toBeLessThan(Math.min(startOf(2), startOf(3)));
    expect(Math.max(endOf(2), endOf(3))).toBeLessThan(Math.min(startOf(4), startOf(5)));
  });

  it('open loop: arrivals beyond maxInFlight are skipped, not queued, and lateness is measured from the schedule', async () => {
    const release: (() => void)[] = [];
    const pacing: Pacing = { mode: 'open', workers: 1, arrivalRate: 1000, maxInFlight: 3, qps: 0, burst: 1, repeat: 1 };
    const done = runPaced(20, pacing, () => new Promise<void>((r) => release.push(r)), { random: new Random(2), signal: new AbortController().signal });
    // Nothing completes until all 20 arrivals have come: only 3 can be in flight.
    await sleep(100);
    for (const r of release) r();
    const r = await done;
    expect(r.started).toBe(3);
    expect(r.skipped).toBe(17);
    expect(r.intendedLatencyMs).toHaveLength(3);
    expect(Math.min(...r.intendedLatencyMs)).toBeGreaterThanOrEqual(0);
  });

  it('stops starting operations once aborted', async () => {
    const ac = new AbortController();
    let started = 0;
    const r = await runPaced(
      100,
      closed(1),
      async () => {
        started++;
        if (started === 5) ac.abort();
      },
      { random: new Random(1), signal: ac.signal },
    );
    expect(r.started).toBe(5);
  });

  it('sleep waits at least its time by the monotonic clock, and ends early on abort', async () => {
    const t0 = performance.now();
    await sleep(20);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(20);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 5);
    const t1 = performance.now();
    await sleep(60_000, ac.signal);
    expect(performance.now() - t1).toBeLessThan(30_000);
  });
});
