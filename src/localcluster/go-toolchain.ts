import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** No usable Go: bad input (exit 2), with what to install. */
export class GoToolchainError extends Error {}

export interface GoToolchain {
  /** The `go` command used. */
  go: string;
  /** e.g. `go1.26.8`. */
  version: string;
}

/** `go1.26.8` / `1.26` / `go1.27rc1` as [major, minor, patch]; undefined when not a Go version. */
export function parseGoVersion(v: string): [number, number, number] | undefined {
  const m = /^(?:go)?(\d+)\.(\d+)(?:\.(\d+))?/.exec(v.trim());
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

export function goVersionAtLeast(have: string, need: string): boolean {
  const a = parseGoVersion(have);
  const b = parseGoVersion(need);
  if (!a || !b) return false;
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return true;
}

/** The `go` directive of a go.mod: the oldest Go that may build it. */
export function requiredGo(goMod: string): string | undefined {
  return /^go\s+(\d+\.\d+(?:\.\d+)?)\s*$/m.exec(goMod)?.[1];
}

function installHint(need: string): string {
  return `Install Go ${need} or newer (https://go.dev/dl/, or your distribution's golang package if it is recent enough) and put its bin directory on PATH, or name the go command with --go.`;
}

/**
 * The Go that builds the components: `go` on PATH (or `goCommand`), at least `need`.
 * GOTOOLCHAIN=local: an older Go must not fetch a newer toolchain behind the user's back.
 */
export async function findGo(need: string, goCommand = 'go'): Promise<GoToolchain> {
  let out: string;
  try {
    const r = await run(goCommand, ['env', 'GOVERSION'], { env: { ...process.env, GOTOOLCHAIN: 'local' }, timeout: 60_000 });
    out = r.stdout.trim();
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    const why = err.code === 'ENOENT' ? `no \`${goCommand}\` command was found${goCommand === 'go' ? ' on PATH' : ''}` : `\`${goCommand} env GOVERSION\` failed: ${(err.stderr ?? err.message).trim().split('\n')[0]}`;
    throw new GoToolchainError(`building the control-plane components needs Go: ${why}. ${installHint(need)}`);
  }
  if (!parseGoVersion(out)) throw new GoToolchainError(`\`${goCommand} env GOVERSION\` printed "${out}", not a Go version. ${installHint(need)}`);
  if (!goVersionAtLeast(out, need)) {
    throw new GoToolchainError(`building the control-plane components needs Go ${need} or newer (components/*/go.mod), but \`${goCommand}\` is ${out}. ${installHint(need)}`);
  }
  return { go: goCommand, version: out };
}
