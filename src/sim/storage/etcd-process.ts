import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { tiedToThisProcess } from '../../util/child-life.js';
import { freePort } from '../../util/free-port.js';


export interface EtcdProcessOptions {
  /** Path of the etcd binary; found on PATH when absent. */
  binary?: string;
  /** Where etcd keeps its data; a temporary directory (removed at stop) when absent. */
  dataDir?: string;
  /** A name for logs and the member name. */
  name?: string;
  /** etcd's --quota-backend-bytes; the seeds raised it from 2 GiB to 8 GiB for 150k pods. */
  quotaBackendBytes?: number;
  /** How long to wait for etcd to report healthy. */
  startTimeoutMs?: number;
}

export class EtcdStartError extends Error {}

/** Looks up an executable on PATH, the way a shell would. */
export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * A real etcd member spawned on free loopback ports, with its own data directory. Its
 * metrics URL serves etcd's own `etcd_disk_wal_fsync_duration_seconds` and friends.
 */
export class EtcdProcess {
  readonly clientUrl: string;
  readonly metricsUrl: string;
  readonly dataDir: string;
  readonly #child: ChildProcess;
  readonly #ownsDataDir: boolean;
  #exited: Promise<void>;
  #stopped = false;

  private constructor(args: {
    child: ChildProcess;
    clientUrl: string;
    metricsUrl: string;
    dataDir: string;
    ownsDataDir: boolean;
    exited: Promise<void>;
  }) {
    this.#child = args.child;
    this.clientUrl = args.clientUrl;
    this.metricsUrl = args.metricsUrl;
    this.dataDir = args.dataDir;
    this.#ownsDataDir = args.ownsDataDir;
    this.#exited = args.exited;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  static async start(options: EtcdProcessOptions = {}): Promise<EtcdProcess> {
    const binary = options.binary ?? findOnPath('etcd');
    if (!binary) {
      throw new EtcdStartError(
        'etcd storage was requested but no `etcd` binary is on PATH. Install it (Debian: `apt-get install -y etcd-server`), ' +
          'pass --etcd-binary PATH, or use --storage memory.',
      );
    }
    try {
      accessSync(binary, fsConstants.X_OK);
    } catch {
      throw new EtcdStartError(`the etcd binary ${binary} does not exist or is not executable (--etcd-binary).`);
    }
    const name = options.name ?? 'kbench-sim';
    const ownsDataDir = options.dataDir === undefined;
    const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), `${name}-etcd-`)));
    if (!ownsDataDir) await mkdir(dataDir, { recursive: true });

    const [clientPort, peerPort, metricsPort] = await distinctPorts(3);
    const clientUrl = `http://127.0.0.1:${clientPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const metricsUrl = `http://127.0.0.1:${metricsPort}`;
    const args = [
      `--name=${name}`,
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=${name}=${peerUrl}`,
      '--initial-cluster-state=new',
      `--listen-metrics-urls=${metricsUrl}`,
      `--quota-backend-bytes=${options.quotaBackendBytes ?? 8 * 1024 ** 3}`,
      '--logger=zap',
      '--log-level=error',
    ];
    // No etcd outlives the sim serving the cluster's data.
    const child = spawn(...tiedToThisProcess(binary, args), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderrTail = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-4000);
    });
    let exitCode: number | null | undefined;
    const exited = new Promise<void>((resolve) => {
      child.once('exit', (code) => {
        exitCode = code;
        resolve();
      });
      child.once('error', (err) => {
        stderrTail += String(err);
        exitCode = -1;
        resolve();
      });
    });
    const proc = new EtcdProcess({ child, clientUrl, metricsUrl, dataDir, ownsDataDir, exited });

    const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
    while (Date.now() < deadline) {
      if (exitCode !== undefined) break;
      if (await healthy(metricsUrl)) return proc;
      await new Promise((r) => setTimeout(r, 100));
    }
    await proc.stop();
    const why = exitCode !== undefined ? `it exited with code ${exitCode}` : 'it did not become healthy in time';
    throw new EtcdStartError(`etcd (${binary}) failed to start: ${why}. Last output: ${stderrTail.trim().slice(-800) || '(none)'}`);
  }

  /** Stops etcd (SIGTERM, then SIGKILL after 5 s) and removes a temporary data dir. */
  async stop(): Promise<void> {
    if (this.#stopped) return this.#exited;
    this.#stopped = true;
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill('SIGTERM');
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
      await this.#exited;
      clearTimeout(timer);
    }
    if (this.#ownsDataDir) await rm(this.dataDir, { recursive: true, force: true });
  }
}

async function healthy(metricsUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${metricsUrl}/health`, { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { health?: string };
    return res.ok && body.health === 'true';
  } catch {
    return false;
  }
}

async function distinctPorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}
