import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultPodStages, podStageErrors, type PodStageSpec } from '../../src/sim/kubelet/pod-stages.js';
import type { KubeletPod } from '../../src/sim/kubelet/pod-status.js';
import { type PodWriter, StageEngine } from '../../src/sim/kubelet/stage-engine.js';
import { SimStartError, startSim } from '../../src/sim/index.js';
import { Random } from '../../src/util/random.js';
import { eventually, startTestSim } from '../helpers/sim-fixture.js';

/** The pod lifecycle as data, run by one engine, checked against golden traces with a fixed clock. */

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

function pod(name: string, extra: Partial<KubeletPod> = {}): KubeletPod {
  return {
    key: `ns/${name}`,
    namespace: 'ns',
    name,
    uid: `uid-${name}`,
    node: 'sim-node-0000',
    containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.9' }],
    labels: {},
    annotations: {},
    qosClass: 'Guaranteed',
    state: 'bound',
    boundAt: Date.now(),
    hostIp: '10.0.0.1',
    podIp: '10.1.0.2',
    containerIds: ['c0ffee'],
    conditions: new Map(),
    ...extra,
  };
}

/** Records what the engine writes, with the (fake) time of each write since T0. */
function recorder(): { writer: PodWriter; trace: unknown[] } {
  const trace: unknown[] = [];
  const at = (): number => Date.now() - T0;
  return {
    trace,
    writer: {
      status: async (p, status) => void trace.push({ at: at(), pod: p.name, write: 'status', status }),
      remove: async (p) => void trace.push({ at: at(), pod: p.name, write: 'delete' }),
      event: async (p, ev) => void trace.push({ at: at(), pod: p.name, write: 'event', type: ev.type, reason: ev.reason, message: ev.message }),
    },
  };
}

function engine(stages: PodStageSpec[], writer: PodWriter, seed = 1): StageEngine {
  return new StageEngine(writer, { stages, random: new Random(seed), now: () => Date.now(), log: () => undefined });
}

const params = { startupDelayMs: 800, startupJitterMs: 400, terminationDelayMs: 200, kubeletEvents: true };

describe('pod stages (fixed clock)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('walks a pod through the default profile: accepted, Running, stopped and removed', async () => {
    vi.useFakeTimers({ now: T0 });
    const { writer, trace } = recorder();
    // A startup delay long enough to show which conditions change second by second.
    const e = engine(defaultPodStages({ ...params, startupDelayMs: 2500 }), writer);
    const p = pod('web');
    e.add(p);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(p.state).toBe('running');
    p.graceSeconds = 5;
    e.enter(p, 'terminating');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(e.size).toBe(0);
    await expect(JSON.stringify(trace, null, 2) + '\n').toMatchFileSnapshot('./golden/pod-stages-default.json');
  });

  it("takes a pod's startup delay from its annotations", async () => {
    vi.useFakeTimers({ now: T0 });
    const { writer, trace } = recorder();
    const e = engine(defaultPodStages({ ...params, kubeletEvents: false }), writer);
    e.add(pod('slow', { annotations: { 'kbench.io/startup-delay': '3s', 'kbench.io/startup-jitter': '0s' } }));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(trace.map((t) => (t as { at: number }).at)).toEqual([50, 3000]);
  });

  it('describes an image-pull failure rate as a competing stage with a small weight', async () => {
    vi.useFakeTimers({ now: T0 });
    const stages = [
      ...defaultPodStages({ ...params, kubeletEvents: false }),
      {
        name: 'image-pull-fails',
        selector: { state: 'creating' },
        weight: 0.25,
        delay: { duration: '2s' },
        next: {
          state: 'image-pull-backoff',
          status: { phase: 'Pending', conditions: { Ready: 'False', ContainersReady: 'False' }, containers: { state: 'waiting', reason: 'ErrImagePull', message: 'failed to pull "{{image}}"' } },
          events: [{ type: 'Warning', reason: 'Failed', message: 'Failed to pull image "{{image}}"' }],
        },
      },
    ] satisfies PodStageSpec[];
    stages[1]!.weight = 0.75;
    const { writer, trace } = recorder();
    const e = engine(stages, writer, 7);
    for (let i = 0; i < 400; i++) e.add(pod(`p${i}`));
    await vi.advanceTimersByTimeAsync(5_000);
    const states = e.counts();
    // Seed 7: the same split every run; about a quarter fail to pull.
    expect(states).toEqual({ running: 293, 'image-pull-backoff': 107 });
    expect(states['image-pull-backoff']! / 400).toBeCloseTo(0.25, 1);
    const failed = trace.find((t) => (t as { write: string }).write === 'event') as { reason: string; message: string };
    expect(failed).toMatchObject({ reason: 'Failed', message: 'Failed to pull image "registry.k8s.io/pause:3.9"' });
  });

  it.each<[string, unknown, string[]]>([
    ['not a list', { name: 'x' }, ['podStages must be a list of stages']],
    ['a stage without state', [{ name: 'a', selector: {}, next: { state: 'b' } }], ['podStages[0].selector.state: required']],
    ['a bad delay', [{ name: 'a', selector: { state: 'bound' }, delay: { duration: 'soon' }, next: { state: 'b' } }], ['podStages[0].delay.duration: invalid duration "soon" (use forms like 800ms, 5s, 2m, 1h30m)']],
    ['no next state', [{ name: 'a', selector: { state: 'bound' }, next: {} }], ['podStages[0].next.state: required unless next.delete is true']],
    ['a twice-used name and a zero weight', [{ name: 'a', selector: { state: 'x' }, next: { delete: true } }, { name: 'a', weight: 0, selector: { state: 'y' }, next: { delete: true } }], ['podStages[1].name: "a" is used twice', 'podStages[1].weight: must be a number above 0']],
  ])('refuses %s', (_what, stages, errors) => {
    expect(podStageErrors(stages)).toEqual(errors);
  });
});

describe('pod stages in the sim', () => {
  it('runs a profile given as data, and refuses a bad one before starting', async () => {
    const stages: PodStageSpec[] = [
      ...defaultPodStages({ startupDelayMs: 100, startupJitterMs: 0, terminationDelayMs: 50, kubeletEvents: false }),
      {
        name: 'pull-fails',
        selector: { state: 'creating', matchLabels: { image: 'missing' } },
        weight: 1_000_000,
        next: { state: 'backoff', status: { phase: 'Pending', conditions: { Ready: 'False' }, containers: { state: 'waiting', reason: 'ImagePullBackOff', message: 'Back-off pulling image "{{image}}"' } } },
      },
    ];
    const t = await startTestSim({ storage: 'memory', nodes: 1, podStages: stages });
    try {
      const c = t.client;
      await eventually(() => c.post('/api/v1/namespaces/default/pods', { metadata: { name: 'ok' }, spec: { containers: [{ name: 'c', image: 'pause' }] } }), (r) => r.status === 201, 15_000, 'a pod');
      await c.post('/api/v1/namespaces/default/pods', { metadata: { name: 'bad', labels: { image: 'missing' } }, spec: { containers: [{ name: 'c', image: 'nope:1' }] } });
      await eventually(() => c.get('/api/v1/namespaces/default/pods/ok'), (r) => r.body.status?.phase === 'Running', 15_000, 'ok to run');
      const bad = await eventually(() => c.get('/api/v1/namespaces/default/pods/bad'), (r) => r.body.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff', 15_000, 'bad to back off');
      expect(bad.body.status.containerStatuses[0].state.waiting.message).toBe('Back-off pulling image "nope:1"');
      expect(bad.body.status.phase).toBe('Pending');
    } finally {
      await t.stop();
    }

    const dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-stages-'));
    try {
      const file = path.join(dir, 'stages.yaml');
      await writeFile(file, '- name: run\n  selector: {state: bound}\n  delay: {duration: later}\n  next: {state: running}\n');
      const err = await startSim({ storage: 'memory', nodes: 0, podStages: file }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SimStartError);
      expect((err as SimStartError).badInput).toBe(true);
      expect((err as Error).message).toBe(`invalid pod stages in ${file}: podStages[0].delay.duration: invalid duration "later" (use forms like 800ms, 5s, 2m, 1h30m)`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
