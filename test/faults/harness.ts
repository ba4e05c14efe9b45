import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { CLI } from '../helpers/cli.js';

/** A kbench (or kbench sim) process in its own process group, as a terminal would start it. */
export interface Proc {
  child: ChildProcess;
  /** Every line of stderr so far, each with the ms since start it arrived at. */
  lines: { at: number; text: string }[];
  stdout: string;
  started: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** Resolves with the first stderr line matching, or rejects after `timeoutMs`. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
}

const live = new Set<ChildProcess>();

export function start(args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, CI: 'true', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  live.add(child);
  const started = performance.now();
  const p: Proc = {
    child,
    lines: [],
    stdout: '',
    started,
    exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, at: performance.now() - started }))),
    waitFor: (re, timeoutMs = 120_000) =>
      new Promise((resolve, reject) => {
        const hit = p.lines.find((l) => re.test(l.text));
        if (hit) return resolve(hit.text);
        const t = setTimeout(() => reject(new Error(`no line matching ${re} within ${timeoutMs} ms; stderr:\n${p.lines.map((l) => l.text).join('\n')}`)), timeoutMs);
        const onLine = (line: string): void => {
          if (!re.test(line)) return;
          clearTimeout(t);
          child.stderr!.off('line', onLine);
          resolve(line);
        };
        child.stderr!.on('line', onLine);
      }),
  };
  let buf = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (c: string) => {
    buf += c;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const text = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      p.lines.push({ at: performance.now() - started, text });
      child.stderr!.emit('line', text);
    }
  });
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (c: string) => (p.stdout += c));
  child.on('exit', () => live.delete(child));
  return p;
}

/** Kills every process group a test started and has not seen exit (afterAll, even on failure). */
export function killAll(): void {
  for (const c of live) {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

/** Pids of processes whose command line contains every one of `parts`. */
export function pidsWith(...parts: string[]): number[] {
  const out: number[] = [];
  for (const dir of execFileSync('ls', ['/proc'], { encoding: 'utf8' }).split('\n')) {
    if (!/^\d+$/.test(dir) || Number(dir) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${dir}/cmdline`, 'utf8').split('\0').join(' ');
      if (parts.every((x) => cmd.includes(x))) out.push(Number(dir));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Waits until no process matches, up to `ms`; returns the ones left. */
export async function gone(parts: string[], ms = 15_000): Promise<number[]> {
  const deadline = performance.now() + ms;
  for (;;) {
    const left = pidsWith(...parts);
    if (left.length === 0 || performance.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function portBound(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

export function readJsonIf<T>(file: string): T | undefined {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined;
}

export const ROOT = path.resolve(new URL('../..', import.meta.url).pathname);
