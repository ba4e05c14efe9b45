import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { requiredVersion } from '../../src/localcluster/binary-cache.js';
import { componentArgs, schedulerConfig } from '../../src/localcluster/component-args.js';
import { goVersionAtLeast, parseGoVersion, requiredGo } from '../../src/localcluster/go-toolchain.js';
import { kwokConfig, stageDelays } from '../../src/localcluster/kwok-stages.js';
import { LocalClusterInputError, localSettingsOrThrow, parseComponentFlags } from '../../src/localcluster/launch.js';
import { clusterLayout } from '../../src/localcluster/layout.js';
import { counterpart, LOCAL_DEFAULTS, resolveLocalSettings, settingFlags } from '../../src/localcluster/settings.js';
import { SIM_SETTINGS, WORKLOAD_SIM_KEYS } from '../../src/spec/sim-settings.js';

const ports = { etcd: { client: 1, peer: 2, metrics: 3 }, apiserver: 4, scheduler: 5, controllerManager: 6 };

describe('sim settings on a real control plane', () => {
  it("applies every setting the sim-settings table names a real flag for, and says why for each other one", () => {
    for (const key of WORKLOAD_SIM_KEYS) {
      const c = counterpart(key);
      if ('real' in SIM_SETTINGS[key]) expect({ key, applied: !('none' in c) }).toEqual({ key, applied: true });
      if ('none' in c) expect({ key, why: c.none }).not.toEqual({ key, why: 'no real component has a flag for it' });
    }
    expect(settingFlags().map((f) => f.key)).toEqual(expect.arrayContaining(['nodes', 'maxRequestsInflight', 'enablePriorityAndFairness', 'schedulerQps', 'podStartupDelay']));
    expect(settingFlags().map((f) => f.key)).not.toContain('seed');
  });

  it("takes the fake kubelets' defaults from the sim's", () => {
    expect(LOCAL_DEFAULTS).toMatchObject({ nodes: 100, nodeCpu: '4', nodeMemory: '16Gi', nodePods: 40, nodeLeaseDurationS: 40, nodeStatusIntervalMs: 300_000, podStartupDelayMs: 800, podStartupJitterMs: 400, podTerminationDelayMs: 200, eventsEtcd: false });
  });

  it('applies the real kubelet and apiserver flags of the table on kwok and the command line', () => {
    const r = resolveLocalSettings({ nodePods: 110, nodeStatusInterval: '1m', enablePriorityAndFairness: false, minRequestTimeout: 60 });
    expect(r.problems).toEqual([]);
    expect(r.settings.nodePods).toBe(110);
    expect(r.settings.nodeStatusIntervalMs).toBe(60_000);
    expect(r.settings.flags['kube-apiserver']).toEqual(['--enable-priority-and-fairness=false', '--min-request-timeout=60']);
    expect(r.applied.find((a) => a.key === 'nodePods')?.real).toMatch(/^kubelet --max-pods: /);
    expect(resolveLocalSettings({ nodes: -1 }, 'w.yaml: sim').problems[0]?.message).toMatch(/^w\.yaml: sim\.nodes: must be a whole number of at least 0/);
  });

  it('maps the smoke workload settings to flags, the scheduler config and kwok', () => {
    const r = resolveLocalSettings({ nodes: 20, podStartupDelay: '800ms', podStartupJitter: '400ms', schedulerQps: 200, schedulerBurst: 400, controllerQps: 200, controllerBurst: 400, maxRequestsInflight: 800, concurrentReplicasetSyncs: 10 });
    expect(r.problems).toEqual([]);
    expect(r.settings.nodes).toBe(20);
    expect(r.settings.schedulerQps).toBe(200);
    expect(r.settings.flags['kube-controller-manager']).toEqual(['--kube-api-qps=200', '--kube-api-burst=400', '--concurrent-replicaset-syncs=10']);
    expect(r.settings.flags['kube-apiserver']).toEqual(['--max-requests-inflight=800']);
    const args = componentArgs(clusterLayout('/d'), ports, r.settings);
    expect(args['kube-apiserver']).toContain('--max-requests-inflight=800');
    expect(args['kube-controller-manager']).toContain('--kube-api-qps=200');
    expect(schedulerConfig(clusterLayout('/d'), r.settings)).toMatchObject({ clientConnection: { qps: 200, burst: 400 } });
    expect(stageDelays(r.settings)['pod-ready']).toEqual({ durationMilliseconds: 400, jitterDurationMilliseconds: 1200 });
    expect(r.applied.map((a) => a.key)).toContain('podStartupDelay');
  });

  it('refuses settings with no real counterpart, naming each, and accepts values that are real anyway', () => {
    const r = resolveLocalSettings({ bookmarkInterval: '5s', storage: 'memory', watchHistoryWindow: '1m', kubeletEvents: true, podStages: 'stages.yaml' }, 'smoke.yaml: sim');
    expect(r.problems.map((p) => p.key).sort()).toEqual(['bookmarkInterval', 'kubeletEvents', 'podStages', 'storage', 'watchHistoryWindow']);
    expect(r.problems[0]!.message).toMatch(/^smoke\.yaml: sim\.bookmarkInterval: has no counterpart on a real control plane/);
    expect(resolveLocalSettings({ storage: 'etcd', kubeletEvents: false }).problems).toEqual([]);
    expect(() => localSettingsOrThrow({ seed: 3 }, 'sim')).toThrow(LocalClusterInputError);
  });

  it('turns the node lease interval into kwok lease duration and a second etcd into an override', () => {
    const r = resolveLocalSettings({ nodeLeaseInterval: '10s', eventsEtcd: true });
    expect(r.settings.nodeLeaseDurationS).toBe(40);
    const args = componentArgs(clusterLayout('/d'), { ...ports, eventsEtcd: { client: 7, peer: 8, metrics: 9 } }, r.settings);
    expect(args['kube-apiserver']).toContain('--etcd-servers-overrides=/events#http://127.0.0.1:7');
    expect(args['etcd-events']).toContain('--listen-metrics-urls=http://127.0.0.1:9');
    expect(args.kwok).toContain('--node-lease-duration-seconds=40');
  });

  it('appends --component-flag flags last and rejects malformed ones', () => {
    const extra = parseComponentFlags(['kube-apiserver=--v=2', 'kwok=--v=debug']);
    const args = componentArgs(clusterLayout('/d'), ports, { ...LOCAL_DEFAULTS, flags: {} }, extra);
    expect(args['kube-apiserver']!.at(-1)).toBe('--v=2');
    expect(() => parseComponentFlags(['kubelet=--v=2'])).toThrow(/component one of/);
    expect(() => parseComponentFlags(['kube-apiserver'])).toThrow(LocalClusterInputError);
  });
});

describe('kwok stages', () => {
  it("sets kbench's delays on the published stages and keeps the rest", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kbench-stages-'));
    const stage = (name: string, extra = ''): string => `apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Stage\nmetadata:\n  name: ${name}\nspec:\n  resourceRef: {apiGroup: v1, kind: Pod}\n${extra}  next: {delete: true}\n`;
    writeFileSync(path.join(dir, 'pod-ready.yaml'), stage('pod-ready'));
    writeFileSync(path.join(dir, 'pod-delete.yaml'), stage('pod-delete'));
    writeFileSync(path.join(dir, 'pod-complete.yaml'), stage('pod-complete', '  delay: {durationMilliseconds: 7}\n'));
    writeFileSync(path.join(dir, 'node-initialize.yaml'), stage('node-initialize'));
    writeFileSync(path.join(dir, 'node-heartbeat-with-lease.yaml'), stage('node-heartbeat-with-lease'));
    const text = await kwokConfig(dir, { ...LOCAL_DEFAULTS, podStartupDelayMs: 2000, podStartupJitterMs: 3000, flags: {} });
    rmSync(dir, { recursive: true, force: true });
    const [config, ...docs] = parseAllDocuments(text).map((d) => d.toJS() as { kind: string; options: unknown; metadata: { name: string }; spec: { delay?: unknown; next: unknown } });
    expect(config).toMatchObject({ kind: 'KwokConfiguration', options: { podPlayStageParallelism: 32 } });
    const by = Object.fromEntries(docs.map((d) => [d.metadata.name, d]));
    expect(by['pod-ready']!.spec.delay).toEqual({ durationMilliseconds: 0, jitterDurationMilliseconds: 5000 });
    expect(by['pod-complete']!.spec.delay).toEqual({ durationMilliseconds: 7 });
    expect(by['node-heartbeat-with-lease']!.spec.delay).toEqual({ durationMilliseconds: 300_000, jitterDurationMilliseconds: 330_000 });
    expect(by['pod-delete']!.spec.next).toEqual({ delete: true });
    expect(parse(text.split('---\n')[1]!)).toHaveProperty('kind', 'Stage');
  });
});

describe('Go and the pinned modules', () => {
  it('compares Go versions and reads go.mod', () => {
    expect(parseGoVersion('go1.26.8')).toEqual([1, 26, 8]);
    expect(parseGoVersion('devel')).toBeUndefined();
    expect(goVersionAtLeast('go1.26.0', '1.26.0')).toBe(true);
    expect(goVersionAtLeast('go1.25.9', '1.26.0')).toBe(false);
    expect(goVersionAtLeast('go1.27rc1', '1.26.0')).toBe(true);
    const mod = 'module x\n\ngo 1.26.0\n\nrequire (\n\tk8s.io/kubernetes v1.37.2\n\tgo.etcd.io/etcd/server/v3 v3.7.0 // indirect\n)\nrequire sigs.k8s.io/kwok v0.8.0\n';
    expect(requiredGo(mod)).toBe('1.26.0');
    expect(requiredVersion(mod, 'k8s.io/kubernetes')).toBe('v1.37.2');
    expect(requiredVersion(mod, 'go.etcd.io/etcd/server/v3')).toBe('v3.7.0');
    expect(requiredVersion(mod, 'sigs.k8s.io/kwok')).toBe('v0.8.0');
    expect(requiredVersion(mod, 'k8s.io/api')).toBeUndefined();
  });
});
