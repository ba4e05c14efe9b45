import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { removeAfterExit } from '../util/child-life.js';
import { Random } from '../util/random.js';
import { TokenBucket } from '../util/token-bucket.js';
import { ApiServer } from './apiserver/apiserver.js';
import { SIM_KUBE_VERSION } from './apiserver/discovery.js';
import { DeploymentController } from './controllers/deployment-controller.js';
import { GarbageCollector } from './controllers/garbage-collector.js';
import { controlPlaneNodeName, LeaderLease } from './controllers/leader-lease.js';
import { NamespaceController } from './controllers/namespace-controller.js';
import { NamespaceDefaultController, namespaceDefaults } from './controllers/namespace-defaults.js';
import { ReplicaSetController } from './controllers/replicaset-controller.js';
import { SimHttpServer } from './http-server.js';
import { nodeIp, nodeName, podCidrBase } from './kubelet/node-objects.js';
import { NodeAgent } from './kubelet/node-agent.js';
import { PodLifecycle } from './kubelet/pod-lifecycle.js';
import { defaultPodStages, podStageErrors, type PodStageSpec } from './kubelet/pod-stages.js';
import { simKubeconfig, writeKubeconfig } from './kubeconfig.js';
import { LocalClient } from './local-client.js';
import { resolveSimOptions, type ResolvedSimOptions, type SimOptions } from './options.js';
import { Scheduler } from './scheduler/scheduler.js';
import type { StorageBackend } from './storage/backend.js';
import { EtcdThreadBackend } from './storage/etcd-thread.js';
import { EtcdProcess, findOnPath } from './storage/etcd-process.js';
import { MemoryBackend } from './storage/memory-backend.js';
import { generateServingCerts } from './tls.js';
import {
  APISERVER_LOOPBACK,
  KUBE_CONTROLLER_MANAGER,
  KUBE_SCHEDULER,
  nodeUser,
  serviceAccountUser,
  type UserInfo,
} from './apiserver/user-info.js';

export type { SimOptions, StorageMode } from './options.js';

/** The service account each kube-controller-manager controller runs as (by the sim's controller name). */
const CONTROLLER_SERVICE_ACCOUNTS: Readonly<Record<string, string>> = {
  namespace: 'namespace-controller',
  'garbage-collector': 'generic-garbage-collector',
  replicaset: 'replicaset-controller',
  deployment: 'deployment-controller',
  'serviceaccount-controller': 'service-account-controller',
  'root-ca-cert-publisher': 'root-ca-cert-publisher',
};
export { SIM_DEFAULTS } from './options.js';
export { defaultPodStages, type PodStageSpec } from './kubelet/pod-stages.js';

/** Every endpoint of a running sim, as written to `<kubeconfig>.sim.json`. */
export interface SimEndpoints {
  apiserver: string;
  /** kube-scheduler's metrics (HTTPS, the kubeconfig's CA and token). */
  scheduler: string;
  /** The same through the apiserver's pod proxy: namespace/pod:port. */
  schedulerPod: string;
  /** etcd's --listen-metrics-urls endpoint, when storage is etcd. */
  etcdMetrics?: string;
  /** The events etcd's metrics, with --events-etcd. */
  eventsEtcdMetrics?: string;
  storage: 'etcd' | 'memory';
  nodes: number;
}

export interface SimHandle {
  url: string;
  kubeconfigPath: string;
  /** `<kubeconfig>.sim.json`: every endpoint of the sim, for kbench's collectors. */
  discoveryPath: string;
  endpoints: SimEndpoints;
  token: string;
  caPem: string;
  storage: 'etcd' | 'memory';
  /** The settings the sim runs with, defaults applied. */
  options: Omit<ResolvedSimOptions, 'log'>;
  stop(): Promise<void>;
}

export class SimStartError extends Error {
  /** The sim's settings were wrong (exit code 2), not the machine. */
  constructor(
    message: string,
    readonly badInput = false,
  ) {
    super(message);
  }
}

/** Where the sim's discovery file for a kubeconfig lives: beside it, `<kubeconfig>.sim.json`. */
export function simDiscoveryPath(kubeconfigPath: string): string {
  return `${kubeconfigPath}.sim.json`;
}

/**
 * Starts the simulated control plane (storage, apiserver, controllers, scheduler, nodes and
 * kubelets) and resolves once it serves requests.
 */
/**
 * Internal errors (most often the storage gone) said once per kind of error, then counted:
 * a dead etcd fails every request, and a stack trace per request buried the log.
 */
class InternalErrorLog {
  readonly #seen = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly log: (line: string) => void) {}

  report(e: unknown): void {
    const message = (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 300);
    const n = this.#seen.get(message);
    if (n === undefined) {
      this.log(`internal error: ${message} (further errors like it are counted)`);
      this.#seen.set(message, 0);
      this.#timer ??= setInterval(() => this.#flush(), 10_000).unref();
    } else this.#seen.set(message, n + 1);
  }

  #flush(): void {
    for (const [message, n] of this.#seen) if (n > 0) this.log(`internal error, ${n} more in the last 10 s: ${message}`);
    this.#seen.clear();
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

export async function startSim(input: SimOptions = {}): Promise<SimHandle> {
  const o = resolveSimOptions(input);
  const log = o.log;
  let storage: 'etcd' | 'memory';
  if (o.storage === 'auto') {
    const found = o.etcdBinary ?? findOnPath('etcd');
    storage = found ? 'etcd' : 'memory';
    log(found ? `storage: etcd (${found})` : 'storage: memory (no etcd binary on PATH)');
  } else {
    storage = o.storage;
  }
  // A workload asks for a second etcd "when there is etcd": with memory storage Events are
  // kept in memory with everything else, so the same workload runs on either storage.
  if (o.eventsEtcd && storage !== 'etcd') log('--events-etcd has no effect with memory storage: Events stay in memory with everything else');

  // The pod lifecycle profile is checked before anything starts.
  const podStages = await resolvePodStages(o);

  const cleanups: (() => Promise<void> | void)[] = [];
  // Every component's client: closed first at stop, so work queued behind a rate limiter
  // (thousands of bindings behind --scheduler-qps) ends at once instead of keeping the
  // process alive for minutes while it fails against closed storage.
  let api!: ApiServer;
  const clients: LocalClient[] = [];
  const client = (component: string, user: UserInfo, limiter?: TokenBucket): LocalClient => {
    const c = new LocalClient(api, component, user, limiter);
    clients.push(c);
    return c;
  };
  let shuttingDown = false;
  const internalErrors = new InternalErrorLog(log);
  // What components report while they are being stopped is the stop, not news.
  const componentLog = (line: string): void => {
    if (!shuttingDown) log(line);
  };
  const cleanup = async (): Promise<void> => {
    shuttingDown = true;
    for (const c of clients) c.close();
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch {
        // keep going: every resource gets its chance to close
      }
    }
    cleanups.length = 0;
  };

  try {
    const ownsDir = o.dataDir === undefined;
    const dir = o.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'kbench-sim-')));
    // A sim killed outright (SIGKILL, the OOM killer) leaves no temp folder or kubeconfig
    // behind either; after a normal stop there is nothing left for it to remove.
    const leftovers = removeAfterExit();
    cleanups.push(() => leftovers.disarm());
    if (ownsDir) {
      leftovers.add(dir);
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
    } else await mkdir(dir, { recursive: true });

    const endpointsExtra: Partial<SimEndpoints> = {};
    const etcdBackend = async (name: string, sub: string): Promise<{ backend: EtcdThreadBackend; metrics: string }> => {
      // In the sim's folder, so that removing it removes etcd's data too.
      const proc = await EtcdProcess.start({ binary: o.etcdBinary, dataDir: path.join(dir, sub), name });
      cleanups.push(() => proc.stop());
      const backend = new EtcdThreadBackend(proc.clientUrl);
      cleanups.push(() => backend.close());
      // Compact to the revision seen one interval ago, as kube-apiserver does.
      let lastSeen = 0;
      const timer = setInterval(() => {
        void (async () => {
          const rev = await backend.currentRevision();
          if (lastSeen > 0) await backend.compact(lastSeen).catch(() => undefined);
          lastSeen = rev;
        })().catch(() => undefined);
      }, o.etcdCompactionIntervalMs);
      timer.unref();
      cleanups.push(() => clearInterval(timer));
      return { backend, metrics: `${proc.metricsUrl}/metrics` };
    };

    let main: StorageBackend;
    let events: StorageBackend | undefined;
    if (storage === 'etcd') {
      const m = await etcdBackend('kbench-sim', 'etcd');
      main = m.backend;
      endpointsExtra.etcdMetrics = m.metrics;
      if (o.eventsEtcd) {
        const e = await etcdBackend('kbench-sim-events', 'etcd-events');
        events = e.backend;
        endpointsExtra.eventsEtcdMetrics = e.metrics;
      }
    } else {
      main = new MemoryBackend();
      cleanups.push(() => main.close());
    }

    const certs = await generateServingCerts(o.host === '0.0.0.0' || o.host === '::' ? [] : [o.host]);
    const token = randomBytes(32).toString('base64url');
    api = new ApiServer(events ? { main, events } : { main }, {
      serverAddress: `${o.host}:${o.port}`,
      maxRequestsInflight: o.maxRequestsInflight,
      maxMutatingRequestsInflight: o.maxMutatingRequestsInflight,
      enablePriorityAndFairness: o.enablePriorityAndFairness,
      watchHistoryWindowMs: o.watchHistoryWindowMs,
      watchHistoryMax: o.watchHistoryMax,
      bookmarkIntervalMs: o.bookmarkIntervalMs,
      minRequestTimeoutSeconds: o.minRequestTimeoutSeconds,
      tooLargeRvWaitMs: 3000,
      addedLatencyMs: o.apiLatencyMs,
      seed: o.seed,
      // Components still finishing their work during shutdown find storage closed: not news.
      onInternalError: (e) => void (shuttingDown || internalErrors.report(e)),
    });
    cleanups.push(() => api.stop());
    await api.start();
    await bootstrapNamespaces(client('kbench-sim-bootstrap', APISERVER_LOOPBACK));

    const random = new Random(o.seed);
    const now = Date.now;

    // kube-controller-manager: every controller has its own client and rate limiter, and its
    // own service account (--use-service-account-credentials, as kubeadm runs it).
    const controllerClient = (name: string): LocalClient =>
      client(`kube-controller-manager/${name}`, serviceAccountUser('kube-system', CONTROLLER_SERVICE_ACCOUNTS[name] ?? name), new TokenBucket(o.controllerQps, o.controllerBurst));
    const namespaceController = new NamespaceController(controllerClient('namespace'), api.registry);
    const gc = new GarbageCollector(controllerClient('garbage-collector'), api.registry);
    const rsController = new ReplicaSetController(controllerClient('replicaset'), o.concurrentReplicasetSyncs, componentLog);
    const deployController = new DeploymentController(controllerClient('deployment'), o.concurrentDeploymentSyncs, now, componentLog);
    const kcmLease = new LeaderLease(client('kube-controller-manager', KUBE_CONTROLLER_MANAGER), 'kube-controller-manager', now);
    cleanups.push(
      () => namespaceController.stop(),
      () => gc.stop(),
      () => rsController.stop(),
      () => deployController.stop(),
      () => kcmLease.stop(),
    );
    // Every namespace's default ServiceAccount (pods are refused without it) and root CA.
    const defaults = namespaceDefaults(certs.caPem).map((d) => new NamespaceDefaultController(controllerClient(d.controller), d, componentLog));
    cleanups.push(...defaults.map((d) => () => d.stop()));
    await Promise.all([
      namespaceController.start(),
      gc.start(),
      rsController.start(),
      deployController.start(),
      kcmLease.start(),
      ...defaults.map((d) => d.start()),
    ]);

    // Nodes and their kubelets.
    // One engine for every kubelet; each node's requests carry that node's credentials.
    const kubeletClient = client('kubelet', nodeUser(controlPlaneNodeName()));
    const nodeAgent = new NodeAgent(kubeletClient, {
      count: o.nodes,
      shape: { cpu: o.nodeCpu, memory: o.nodeMemory, pods: o.nodePods },
      leaseIntervalMs: o.nodeLeaseIntervalMs,
      statusIntervalMs: o.nodeStatusIntervalMs,
      now,
      log: componentLog,
    });
    cleanups.push(() => nodeAgent.stop());
    await nodeAgent.start();
    const nodes = new Map<string, { ip: string; podPrefix: string }>();
    for (let i = 0; i < o.nodes; i++) nodes.set(nodeName(i), { ip: nodeIp(i), podPrefix: podCidrBase(i) });
    const pods = new PodLifecycle(kubeletClient, {
      nodes,
      stages: podStages,
      random: random.fork(),
      now,
      log: componentLog,
    });
    cleanups.push(() => pods.stop());
    await pods.start();

    // kube-scheduler.
    const schedulerLease = new LeaderLease(client('kube-scheduler', KUBE_SCHEDULER), 'kube-scheduler', now);
    const scheduler = new Scheduler(client('kube-scheduler', KUBE_SCHEDULER, new TokenBucket(o.schedulerQps, o.schedulerBurst)), client('kube-scheduler', KUBE_SCHEDULER, new TokenBucket(o.schedulerQps, o.schedulerBurst)), {
      instance: `default-scheduler-${schedulerLease.identity.split('_')[0]}`,
      random: random.fork(),
      now,
      log: componentLog,
      metrics: { host: o.host, certs, token },
      thread: o.schedulerThread,
    });
    cleanups.push(() => scheduler.stop(), () => schedulerLease.stop());
    await schedulerLease.start();
    await scheduler.start();
    const schedulerUrl = scheduler.metricsUrl;
    // The scheduler as a static pod's mirror, reachable through the apiserver's pod proxy
    // (kube-system/kube-scheduler-<node>:10259), as collectors find it on kubeadm clusters.
    const schedulerPod = await mirrorPod(kubeletClient, `kube-scheduler-${controlPlaneNodeName()}`, 'kube-scheduler');
    api.setProxyTarget('kube-system', schedulerPod, 10259, {
      scheme: 'https',
      fetch: async (p) =>
        p === '/metrics'
          ? { status: 200, ...(await scheduler.metrics()) }
          : { status: 404, contentType: 'text/plain; charset=utf-8', body: '404 page not found\n' },
    });

    const http = new SimHttpServer(api, { host: o.host, port: o.port, token, certs });
    const url = await http.listen();
    cleanups.push(() => http.close());
    api.options.serverAddress = url.replace('https://', '');

    const kubeconfigPath = path.resolve(o.kubeconfigOut ?? path.join(dir, 'kubeconfig'));
    await refuseForeignKubeconfig(kubeconfigPath);
    await writeKubeconfig(kubeconfigPath, simKubeconfig(url, certs.caPem, token));
    const discoveryPath = simDiscoveryPath(kubeconfigPath);
    // Both files describe a server that is gone after stop.
    cleanups.push(() => rm(kubeconfigPath, { force: true }), () => rm(discoveryPath, { force: true }));
    leftovers.add(kubeconfigPath);
    leftovers.add(discoveryPath);
    const endpoints: SimEndpoints = {
      apiserver: url,
      scheduler: schedulerUrl,
      schedulerPod: `kube-system/${schedulerPod}:10259`,
      ...endpointsExtra,
      storage,
      nodes: o.nodes,
    };
    await writeFile(discoveryPath, JSON.stringify(endpoints, null, 2) + '\n');

    const { log: _log, ...settings } = o;
    let stopping: Promise<void> | undefined;
    return {
      url,
      kubeconfigPath,
      discoveryPath,
      endpoints,
      token,
      caPem: certs.caPem,
      storage,
      options: { ...settings, storage },
      stop: () => (stopping ??= cleanup()),
    };
  } catch (e) {
    await cleanup();
    if (e instanceof SimStartError) throw e;
    if (e instanceof Error) throw new SimStartError(e.message);
    throw e;
  }
}

/** --kubeconfig-out never overwrites a kubeconfig that is not one of the sim's own. */
async function refuseForeignKubeconfig(file: string): Promise<void> {
  let existing: string;
  try {
    existing = await readFile(file, 'utf8');
  } catch {
    return;
  }
  if (!existing.includes('current-context: kbench-sim')) {
    throw new SimStartError(
      `refusing to overwrite ${file} (--kubeconfig-out): it exists and is not a kubeconfig written by kbench sim. Choose another path.`,
      true,
    );
  }
}

/** A running mirror pod for a control-plane component, as the kubelet makes for static pods. */
async function mirrorPod(client: LocalClient, name: string, component: string): Promise<string> {
  const path = `/api/v1/namespaces/kube-system/pods/${name}`;
  try {
    await client.create('/api/v1/namespaces/kube-system/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: 'kube-system',
        labels: { component, tier: 'control-plane' },
        annotations: { 'kubernetes.io/config.mirror': 'kbench-sim', 'kubernetes.io/config.source': 'file' },
      },
      spec: {
        nodeName: controlPlaneNodeName(),
        priorityClassName: 'system-node-critical',
        containers: [{ name: component, image: `registry.k8s.io/${component}:${SIM_KUBE_VERSION.gitVersion.split('-')[0]}` }],
      },
    });
  } catch (e) {
    if (!(e instanceof Error && 'code' in e && (e as { code: number }).code === 409)) throw e;
  }
  // What the kubelet reports for a healthy static pod, so `kubectl get pods` shows 1/1 Ready.
  const now = new Date().toISOString();
  const image = `registry.k8s.io/${component}:${SIM_KUBE_VERSION.gitVersion.split('-')[0]}`;
  await client.patch(`${path}/status`, {
    status: {
      phase: 'Running',
      podIP: '127.0.0.1',
      hostIP: '127.0.0.1',
      startTime: now,
      conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({
        type,
        status: 'True',
        lastTransitionTime: now,
      })),
      containerStatuses: [
        { name: component, image, imageID: image, ready: true, started: true, restartCount: 0, state: { running: { startedAt: now } } },
      ],
    },
  });
  return name;
}

/** The namespaces every cluster starts with. */
async function bootstrapNamespaces(client: LocalClient): Promise<void> {
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    try {
      await client.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    } catch (e) {
      // Already there when the sim reuses a data dir.
      if (!(e instanceof Error && 'code' in e && (e as { code: number }).code === 409)) throw e;
    }
  }
}

/** The profile the kubelets run: the given stages (or file), else the default profile from the settings. */
async function resolvePodStages(o: ResolvedSimOptions): Promise<PodStageSpec[]> {
  if (o.podStages === undefined) {
    return defaultPodStages({
      startupDelayMs: o.podStartupDelayMs,
      startupJitterMs: o.podStartupJitterMs,
      terminationDelayMs: o.podTerminationDelayMs,
      kubeletEvents: o.kubeletEvents,
    });
  }
  let stages: unknown = o.podStages;
  let where = 'podStages';
  if (typeof o.podStages === 'string') {
    where = o.podStages;
    let text: string;
    try {
      text = await readFile(o.podStages, 'utf8');
    } catch (e) {
      throw new SimStartError(`podStages: cannot read ${o.podStages}: ${(e as Error).message}`, true);
    }
    try {
      stages = parseYaml(text);
    } catch (e) {
      throw new SimStartError(`podStages: ${o.podStages} is not YAML or JSON: ${(e as Error).message}`, true);
    }
  }
  const errors = podStageErrors(stages);
  if (errors.length > 0) throw new SimStartError(`invalid pod stages in ${where}: ${errors.join('; ')}`, true);
  return stages as PodStageSpec[];
}
