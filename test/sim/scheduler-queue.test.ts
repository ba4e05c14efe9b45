import { describe, expect, it } from 'vitest';
import { LocalApiError } from '../../src/sim/local-client.js';
import { type SchedulerApi, SchedulerCore } from '../../src/sim/scheduler/scheduler-core.js';
import { Random } from '../../src/util/random.js';
import { schedNode as node, schedPod as pod } from '../helpers/sched-objects.js';

/** The scheduler's queue and event handling, driven by hand with a fixed clock. */

/** A scheduler whose bindings the test completes or fails by hand. */
function harness() {
  let now = 1_000_000;
  const pending = new Map<string, { resolve(): void; reject(e: unknown): void; node: string }>();
  const bound = new Map<string, string>();
  const api: SchedulerApi = {
    bind: (p, n) => new Promise<void>((resolve, reject) => pending.set(p.name, { resolve, reject, node: n })),
    scheduled: async (p, n) => void bound.set(p.name, n),
    unschedulable: async () => undefined,
  };
  const core = new SchedulerCore(api, { random: new Random(1), now: () => now, log: () => undefined });
  const settle = () => new Promise((r) => setImmediate(r));
  return {
    core,
    pending,
    bound,
    /** Runs every active pod through a scheduling cycle. */
    drain() {
      while (core.scheduleOne());
    },
    async complete(name: string) {
      pending.get(name)!.resolve();
      pending.delete(name);
      await settle();
    },
    async fail(name: string, code: number) {
      pending.get(name)!.reject(new LocalApiError(code, 'TooManyRequests', 'refused'));
      pending.delete(name);
      await settle();
    },
    /** Moves the clock on and runs the queue's periodic work. */
    advance(ms: number) {
      now += ms;
      core.tick();
    },
    counts: () => core.queue.counts(),
  };
}

describe('scheduler queue and cluster events (fixed clock)', () => {
  it("retries a pod found unschedulable behind an assumed pod as soon as that pod's binding fails", async () => {
    const h = harness();
    h.core.nodeChanged(node('n1', 1));
    h.core.podChanged(pod('a'));
    h.drain();
    expect([...h.pending.keys()]).toEqual(['a']); // a is assumed on n1, its binding in flight
    h.core.podChanged(pod('b'));
    h.drain();
    expect(h.counts().unschedulable).toBe(1); // n1 looks full: a holds its one slot

    // a's binding is refused (say, 429 after client-go's retries): n1's slot is free again.
    await h.fail('a', 429);
    expect(h.counts().unschedulable).toBe(0);
    h.advance(1000); // b's backoff after one attempt: 1 s
    h.drain();
    expect([...h.pending.keys()]).toEqual(['b']);
    await h.complete('b');
    expect(h.bound.get('b')).toBe('n1');
    // a retries after its own backoff and finds n1 taken.
    h.advance(1000);
    h.drain();
    expect(h.counts().unschedulable).toBe(1);
  });

  it('retries unschedulable pods when a bound pod finishes or is deleted', async () => {
    const h = harness();
    h.core.nodeChanged(node('n1', 1));
    h.core.podChanged(pod('done', { nodeName: 'n1' }));
    h.core.podChanged(pod('w'));
    h.drain();
    expect(h.counts().unschedulable).toBe(1);
    h.core.podChanged(pod('done', { nodeName: 'n1', terminal: true }), pod('done', { nodeName: 'n1' }));
    expect(h.counts()).toMatchObject({ unschedulable: 0, backoff: 1 });
    h.advance(1000);
    h.drain();
    await h.complete('w');
    expect(h.bound.get('w')).toBe('n1');
  });

  it('moves a waiting pod only on events that may help it (queueing hints)', () => {
    const h = harness();
    h.core.nodeChanged(node('n1', 10, { zone: 'a' }));
    h.core.podChanged(pod('picky', { nodeSelector: [['zone', 'b']] }));
    h.drain();
    expect(h.counts().unschedulable).toBe(1);
    // A bound pod going away frees resources, which NodeAffinity does not care about.
    h.core.podChanged(pod('other', { nodeName: 'n1' }));
    h.core.podDeleted('ns/other');
    expect(h.counts().unschedulable).toBe(1);
    // A heartbeat changes nothing; a label change may help.
    h.core.nodeChanged(node('n1', 10, { zone: 'a' }));
    expect(h.counts().unschedulable).toBe(1);
    h.core.nodeChanged(node('n1', 10, { zone: 'b' }));
    expect(h.counts().unschedulable).toBe(0);
  });

  it('retries a waiting pod whose tolerations or selectors change', () => {
    const h = harness();
    h.core.nodeChanged({ ...node('n1', 10), taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] });
    const before = pod('t');
    h.core.podChanged(before);
    h.drain();
    expect(h.counts().unschedulable).toBe(1);
    // A status write (the scheduler's own Unschedulable condition) is no reason.
    h.core.podChanged(pod('t', { unschedulableMessage: 'x' }), before);
    expect(h.counts().unschedulable).toBe(1);
    h.core.podChanged(pod('t', { tolerations: [{ key: 'dedicated', operator: 'Exists' }] }), before);
    expect(h.counts().unschedulable).toBe(0);
  });

  it('flushes pods unschedulable for 5 minutes without any event (podMaxInUnschedulablePodsDuration)', () => {
    const h = harness();
    h.core.nodeChanged(node('n1', 0));
    h.core.podChanged(pod('stuck'));
    h.drain();
    h.advance(4 * 60_000 + 59_000);
    expect(h.counts().unschedulable).toBe(1);
    h.advance(1000);
    expect(h.counts()).toMatchObject({ unschedulable: 0, active: 1 });
  });

  it('backs off 1 s, doubling to at most 10 s, after each failed attempt', async () => {
    const h = harness();
    h.core.nodeChanged(node('n1', 1));
    const waits: number[] = [];
    h.core.podChanged(pod('x'));
    for (let attempt = 1; attempt <= 6; attempt++) {
      h.drain();
      await h.fail('x', 500);
      let waited = 0;
      while (h.counts().active === 0) {
        h.advance(100);
        waited += 100;
      }
      waits.push(waited);
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 10000, 10000]);
  });
});
