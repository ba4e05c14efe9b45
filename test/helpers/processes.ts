import { type ChildProcess, spawn } from 'node:child_process';
import { CLI } from './cli.js';

export interface Started {
  child: ChildProcess;
  /** stdout and stderr as they came. */
  output(): string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>;
}

/**
 * kbench CLI processes a test starts and must stop: each in its own process group, all
 * killed (group and all) by `killAll`, which afterAll calls even when a test failed.
 */
export class Processes {
  readonly #started: ChildProcess[] = [];

  kbench(args: string[], env: NodeJS.ProcessEnv = {}): Started {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, CI: 'true', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.#started.push(child);
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, output: out })));
    return { child, output: () => out, done };
  }

  /** Sends `signal` to a process's whole group. */
  static signal(p: Started, signal: NodeJS.Signals): void {
    if (p.child.pid !== undefined && p.child.exitCode === null && p.child.signalCode === null) {
      try {
        process.kill(-p.child.pid, signal);
      } catch {
        // already gone
      }
    }
  }

  killAll(): void {
    for (const c of this.#started) {
      if (c.pid === undefined || c.exitCode !== null || c.signalCode !== null) continue;
      try {
        process.kill(-c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** Resolves when `p`'s output matches `re`, or rejects after `timeoutMs` (or when it exits first). */
export async function outputMatches(p: Started, re: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!re.test(p.output())) {
    if (p.child.exitCode !== null || p.child.signalCode !== null) throw new Error(`the process ended before its output matched ${re}:\n${p.output().slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} in:\n${p.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
