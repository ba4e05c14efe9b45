import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { cliPath } from '../util/child-life.js';

/** What `kbench sim --json` reports once it serves requests. */
export interface SimReady {
  url: string;
  kubeconfig: string;
  discovery: string;
  storage: 'etcd' | 'memory';
}

export interface SimProcess extends SimReady {
  pid: number;
  /** Stops the sim (SIGTERM, then SIGKILL after `graceMs`) and waits for it to exit. */
  stop(graceMs?: number): Promise<void>;
  /** Resident set size of the sim process in bytes (Linux /proc), or undefined. */
  rssBytes(): Promise<number | undefined>;
  exited: Promise<number | null>;
}

export class SimProcessError extends Error {
  /** `kbench sim` refused its settings (exit 2): bad input, not a failure. */
  constructor(
    message: string,
    readonly badInput = false,
  ) {
    super(message);
  }
}

/**
 * Runs `kbench sim` as a child process and waits for it to be ready. The harness reaches
 * the sim only over HTTP, as it would a real cluster, and the sim gets its own CPU core.
 */
export async function spawnSim(flags: string[], options: { log?: (line: string) => void; startTimeoutMs?: number; signal?: AbortSignal } = {}): Promise<SimProcess> {
  // A larger young generation: the sim allocates many short-lived objects per write, and
  // scavenges are cheaper when rarer (measured: about 4% more pods/s in bench:sim).
  // Its own process group, so a terminal's Ctrl-C reaches kbench alone (which then stops
  // the sim after its last scrapes); --lifeline: the sim stops when kbench's end of its
  // stdin closes, which happens however kbench dies (SIGKILL and the OOM killer included).
  const child: ChildProcess = spawn(process.execPath, ['--max-semi-space-size=64', cliPath(), 'sim', '--json', '--lifeline', ...flags], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const onAbort = (): void => void child.kill('SIGTERM');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (c: string) => {
    stderr = (stderr + c).slice(-4000);
    for (const line of c.split('\n')) if (line.trim()) options.log?.(line);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = createInterface({ input: child.stdout! });
  const ready = new Promise<SimReady>((resolve, reject) => {
    lines.once('line', (line) => {
      try {
        resolve(JSON.parse(line) as SimReady);
      } catch {
        reject(new SimProcessError(`kbench sim printed an unexpected first line: ${line}`));
      }
    });
    void exited.then((code) =>
      reject(code === 2 ? new SimProcessError(stderr.trim().replace(/^kbench: /, ''), true) : new SimProcessError(`kbench sim exited with code ${code} before it was ready: ${stderr.trim()}`)),
    );
  });
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SimProcessError(`kbench sim did not become ready within ${timeoutMs} ms: ${stderr.trim()}`)), timeoutMs);
  });
  let info: SimReady;
  try {
    info = await Promise.race([ready, timeout]);
  } catch (e) {
    child.kill('SIGKILL');
    throw options.signal?.aborted ? new SimProcessError('interrupted while the sim was starting; it was stopped') : e;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
  const stop = async (graceMs = 10_000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(t);
  };
  return {
    ...info,
    pid: child.pid!,
    stop,
    exited,
    rssBytes: () => processRss(child.pid!),
  };
}

/** VmRSS of a process from /proc, in bytes. */
export async function processRss(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
