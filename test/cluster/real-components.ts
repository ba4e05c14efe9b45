import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { CLI, kbench } from '../helpers/cli.js';

/**
 * Tests on the real control plane need Go (to build it once into the cache). In CI a
 * missing Go is a failure; elsewhere the tests are skipped with the reason printed.
 */
export function goAvailable(): { ok: true } | { ok: false; reason: string } {
  const r = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: 'local' } });
  if (r.error || r.status !== 0) return { ok: false, reason: `no usable go command (${r.error?.message ?? r.stderr.trim()}); install Go 1.26+ to run the real control-plane tests` };
  return { ok: true };
}

export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

/** The gate every real-component test file uses: run, fail in CI, or skip with the reason printed. */
export function realComponentsGate(file: string): 'run' | 'fail' | 'skip' {
  const go = goAvailable();
  if (go.ok) return 'run';
  if (IN_CI) return 'fail';
  console.warn(`${file}: skipped: ${go.reason}`);
  return 'skip';
}

/** Builds the components (seconds when cached; tens of minutes cold). */
export async function buildComponents(): Promise<void> {
  const r = await kbench(['cluster', 'build'], { timeoutMs: 90 * 60_000 });
  if (r.code !== 0) throw new Error(`kbench cluster build failed (${r.code}): ${r.stderr.slice(-3000)}`);
}

/**
 * A private temp root for one test file: TMPDIR (so a cluster's temp dir lands inside it)
 * and XDG_RUNTIME_DIR (so its `cluster down` state does too). The component cache stays
 * the user's own.
 */
export class Sandbox {
  readonly root = mkdtempSync(path.join(os.tmpdir(), 'kbench-cluster-test-'));
  readonly tmp = path.join(this.root, 'tmp');
  readonly run = path.join(this.root, 'run');
  readonly env: NodeJS.ProcessEnv;

  constructor() {
    mkdirSync(this.tmp);
    mkdirSync(this.run);
    this.env = { TMPDIR: this.tmp, XDG_RUNTIME_DIR: this.run };
  }

  /** Processes whose command line mentions this sandbox: a cluster's components, kbench itself. */
  processes(): { pid: number; cmd: string }[] {
    const out: { pid: number; cmd: string }[] = [];
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
      try {
        const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ');
        if (cmd.includes(this.root)) out.push({ pid: Number(d), cmd });
      } catch {
        // gone meanwhile
      }
    }
    return out;
  }

  /** What is left of this sandbox's clusters: processes, entries of its temp folder, `cluster down` records. */
  leftBehind(): string[] {
    const records = path.join(this.run, 'kbench');
    return [...this.processes().map((p) => p.cmd.slice(0, 120)), ...readdirSync(this.tmp), ...(existsSync(records) ? readdirSync(records) : [])];
  }

  /** Waits up to `ms` for nothing to be left; returns what is. */
  async settled(ms: number): Promise<string[]> {
    const deadline = Date.now() + ms;
    while (this.leftBehind().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    return this.leftBehind();
  }

  /** Everything still running from this sandbox is killed (group and all): the last line of defence. */
  async destroy(): Promise<void> {
    await kbench(['cluster', 'down', '--all'], { env: this.env, timeoutMs: 120_000 });
    for (const p of this.processes()) {
      try {
        process.kill(-p.pid, 'SIGKILL');
      } catch {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** A `kbench cluster up` running in its own process group, as a user's terminal would run it. */
export class ClusterUp {
  readonly child: ChildProcess;
  stderr = '';
  readonly exited: Promise<number | null>;
  readonly ready: Promise<Record<string, unknown>>;

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [CLI, 'cluster', 'up', '--json', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child.stderr!.on('data', (c: Buffer) => (this.stderr += c.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    const lines = createInterface({ input: this.child.stdout! });
    this.ready = new Promise((resolve, reject) => {
      lines.once('line', (l) => resolve(JSON.parse(l) as Record<string, unknown>));
      void this.exited.then((code) => reject(new Error(`kbench cluster up exited (${code}) before it was ready:\n${this.stderr.slice(-4000)}`)));
    });
  }

  /** Ctrl-C's effect without a terminal: SIGKILL the whole group if it does not stop. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    try {
      process.kill(-this.child.pid!, 'SIGTERM');
    } catch {
      return;
    }
    const t = setTimeout(() => {
      try {
        process.kill(-this.child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }, 60_000);
    await this.exited;
    clearTimeout(t);
  }
}

/** kubectl (Debian's, at /usr/bin/kubectl, or on PATH) against a kubeconfig. */
export function kubectl(kubeconfig: string, args: string[], input?: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('kubectl', ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8', input, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
