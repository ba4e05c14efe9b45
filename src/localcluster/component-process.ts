import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tiedToThisProcess } from '../util/child-life.js';

/** A component that exited before it was ready, or while the cluster ran: its last log lines say why. */
export class ComponentFailedError extends Error {
  constructor(
    readonly component: string,
    message: string,
    readonly logLines: string[],
    readonly logFile: string,
  ) {
    super(message);
  }
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** True while a process (group) with this id exists. */
export function processAlive(pid: number, group = false): boolean {
  try {
    process.kill(group ? -pid : pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Signals a whole process group; a group that is gone already is not an error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** SIGTERM to a process group, SIGKILL after `graceMs`, until no member is left. */
export async function stopGroup(pgid: number, graceMs: number): Promise<void> {
  signalGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (processAlive(pgid, true) && Date.now() < deadline) await sleep(50);
  if (processAlive(pgid, true)) signalGroup(pgid, 'SIGKILL');
  for (let i = 0; i < 100 && processAlive(pgid, true); i++) await sleep(50);
}

/**
 * One component in its own process group (so it and anything it starts stop together),
 * stdout and stderr appended to its log file.
 */
export class ComponentProcess {
  readonly exited: Promise<ExitStatus>;
  #status: ExitStatus | undefined;
  readonly #child: ChildProcess;

  private constructor(
    readonly name: string,
    readonly logFile: string,
    child: ChildProcess,
  ) {
    this.#child = child;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#status = { code, signal };
        resolve(this.#status);
      });
      // A binary that cannot be executed at all never emits exit.
      child.once('error', () => {
        this.#status ??= { code: -1, signal: null };
        resolve(this.#status);
      });
    });
  }

  static start(name: string, binary: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): ComponentProcess {
    const fd = openSync(logFile, 'a');
    try {
      // Tied to kbench's life: a kbench killed outright takes its cluster with it.
      const child = spawn(...tiedToThisProcess(binary, args), { detached: true, stdio: ['ignore', fd, fd], env });
      return new ComponentProcess(name, logFile, child);
    } finally {
      closeSync(fd);
    }
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  get status(): ExitStatus | undefined {
    return this.#status;
  }

  async lastLogLines(n = 20): Promise<string[]> {
    try {
      const lines = (await readFile(this.logFile, 'utf8')).split('\n').filter((l) => l.trim() !== '');
      return lines.slice(-n);
    } catch {
      return [];
    }
  }

  /** A ComponentFailedError for this component's exit, with its last log lines. */
  async failure(what: string): Promise<ComponentFailedError> {
    const s = this.#status;
    const how = s ? (s.signal ? `was killed by ${s.signal}` : s.code === -1 ? 'could not be executed' : `exited with code ${s.code}`) : 'failed';
    return new ComponentFailedError(this.name, `${this.name} ${how} ${what}`, await this.lastLogLines(), this.logFile);
  }

  /** Stops the component's process group: SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.pid > 0) await stopGroup(this.pid, graceMs);
    if (this.pid > 0) await Promise.race([this.exited, sleep(1000)]);
  }
}
