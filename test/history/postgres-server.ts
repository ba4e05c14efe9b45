import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../../src/util/free-port.js';

/**
 * A throwaway PostgreSQL server for tests: initdb into a temp dir, the server on a free
 * loopback port in its own process group, stopped (the group killed) and removed by
 * stop(). initdb refuses to run as root, so as root both run as the `postgres` user that
 * Debian's package creates.
 */

export interface PostgresServer {
  url: string;
  stop(): Promise<void>;
}

/** The folder with initdb and postgres (Debian: /usr/lib/postgresql/<version>/bin), or why there is none. */
export function findPostgres(): { bin: string } | { missing: string } {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return { bin: path.join(root, versions[0], 'bin') };
  }
  try {
    const initdb = execFileSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).trim();
    if (initdb) return { bin: path.dirname(initdb) };
  } catch {
    // Not on PATH either.
  }
  return { missing: 'PostgreSQL is not installed (no initdb in /usr/lib/postgresql/*/bin or on PATH); bash test/install-deps.sh installs Debian postgresql' };
}

const isRoot = process.getuid?.() === 0;

function asServerUser(cmd: string, args: string[]): [string, string[]] {
  return isRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

export async function startPostgres(bin: string): Promise<PostgresServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kbench-pg-'));
  const data = path.join(dir, 'data');
  const log = path.join(dir, 'server.log');
  if (isRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
    chownSync(dir, uid, gid);
  }
  const run = (cmd: string, args: string[]): void => {
    const [c, a] = asServerUser(path.join(bin, cmd), args);
    execFileSync(c, a, { stdio: 'pipe', cwd: dir });
  };
  let child: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()));
      // SIGINT is PostgreSQL's fast shutdown; the whole group, so nothing is left behind.
      try {
        process.kill(-child.pid, 'SIGINT');
      } catch {
        // Already gone.
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child!.pid!, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }, 10_000);
      await exited;
      clearTimeout(timer);
    }
    // The postmaster writes its pid here: if anything outlived the group, end it too.
    const pidFile = path.join(data, 'postmaster.pid');
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
      try {
        if (pid > 0) process.kill(pid, 'SIGKILL');
      } catch {
        // Not running.
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
    const port = await freePort();
    const [c, a] = asServerUser(path.join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=20']);
    const out = openSync(log, 'a');
    child = spawn(c, a, { detached: true, stdio: ['ignore', out, out], cwd: dir });
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}: ${readFileSync(log, 'utf8')}`);
      const client = new pg.Client({ connectionString: url });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.end();
        break;
      } catch {
        await client.end().catch(() => {});
        if (Date.now() > deadline) throw new Error(`postgres did not accept connections within 60 s: ${readFileSync(log, 'utf8')}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    return { url, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** A fresh database on the server, for one test's history. */
export async function createDatabase(serverUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}
