import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

/**
 * util-linux's setpriv, when the machine has it (Linux). `setpriv --pdeathsig KILL -- cmd`
 * runs cmd so the kernel kills it when the process that started it dies, however it dies
 * (SIGKILL, the OOM killer): nothing kbench starts outlives it serving stale state.
 */
const SETPRIV = process.platform === 'linux' ? (['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p)) ?? null) : null;

/** The command and arguments that run `binary args` tied to this process's life (unchanged where setpriv is missing). */
export function tiedToThisProcess(binary: string, args: readonly string[]): [string, string[]] {
  return SETPRIV ? [SETPRIV, ['--pdeathsig', 'KILL', '--', binary, ...args]] : [binary, [...args]];
}

/** The compiled CLI: beside the calling chunk in dist/, or dist/ when running from src/ (tests). */
export function cliPath(): string {
  const beside = fileURLToPath(new URL('../cli/main.js', import.meta.url));
  return existsSync(beside) ? beside : fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
}

export interface AfterExit {
  /** Sends the shell a line on its stdin (text with a line break in it is not a line: not sent). */
  send(line: string): void;
  /** This process did the work itself: the shell goes, doing nothing. */
  disarm(): void;
}

/**
 * Runs `script` (a /bin/sh script, with `args` as $1...) once this process has exited,
 * however it exits: the shell, in a session of its own (out of reach of the terminal's
 * Ctrl-C and hangup), first reads its stdin, a pipe from this process that the kernel closes
 * at its exit, and can use the lines sent on it. What SIGKILL or the OOM killer would
 * otherwise leave behind is undone this way.
 */
export function afterThisProcess(script: string, args: readonly string[] = []): AfterExit {
  if (process.platform === 'win32') return { send: () => undefined, disarm: () => undefined };
  const child = spawn('/bin/sh', ['-c', script, 'kbench-after-exit', ...args], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  child.on('error', () => undefined); // no /bin/sh: nothing is undone, as before
  const stdin = child.stdin as Socket | null;
  stdin?.on('error', () => undefined);
  // Neither the shell nor its pipe keeps this process's event loop alive.
  stdin?.unref();
  child.unref();
  return {
    send: (line) => void (line.includes('\n') ? undefined : stdin?.write(`${line}\n`)),
    disarm: () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    },
  };
}

/**
 * Removes temporary paths if this process dies without removing them itself: each path
 * given to `add` is removed (recursively) after the exit.
 */
export function removeAfterExit(): { add(path: string): void; disarm(): void } {
  // etcd, killed with this process (setpriv --pdeathsig), may still be writing as rm starts.
  const after = afterThisProcess('set --; while IFS= read -r p; do set -- "$@" "$p"; done; [ $# -eq 0 ] || rm -rf -- "$@" || { sleep 1; rm -rf -- "$@"; }');
  return { add: after.send, disarm: after.disarm };
}
