import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApiServer, DEFAULT_API_OPTIONS } from './apiserver/apiserver.js';
import { GarbageCollector } from './controllers/garbage-collector.js';
import { NamespaceController } from './controllers/namespace-controller.js';
import { simKubeconfig, writeKubeconfig } from './kubeconfig.js';
import { LocalClient } from './local-client.js';
import { SimHttpServer } from './http-server.js';
import type { StorageBackend } from './storage/backend.js';
import { EtcdBackend } from './storage/etcd-backend.js';
import { EtcdProcess, findOnPath } from './storage/etcd-process.js';
import { MemoryBackend } from './storage/memory-backend.js';
import { generateServingCerts } from './tls.js';

export type StorageMode = 'auto' | 'etcd' | 'memory';

/** Options of `startSim` / `kbench sim`. Each maps to a flag of the same name. */
export interface SimOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default 0 */
  port?: number;
  /** @default 'auto' (etcd when an etcd binary is found, else memory) */
  storage?: StorageMode;
  etcdBinary?: string;
  /** Where to write the kubeconfig; `<data dir>/kubeconfig` when absent. */
  kubeconfigOut?: string;
  /** Keeps etcd data, kubeconfig and discovery file here; a temporary dir (removed at stop) when absent. */
  dataDir?: string;
  /** kube-apiserver --max-requests-inflight. @default 400 */
  maxRequestsInflight?: number;
  /** kube-apiserver --max-mutating-requests-inflight. @default 200 */
  maxMutatingRequestsInflight?: number;
  /** How long the watch cache keeps events for resuming watches (ms). @default 75000 */
  watchHistoryWindowMs?: number;
  /** At most this many events per resource in the watch cache. @default 102400 */
  watchHistoryMax?: number;
  /** Interval of watch BOOKMARK events (ms). @default 60000 */
  bookmarkIntervalMs?: number;
  /** kube-apiserver --min-request-timeout: watches without timeoutSeconds end after [t, 2t] seconds. @default 1800 */
  minRequestTimeoutSeconds?: number;
  /** etcd compaction interval, kube-apiserver --etcd-compaction-interval (ms). @default 300000 */
  etcdCompactionIntervalMs?: number;
  /** Progress and warnings. */
  log?: (line: string) => void;
}

export interface SimEndpoints {
  apiserver: string;
  /** etcd's --listen-metrics-urls endpoint, when storage is etcd. */
  etcdMetrics?: string;
  storage: 'etcd' | 'memory';
}

export interface SimHandle {
  url: string;
  kubeconfigPath: string;
  /** sim.json beside the kubeconfig: every endpoint of the sim, for kbench's collectors. */
  discoveryPath: string;
  endpoints: SimEndpoints;
  token: string;
  caPem: string;
  storage: 'etcd' | 'memory';
  stop(): Promise<void>;
}

export class SimStartError extends Error {}

/** Starts the simulated control plane and resolves once it serves requests. */
export async function startSim(options: SimOptions = {}): Promise<SimHandle> {
  const log = options.log ?? (() => undefined);
  const host = options.host ?? '127.0.0.1';
  const requested = options.storage ?? 'auto';
  let storage: 'etcd' | 'memory';
  if (requested === 'auto') {
    const found = options.etcdBinary ?? findOnPath('etcd');
    storage = found ? 'etcd' : 'memory';
    log(found ? `storage: etcd (${found})` : 'storage: memory (no etcd binary on PATH)');
  } else {
    storage = requested;
  }

  const cleanups: (() => Promise<void> | void)[] = [];
  const cleanup = async (): Promise<void> => {
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
    const ownsDir = options.dataDir === undefined;
    const dir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'kbench-sim-')));
    if (ownsDir) cleanups.push(() => rm(dir, { recursive: true, force: true }));
    else await mkdir(dir, { recursive: true });

    let backend: StorageBackend;
    let etcd: EtcdProcess | undefined;
    if (storage === 'etcd') {
      etcd = await EtcdProcess.start({
        binary: options.etcdBinary,
        dataDir: ownsDir ? undefined : path.join(dir, 'etcd'),
        name: 'kbench-sim',
      });
      const proc = etcd;
      cleanups.push(() => proc.stop());
      const etcdBackend = new EtcdBackend(etcd.clientUrl);
      cleanups.push(() => etcdBackend.close());
      backend = etcdBackend;
      const every = options.etcdCompactionIntervalMs ?? 300_000;
      let lastSeen = 0;
      // Compact to the revision seen one interval ago, as kube-apiserver does.
      const timer = setInterval(() => {
        void (async () => {
          const rev = await etcdBackend.currentRevision();
          if (lastSeen > 0) await etcdBackend.compact(lastSeen).catch(() => undefined);
          lastSeen = rev;
        })().catch(() => undefined);
      }, every);
      timer.unref();
      cleanups.push(() => clearInterval(timer));
    } else {
      backend = new MemoryBackend();
      cleanups.push(() => backend.close());
    }

    const certs = await generateServingCerts(host === '0.0.0.0' || host === '::' ? [] : [host]);
    const token = randomBytes(32).toString('base64url');
    const api = new ApiServer(
      { main: backend },
      {
        ...DEFAULT_API_OPTIONS,
        serverAddress: `${host}:${options.port ?? 0}`,
        maxRequestsInflight: options.maxRequestsInflight ?? DEFAULT_API_OPTIONS.maxRequestsInflight,
        maxMutatingRequestsInflight: options.maxMutatingRequestsInflight ?? DEFAULT_API_OPTIONS.maxMutatingRequestsInflight,
        watchHistoryWindowMs: options.watchHistoryWindowMs ?? DEFAULT_API_OPTIONS.watchHistoryWindowMs,
        watchHistoryMax: options.watchHistoryMax ?? DEFAULT_API_OPTIONS.watchHistoryMax,
        bookmarkIntervalMs: options.bookmarkIntervalMs ?? DEFAULT_API_OPTIONS.bookmarkIntervalMs,
        minRequestTimeoutSeconds: options.minRequestTimeoutSeconds ?? DEFAULT_API_OPTIONS.minRequestTimeoutSeconds,
        onInternalError: (e) => log(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`),
      },
    );
    cleanups.push(() => api.stop());
    await api.start();
    await bootstrapNamespaces(new LocalClient(api, 'kbench-sim-bootstrap'));

    const controllerClient = new LocalClient(api, 'kube-controller-manager');
    const namespaceController = new NamespaceController(controllerClient, api.registry);
    const gc = new GarbageCollector(controllerClient, api.registry);
    cleanups.push(() => namespaceController.stop(), () => gc.stop());
    await Promise.all([namespaceController.start(), gc.start()]);

    const http = new SimHttpServer(api, { host, port: options.port ?? 0, token, certs });
    const url = await http.listen();
    cleanups.push(() => http.close());
    api.options.serverAddress = url.replace('https://', '');

    const kubeconfigPath = path.resolve(options.kubeconfigOut ?? path.join(dir, 'kubeconfig'));
    await refuseForeignKubeconfig(kubeconfigPath);
    await writeKubeconfig(kubeconfigPath, simKubeconfig(url, certs.caPem, token));
    const discoveryPath = simDiscoveryPath(kubeconfigPath);
    // Both files describe a server that is gone after stop.
    cleanups.push(() => rm(kubeconfigPath, { force: true }), () => rm(discoveryPath, { force: true }));
    const endpoints: SimEndpoints = { apiserver: url, storage };
    if (etcd) endpoints.etcdMetrics = `${etcd.metricsUrl}/metrics`;
    await writeFile(discoveryPath, JSON.stringify(endpoints, null, 2) + '\n');

    let stopping: Promise<void> | undefined;
    return {
      url,
      kubeconfigPath,
      discoveryPath,
      endpoints,
      token,
      caPem: certs.caPem,
      storage,
      stop: () => (stopping ??= cleanup()),
    };
  } catch (e) {
    await cleanup();
    if (e instanceof Error) throw new SimStartError(e.message);
    throw e;
  }
}

/** Where the sim's discovery file for a kubeconfig lives: beside it, `<kubeconfig>.sim.json`. */
export function simDiscoveryPath(kubeconfigPath: string): string {
  return `${kubeconfigPath}.sim.json`;
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
    );
  }
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
