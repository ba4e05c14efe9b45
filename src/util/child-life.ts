import { existsSync } from 'node:fs';
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
