import { describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/cluster/kube-client.js';
import { PHASE_LABEL } from '../../src/load/labels.js';
import { LATE_RUNNING, LATE_SCHEDULED } from '../../src/measure/pod-phases.js';
import { PodTable } from '../../src/measure/pod-table.js';
import { PodTracker } from '../../src/measure/pod-tracker.js';

type Event = [type: string, object: Record<string, unknown>, receivedAt: number];

function pod(uid: string, phase: string, over: { node?: string; running?: boolean; ready?: boolean; rv?: string } = {}): Record<string, unknown> {
  const conditions = [
    ...(over.node ? [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-12-03T10:00:01Z' }] : []),
    ...(over.ready ? [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-12-03T10:00:03Z' }] : []),
  ];
  return {
    metadata: { uid, namespace: 'ns-0', name: `pod-${uid}`, labels: { [PHASE_LABEL]: phase }, creationTimestamp: '2026-12-03T10:00:00Z', resourceVersion: over.rv ?? '1' },
    spec: over.node ? { nodeName: over.node } : {},
    status: {
      ...(over.running ? { phase: 'Running', containerStatuses: [{ state: { running: { startedAt: '2026-12-03T10:00:02Z' } } }] } : { phase: 'Pending' }),
      conditions,
    },
  };
}

/** A client that lists `listed`, then plays `events` on one watch and holds it open until stopped. */
function scripted(listed: Record<string, unknown>[], events: Event[]): { client: KubeClient; played: Promise<void> } {
  let done!: () => void;
  const played = new Promise<void>((r) => (done = r));
  const client = {
    json: async () => ({ metadata: { resourceVersion: '1' }, items: listed }),
    watch: async (_path: string, _q: Record<string, string>, onEvent: (...e: Event) => void, signal: AbortSignal) => {
      for (const e of events) onEvent(...e);
      done();
      await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
      return { status: 200 };
    },
  } as unknown as KubeClient;
  return { client, played };
}

describe('PodTable', () => {
  it('keeps each row apart across chunks, and hands out copies', () => {
    const t = new PodTable();
    const n = 40_000; // more than two chunks of 16,384 rows
    const rows: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = t.add({ uid: `u${i}`, namespace: `ns-${i % 3}`, name: `p${i}`, phase: i % 2 ? 'odd' : 'even', createSent: i, created: i + 0.5, firstSeen: i + 1, firstSeenLive: i % 5 === 0 });
      rows.push(r);
      t.set(r, 'runningSeen', i * 2);
      t.setNode(r, `node-${i % 7}`);
      if (i % 3 === 0) t.addLate(r, LATE_SCHEDULED);
      if (i % 4 === 0) t.addLate(r, LATE_RUNNING);
    }
    expect(t.size).toBe(n);
    expect(rows.every((r, i) => r === i)).toBe(true);
    for (const i of [0, 1, 16_383, 16_384, 32_768, n - 1]) {
      expect(t.row(`u${i}`)).toBe(i);
      expect(t.record(i)).toEqual({
        uid: `u${i}`,
        namespace: `ns-${i % 3}`,
        name: `p${i}`,
        phase: i % 2 ? 'odd' : 'even',
        node: `node-${i % 7}`,
        createSent: i,
        created: i + 0.5,
        scheduledServer: 0,
        startedServer: 0,
        readyServer: 0,
        firstSeen: i + 1,
        firstSeenLive: i % 5 === 0,
        scheduledSeen: 0,
        runningSeen: i * 2,
        readySeen: 0,
        deletedSeen: 0,
        late: (i % 3 === 0 ? LATE_SCHEDULED : 0) | (i % 4 === 0 ? LATE_RUNNING : 0),
      });
    }
    expect(t.row('nope')).toBeUndefined();
    const copy = t.record(5);
    copy.runningSeen = 1;
    expect(t.get(5, 'runningSeen')).toBe(10);
    expect([...t.records()].map((p) => p.uid).slice(0, 3)).toEqual(['u0', 'u1', 'u2']);
  });
});

describe('PodTracker', () => {
  it('counts each phase apart as events arrive, deletions included', async () => {
    const { client, played } = scripted(
      [pod('a1', 'a', { node: 'n1' })],
      [
        ['ADDED', pod('a2', 'a'), 10],
        ['ADDED', pod('b1', 'b'), 11],
        ['MODIFIED', pod('a2', 'a', { node: 'n2' }), 12],
        ['MODIFIED', pod('a2', 'a', { node: 'n2', running: true, ready: true }), 13],
        ['MODIFIED', pod('a1', 'a', { node: 'n1', running: true }), 14],
        ['DELETED', pod('a1', 'a', { node: 'n1', running: true }), 15],
        ['MODIFIED', pod('a1', 'a', { node: 'n1', running: true, ready: true }), 16], // after its deletion: ignored
      ],
    );
    const tracker = new PodTracker(client, 'x=y');
    tracker.start();
    try {
      await played;
      expect(tracker.counts('a')).toEqual({
        totals: { seen: 2, scheduled: 2, running: 2, ready: 1, deleted: 1 },
        current: { seen: 1, scheduled: 1, running: 1, ready: 1, deleted: 1 },
      });
      expect(tracker.counts('b')).toEqual({
        totals: { seen: 1, scheduled: 0, running: 0, ready: 0, deleted: 0 },
        current: { seen: 1, scheduled: 0, running: 0, ready: 0, deleted: 0 },
      });
      expect(tracker.counts('none').totals.seen).toBe(0);
      expect(tracker.counts()).toEqual({ totals: tracker.totals, current: tracker.current() });
      expect(tracker.counts().current).toEqual({ seen: 2, scheduled: 1, running: 1, ready: 1, deleted: 1 });

      const byUid = new Map([...tracker.pods()].map((p) => [p.uid, p]));
      const a1 = byUid.get('a1')!;
      expect(a1.late & LATE_SCHEDULED).toBe(LATE_SCHEDULED); // scheduled before the watch: learned from the list
      expect(a1.deletedSeen).toBeGreaterThan(0);
      expect(a1.readySeen).toBe(0);
      const a2 = byUid.get('a2')!;
      expect(a2).toMatchObject({ node: 'n2', phase: 'a', late: 0, created: Date.parse('2026-12-03T10:00:00Z'), scheduledServer: Date.parse('2026-12-03T10:00:01Z'), startedServer: Date.parse('2026-12-03T10:00:02Z'), readyServer: Date.parse('2026-12-03T10:00:03Z') });
      expect(a2.runningSeen - a2.scheduledSeen).toBeCloseTo(1, 6);
    } finally {
      await tracker.stop();
    }
  });
});
