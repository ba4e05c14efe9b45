import { describe, expect, it } from 'vitest';
import type { CallOptions, CallResult, KubeClient } from '../../src/cluster/kube-client.js';
import type { RunContext } from '../../src/load/actions/index.js';
import { runPhases } from '../../src/load/run-phases.js';
import type { PodRecord } from '../../src/measure/pod-phases.js';
import type { PodTracker } from '../../src/measure/pod-tracker.js';
import { Random } from '../../src/util/random.js';
import { workloadFromYaml as workload } from '../helpers/workload.js';

function context(answer: (method: string, p: string, opts: CallOptions) => CallResult): RunContext {
  const client = { call: async (m: string, p: string, o: CallOptions = {}) => answer(m, p, o) } as unknown as KubeClient;
  return { client, runId: 'r', workload: 'w', namespaces: ['ns-0'], random: new Random(1), objects: new Map(), onLimiterWait: () => undefined, onCreateSent: () => undefined };
}

/** A tracker whose pods are what the test says, counted as PodTracker.counts counts them. */
function tracker(pods: Partial<PodRecord>[]): PodTracker {
  const counts = (phase?: string): ReturnType<PodTracker['counts']> => {
    const all = pods.filter((p) => phase === undefined || p.phase === phase);
    const live = all.filter((p) => !p.deletedSeen);
    const deleted = all.length - live.length;
    const current = { seen: live.length, scheduled: live.filter((p) => p.scheduledSeen).length, running: live.filter((p) => p.runningSeen).length, ready: live.filter((p) => p.readySeen).length, deleted };
    return { totals: { ...current, seen: all.length }, current };
  };
  return { counts } as unknown as PodTracker;
}

const ok = (): CallResult => ({ status: 201, body: '{}', headers: {} });

describe('runPhases', () => {
  it('runs phases in order, counting operations, and calls the hooks around each', async () => {
    const w = workload(`name: w\nphases:\n  - name: cms\n    create: {template: TEMPLATES/configmap.yaml, count: 4, vars: {payload: x}}\n  - name: nap\n    sleep: 10ms\n`);
    const events: string[] = [];
    const results = await runPhases(
      w,
      context(() => ok()),
      undefined,
      { onPhaseStart: async (p) => void events.push(`start ${p.name}`), onPhaseEnd: async (p, r) => void events.push(`end ${p.name} ${r.status}`) },
      new AbortController().signal,
      Date.now,
    );
    expect(events).toEqual(['start cms', 'end cms ok', 'start nap', 'end nap ok']);
    expect(results[0]!.operations).toEqual({ planned: 4, started: 4, succeeded: 4, failed: 0, skipped: 0 });
    expect(results[1]!.durationMs).toBeGreaterThanOrEqual(10);
  });

  it('counts refused operations with the first answer, and goes on', async () => {
    const w = workload(`name: w\nphases:\n  - name: cms\n    create: {template: TEMPLATES/configmap.yaml, count: 3, vars: {payload: x}}\n    workers: 1\n`);
    let n = 0;
    const results = await runPhases(w, context(() => (n++ === 1 ? { status: 403, body: '{"reason":"Forbidden","message":"no"}', headers: {} } : ok())), undefined, {}, new AbortController().signal, Date.now);
    expect(results[0]).toMatchObject({ status: 'ok', operations: { succeeded: 2, failed: 1, firstError: 'create ConfigMap ns-0/cms-1: 403 Forbidden: no' } });
  });

  it('a wait ends when the pods of its phase are in the state, and fails with the count when they are not in time', async () => {
    const w = workload(`name: w\nphases:\n  - name: pods\n    create: {template: TEMPLATES/pod.yaml, count: 2, vars: {image: p, cpu: 1m, memory: 1Mi}}\n  - name: up\n    wait: {for: running, from: pods, timeout: 1s}\n`);
    const running = tracker([
      { phase: 'pods', runningSeen: 1, deletedSeen: 0 },
      { phase: 'pods', runningSeen: 2, deletedSeen: 0 },
    ]);
    const good = await runPhases(w, context(() => ok()), running, {}, new AbortController().signal, Date.now);
    expect(good[1]).toMatchObject({ status: 'ok', wait: { for: 'running', target: 2, reached: 2 } });
    const half = tracker([
      { phase: 'pods', runningSeen: 1, deletedSeen: 0 },
      { phase: 'pods', runningSeen: 0, deletedSeen: 0 },
    ]);
    const bad = await runPhases(w, context(() => ok()), half, {}, new AbortController().signal, Date.now);
    expect(bad[1]).toMatchObject({ status: 'failed', error: 'phase up: waited 1s for pods to be running: 1 of 2 are' });
  });

  it('stops at an abort, marking the phase interrupted, and says why when the run stopped it', async () => {
    const w = workload(`name: w\nphases:\n  - name: a\n    sleep: 10s\n  - name: b\n    sleep: 10s\n`);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 20);
    const results = await runPhases(w, context(() => ok()), undefined, {}, ac.signal, Date.now);
    expect(results.map((r) => [r.name, r.status])).toEqual([['a', 'interrupted']]);
    const stop = new AbortController();
    const reason = new Error('the API server at https://x has not answered since then');
    reason.name = 'RunStop';
    setTimeout(() => stop.abort(reason), 20);
    const stopped = await runPhases(w, context(() => ok()), undefined, {}, stop.signal, Date.now);
    expect(stopped[0]).toMatchObject({ status: 'failed', error: reason.message });
  });
});
