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
  /** A file or folder to remove after this process's exit (a path with a line break in it is not sent). */
  add(path: string): void;
  /** This process did the work itself: the shell goes, doing nothing. */
  disarm(): void;
}

/** A word quoted for /bin/sh. */
function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Undoes what SIGKILL or the OOM killer would otherwise leave behind: once this process has
 * exited, however it exits, `first` (a command, if given) runs, then every path given to
 * `add` is removed (recursively). A /bin/sh in a session of its own (out of reach of the
 * terminal's Ctrl-C and hangup) reads the paths from its stdin, a pipe from this process
 * that the kernel closes at its exit.
 */
export function removeAfterExit(first: readonly string[] = []): AfterExit {
  if (process.platform === 'win32') return { add: () => undefined, disarm: () => undefined };
  // etcd, killed with this process (setpriv --pdeathsig), may still be writing as rm starts.
  const script = [
    'set --; while IFS= read -r p; do set -- "$@" "$p"; done',
    ...(first.length > 0 ? [first.map(shellQuote).join(' ')] : []),
    '[ $# -eq 0 ] || rm -rf -- "$@" || { sleep 1; rm -rf -- "$@"; }',
  ].join('; ');
  const child = spawn('/bin/sh', ['-c', script], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  child.on('error', () => undefined); // no /bin/sh: nothing is undone, as before
  const stdin = child.stdin as Socket | null;
  stdin?.on('error', () => undefined);
  // Neither the shell nor its pipe keeps this process's event loop alive.
  stdin?.unref();
  child.unref();
  return {
    add: (path) => void (path.includes('\n') ? undefined : stdin?.write(`${path}\n`)),
    disarm: () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    },
  };
}
