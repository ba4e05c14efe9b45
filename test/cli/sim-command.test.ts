import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSim, type SimProcess } from '../../src/cluster/sim-process.js';
import { requireEtcd } from '../helpers/sim-fixture.js';

const run = promisify(execFile);
const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;

async function kbench(...args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run(process.execPath, [CLI, ...args], { timeout: 30_000 });
    return { code: 0, stderr };
  } catch (e) {
    const err = e as { code?: number; stderr?: string };
    return { code: err.code ?? -1, stderr: err.stderr ?? '' };
  }
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

describe('kbench sim (the command)', () => {
  const started: SimProcess[] = [];
  afterAll(async () => {
    for (const s of started) await s.stop();
  });

  it('starts with etcd, writes a working kubeconfig, and on SIGTERM removes it and stops etcd', async () => {
    requireEtcd();
    const sim = await spawnSim(['--storage', 'etcd']);
    started.push(sim);
    expect(sim.storage).toBe('etcd');
    const kubeconfig = readFileSync(sim.kubeconfig, 'utf8');
    expect(kubeconfig).toContain(sim.url);
    expect(kubeconfig).toMatch(/certificate-authority-data: \S+/);
    expect(kubeconfig).toMatch(/token: \S+/);
    const discovery = JSON.parse(readFileSync(sim.discovery, 'utf8')) as { apiserver: string; etcdMetrics: string };
    expect(discovery.apiserver).toBe(sim.url);
    const metrics = await fetch(discovery.etcdMetrics);
    expect(await metrics.text()).toContain('etcd_disk_wal_fsync_duration_seconds_bucket');
    const etcdPids = childPids(sim.pid);
    expect(etcdPids.length).toBe(1);

    await sim.stop();
    expect(await sim.exited).toBe(0);
    expect(existsSync(sim.kubeconfig)).toBe(false);
    expect(existsSync(sim.discovery)).toBe(false);
    expect(existsSync(`/proc/${etcdPids[0]}`)).toBe(false);
  });

  it('answers bad input with exit code 2 and one clear message, starting nothing', async () => {
    const badStorage = await kbench('sim', '--storage', 'bogus');
    expect(badStorage.code).toBe(2);
    expect(badStorage.stderr).toContain('storage');
    const noEtcd = await kbench('sim', '--storage', 'etcd', '--etcd-binary', '/nonexistent/etcd');
    expect(noEtcd.code).toBe(2);
    expect(noEtcd.stderr).toContain('/nonexistent/etcd');
    const badDuration = await kbench('sim', '--storage', 'memory', '--watch-history-window', 'soon');
    expect(badDuration.code).toBe(2);
    expect(badDuration.stderr).toContain('--watch-history-window');
  });
});
