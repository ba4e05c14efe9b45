import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KubeClient } from '../cluster/kube-client.js';
import { connect } from '../cluster/target.js';
import { freePort } from '../util/free-port.js';
import { binaryPath, type BuildRecord, type ComponentCache } from './binary-cache.js';
import { writeComponentConfigs, writePki } from './cluster-files.js';
import { componentArgs, type ProcessName } from './component-args.js';
import { ComponentFailedError, ComponentProcess } from './component-process.js';
import type { ComponentName } from './components.js';
import { createFakeNodes, readyFakeNodes } from './fake-nodes.js';
import { allPorts, type ClusterLayout, clusterLayout, type ClusterPorts } from './layout.js';
import { bootstrapAccess } from './bootstrap-access.js';
import type { LocalSettings } from './settings.js';
import { waitReady } from './wait-ready.js';

/** Every endpoint of a running local control plane, written beside its kubeconfig (the sim's discovery form). */
export interface LocalEndpoints {
  kind: 'local-cluster';
  apiserver: string;
  scheduler: string;
  controllerManager: string;
  etcdMetrics: string;
  eventsEtcdMetrics?: string;
  storage: 'etcd';
  nodes: number;
  /** The CA of the apiserver, scheduler and controller-manager serving certificates. */
  caFile: string;
  /** A bound ServiceAccount token allowed GET /metrics (never the token itself: this file is copied into result sets). */
  metricsTokenFile: string;
  versions: BuildRecord['versions'];
  /** Every loopback port the components listen on. */
  ports: number[];
  /** The `kbench cluster up` (or run) process that owns the cluster. */
  pid: number;
}

/** Where the endpoints of a local control plane are written: `<kubeconfig>.endpoints.json`. */
export function endpointsPath(kubeconfig: string): string {
  return `${kubeconfig}.endpoints.json`;
}

export interface LocalClusterOptions {
  settings: LocalSettings;
  components: { cache: ComponentCache; record: BuildRecord };
  /** Keep everything (etcd data, PKI, logs) here; default a temp dir removed at stop. */
  dataDir?: string;
  /** Where the admin kubeconfig goes (default `<dir>/kubeconfig`). */
  kubeconfigOut?: string;
  /** Flags appended to a component's command line (`--component-flag kube-apiserver=--v=2`). */
  extraFlags?: Partial<Record<ProcessName, string[]>>;
  log(line: string): void;
  signal?: AbortSignal;
  /** Per step: a component's health, all nodes Ready. @default 180000 */
  stepTimeoutMs?: number;
  /** Called before anything is written, with the files the cluster's stop removes (the folder only without --data-dir). */
  onFiles?(paths: string[]): void;
  /** Called with each process as it starts, so a caller can record it for `cluster down`. */
  onProcess?(p: { name: ProcessName; pid: number; binary: string }, all: { dir: string; kubeconfig: string; endpointsFile: string }): void;
}

export interface LocalCluster {
  dir: string;
  kubeconfig: string;
  endpointsFile: string;
  endpoints: LocalEndpoints;
  processes: { name: ProcessName; pid: number }[];
  /** Resolves with the first component to exit while the cluster runs. */
  failed: Promise<ComponentFailedError>;
  stop(): Promise<void>;
}

const BINARY: Record<ProcessName, ComponentName> = {
  etcd: 'etcd',
  'etcd-events': 'etcd',
  'kube-apiserver': 'kube-apiserver',
  'kube-controller-manager': 'kube-controller-manager',
  'kube-scheduler': 'kube-scheduler',
  kwok: 'kwok',
};

async function distinctPorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

async function choosePorts(eventsEtcd: boolean): Promise<ClusterPorts> {
  const p = await distinctPorts(eventsEtcd ? 9 : 6);
  return {
    etcd: { client: p[0]!, peer: p[1]!, metrics: p[2]! },
    apiserver: p[3]!,
    scheduler: p[4]!,
    controllerManager: p[5]!,
    ...(eventsEtcd ? { eventsEtcd: { client: p[6]!, peer: p[7]!, metrics: p[8]! } } : {}),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Starts a real control plane on loopback, as kwokctl's binary runtime does: etcd, then
 * kube-apiserver, then kube-controller-manager and kube-scheduler, then kwok with its fake
 * nodes; waits for each to be healthy and for every node to be Ready. A component that
 * fails ends the start with its last log lines, everything started so far stopped and
 * (without --data-dir) every file removed.
 */
export async function startLocalCluster(o: LocalClusterOptions): Promise<LocalCluster> {
  const s = o.settings;
  const stepMs = o.stepTimeoutMs ?? 180_000;
  const keep = !!o.dataDir;
  const dir = o.dataDir ? path.resolve(o.dataDir) : await mkdtemp(path.join(os.tmpdir(), 'kbench-cluster-'));
  const l: ClusterLayout = clusterLayout(dir);
  const kubeconfig = path.resolve(o.kubeconfigOut ?? path.join(dir, 'kubeconfig'));
  const endpointsFile = endpointsPath(kubeconfig);
  o.onFiles?.(keep ? [kubeconfig, endpointsFile] : [dir, kubeconfig, endpointsFile]);
  const procs: { name: ProcessName; proc: ComponentProcess }[] = [];
  let client: KubeClient | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await client?.close();
      // Reverse order: kwok and the controllers first, etcd last, so nothing writes to a stopped store.
      for (const { proc } of [...procs].reverse()) await proc.stop();
      await rm(kubeconfig, { force: true });
      await rm(endpointsFile, { force: true });
      if (!keep) await rm(dir, { recursive: true, force: true });
    })());

  try {
    await mkdir(l.logDir, { recursive: true, mode: 0o700 });
    const ports = await choosePorts(s.eventsEtcd);
    const apiserverUrl = `https://127.0.0.1:${ports.apiserver}`;
    const creds = await writePki(l, apiserverUrl);
    await writeComponentConfigs(l, s, o.components.cache.stagesDir);
    const args = componentArgs(l, ports, s, o.extraFlags);
    const start = (name: ProcessName): ComponentProcess => {
      if (o.signal?.aborted) throw new Error('interrupted');
      const binary = binaryPath(o.components.cache, BINARY[name]);
      const proc = ComponentProcess.start(name, binary, args[name] ?? [], path.join(l.logDir, `${name}.log`));
      procs.push({ name, proc });
      o.onProcess?.({ name, pid: proc.pid, binary }, { dir, kubeconfig, endpointsFile });
      o.log(`started ${name} (pid ${proc.pid}), log ${path.join(l.logDir, `${name}.log`)}`);
      return proc;
    };
    const caPem = creds.caPem;

    const etcd = start('etcd');
    const events = ports.eventsEtcd ? start('etcd-events') : undefined;
    await waitReady(etcd, { url: `http://127.0.0.1:${ports.etcd.metrics}/health` }, stepMs, o.signal);
    if (events && ports.eventsEtcd) await waitReady(events, { url: `http://127.0.0.1:${ports.eventsEtcd.metrics}/health` }, stepMs, o.signal);

    const apiserver = start('kube-apiserver');
    await waitReady(apiserver, { url: `${apiserverUrl}/readyz`, ca: caPem, cert: creds.superAdmin.certPem, key: creds.superAdmin.keyPem }, stepMs, o.signal);
    o.log('kube-apiserver is ready');

    const kcm = start('kube-controller-manager');
    const sched = start('kube-scheduler');
    await waitReady(kcm, { url: `https://127.0.0.1:${ports.controllerManager}/healthz`, ca: caPem }, stepMs, o.signal);
    await waitReady(sched, { url: `https://127.0.0.1:${ports.scheduler}/healthz`, ca: caPem }, stepMs, o.signal);

    client = new KubeClient(await connect({ kind: 'kubeconfig', file: l.kubeconfigs.superAdmin, source: 'flag' }), { timeoutMs: 30_000 });
    const token = await bootstrapAccess(client, Date.now() + stepMs);
    await writeFile(l.metricsToken, token + '\n', { mode: 0o600 });

    const kwok = start('kwok');
    o.log(`creating ${s.nodes} fake nodes (${s.nodeCpu} CPU, ${s.nodeMemory}, ${s.nodePods} pods each)`);
    await createFakeNodes(client, s, o.signal);
    // Thousands of nodes take minutes on a loaded machine: give up only when none turns Ready for a whole step.
    let progressAt = Date.now();
    let last = { total: 0, ready: 0 };
    let said = 0;
    for (;;) {
      const dead = procs.find((p) => p.proc.status);
      if (dead) throw await dead.proc.failure('while the nodes were registering');
      if (o.signal?.aborted) throw new Error('interrupted');
      const now = await readyFakeNodes(client);
      if (now.ready > last.ready) progressAt = Date.now();
      last = now;
      if (last.ready >= s.nodes) break;
      if (Date.now() - progressAt > stepMs) {
        throw new ComponentFailedError('kwok', `only ${last.ready} of ${s.nodes} nodes were Ready, and none more for ${Math.round(stepMs / 1000)} s`, await kwok.lastLogLines(), kwok.logFile);
      }
      if (Date.now() - said > 10_000) {
        o.log(`${last.ready} of ${s.nodes} nodes Ready`);
        said = Date.now();
      }
      await sleep(s.nodes > 1000 ? 2000 : 500);
    }
    const deadline = Date.now() + stepMs;
    // Pods cannot be created in a namespace before its default ServiceAccount exists (the
    // ServiceAccount admission plugin refuses them): `default`'s is part of being ready.
    for (;;) {
      const res = await client.call('GET', '/api/v1/namespaces/default/serviceaccounts/default', { retry: false });
      if (res.status === 200) break;
      if (Date.now() > deadline) throw new ComponentFailedError('kube-controller-manager', 'the default ServiceAccount was not created in time', await kcm.lastLogLines(), kcm.logFile);
      await sleep(250);
    }
    await writeFile(kubeconfig, await readFile(l.kubeconfigs.admin, 'utf8'), { mode: 0o600 });
    const endpoints: LocalEndpoints = {
      kind: 'local-cluster',
      apiserver: apiserverUrl,
      scheduler: `https://127.0.0.1:${ports.scheduler}/metrics`,
      controllerManager: `https://127.0.0.1:${ports.controllerManager}/metrics`,
      etcdMetrics: `http://127.0.0.1:${ports.etcd.metrics}/metrics`,
      ...(ports.eventsEtcd ? { eventsEtcdMetrics: `http://127.0.0.1:${ports.eventsEtcd.metrics}/metrics` } : {}),
      storage: 'etcd',
      nodes: s.nodes,
      caFile: l.ca,
      metricsTokenFile: l.metricsToken,
      versions: o.components.record.versions,
      ports: allPorts(ports),
      pid: process.pid,
    };
    await writeFile(endpointsFile, JSON.stringify(endpoints, null, 2) + '\n');
    const failed = new Promise<ComponentFailedError>((resolve) => {
      for (const { proc } of procs) void proc.exited.then(async () => {
        if (!stopping) resolve(await proc.failure('while the cluster was running'));
      });
    });
    return { dir, kubeconfig, endpointsFile, endpoints, processes: procs.map((p) => ({ name: p.name, pid: p.proc.pid })), failed, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
