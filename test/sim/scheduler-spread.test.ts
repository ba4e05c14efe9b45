import { describe, expect, it } from 'vitest';
import { type SchedulerApi, SchedulerCore } from '../../src/sim/scheduler/scheduler-core.js';
import { Random } from '../../src/util/random.js';
import { schedNode as node, schedPod as pod } from '../helpers/sched-objects.js';

/** Where the scheduler puts a controller's replicas: spread by owner, counted per node. */

function scheduler() {
  const placed = new Map<string, string>();
  const api: SchedulerApi = {
    bind: async (p, n) => void placed.set(p.name, n),
    scheduled: async () => undefined,
    unschedulable: async () => undefined,
  };
  const core = new SchedulerCore(api, { random: new Random(7), now: () => 0, log: () => undefined });
  /** Every queued pod through a cycle, then the bindings' completions. */
  const drain = async () => {
    while (core.scheduleOne());
    await new Promise((r) => setImmediate(r));
  };
  /** How many of these pods each node got, in ascending order. */
  const perNode = (names: readonly string[]) => {
    const counts = new Map<string, number>();
    for (const name of names) counts.set(placed.get(name)!, (counts.get(placed.get(name)!) ?? 0) + 1);
    return [...counts.values()].sort();
  };
  return { core, placed, drain, perNode };
}

describe('scheduler: spreading of replicas', () => {
  it('puts one replica on each node before a second on any, whatever other owners hold', async () => {
    const s = scheduler();
    for (const n of ['a', 'b', 'c', 'd']) s.core.nodeChanged(node(n, 40));
    // Another owner's pods fill node a most: they do not count as siblings.
    for (let i = 0; i < 3; i++) s.core.podChanged(pod(`other-${i}`, { nodeName: 'a', ownerUid: 'rs-other', cpuMillis: 10 }));
    const names = Array.from({ length: 8 }, (_, i) => `web-${i}`);
    for (const n of names) s.core.podChanged(pod(n, { ownerUid: 'rs-web', cpuMillis: 10 }));
    await s.drain();
    expect(s.perNode(names)).toEqual([2, 2, 2, 2]);
  });

  it('forgets the replicas counted on a node that is removed, and counts them again when it returns', async () => {
    const s = scheduler();
    for (const n of ['a', 'b']) s.core.nodeChanged(node(n, 40));
    // Three replicas already bound to a.
    for (let i = 0; i < 3; i++) s.core.podChanged(pod(`old-${i}`, { nodeName: 'a', ownerUid: 'rs-web', cpuMillis: 10 }));
    s.core.nodeDeleted('a');
    s.core.nodeChanged(node('c', 40));
    // With a gone, b and c hold no replica: the next two go one to each.
    s.core.podChanged(pod('new-0', { ownerUid: 'rs-web', cpuMillis: 10 }));
    s.core.podChanged(pod('new-1', { ownerUid: 'rs-web', cpuMillis: 10 }));
    await s.drain();
    expect(new Set([s.placed.get('new-0'), s.placed.get('new-1')])).toEqual(new Set(['b', 'c']));
    // a returns with its three: the next replica avoids it.
    s.core.nodeChanged(node('a', 40));
    for (let i = 2; i < 4; i++) s.core.podChanged(pod(`new-${i}`, { ownerUid: 'rs-web', cpuMillis: 10 }));
    await s.drain();
    expect([s.placed.get('new-2'), s.placed.get('new-3')]).not.toContain('a');
  });

  it('frees a replica’s place in the count when it is deleted', async () => {
    const s = scheduler();
    for (const n of ['a', 'b']) s.core.nodeChanged(node(n, 40));
    // a is the busier node (another owner's 1000m), so only the spreading can pick it.
    s.core.podChanged(pod('other', { nodeName: 'a', ownerUid: 'rs-other', cpuMillis: 1000 }));
    s.core.podChanged(pod('w-0', { nodeName: 'a', ownerUid: 'rs-web', cpuMillis: 10 }));
    s.core.podChanged(pod('w-1', { nodeName: 'b', ownerUid: 'rs-web', cpuMillis: 10 }));
    s.core.podDeleted('ns/w-0');
    s.core.podChanged(pod('w-3', { ownerUid: 'rs-web', cpuMillis: 10 }));
    await s.drain();
    expect(s.placed.get('w-3')).toBe('a');
  });
});
