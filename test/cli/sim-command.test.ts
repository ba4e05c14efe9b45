import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { spawnSim, type SimProcess } from '../../src/cluster/sim-process.js';
import { TestClient } from '../helpers/sim-client.js';
import { eventually, requireEtcd } from '../helpers/sim-fixture.js';

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

/** Children of a process whose program is `name` (the sim's etcd; not its after-exit shell). */
function childPids(pid: number, name: string): number[] {
  try {
    const pids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return pids.filter((c) => {
      try {
        return readFileSync(`/proc/${c}/comm`, 'utf8').trim() === name;
      } catch {
        return false;
      }
    });
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
    const etcdPids = childPids(sim.pid, 'etcd');
    expect(etcdPids.length).toBe(1);

    await sim.stop();
    expect(await sim.exited).toBe(0);
    expect(existsSync(sim.kubeconfig)).toBe(false);
    expect(existsSync(sim.discovery)).toBe(false);
    expect(existsSync(`/proc/${etcdPids[0]}`)).toBe(false);
  });

  it('stops at once on SIGTERM while bindings are queued behind --scheduler-qps, printing no component errors', async () => {
    const lines: string[] = [];
    const sim = await spawnSim(['--storage', 'memory', '--scheduler-qps', '1', '--scheduler-burst', '1'], { log: (l) => lines.push(l) });
    started.push(sim);
    const kc = parse(readFileSync(sim.kubeconfig, 'utf8')) as {
      clusters: { cluster: { 'certificate-authority-data': string } }[];
      users: { user: { token: string } }[];
    };
    const client = new TestClient({
      url: sim.url,
      token: kc.users[0]!.user.token,
      caPem: Buffer.from(kc.clusters[0]!.cluster['certificate-authority-data'], 'base64').toString(),
    });
    await client.request('POST', '/api/v1/namespaces', { metadata: { name: 'queued' } });
    const pods = 40;
    for (let i = 0; i < pods; i++) {
      const res = await client.request('POST', '/api/v1/namespaces/queued/pods', {
        metadata: { name: `p-${i}` },
        spec: { containers: [{ name: 'c', image: 'pause' }] },
      });
      expect(res.status).toBe(201);
    }
    // At 1 QPS the scheduler has bound only a few: the rest wait for its rate limiter.
    const list = await eventually(
      () => client.request<{ items: { spec: { nodeName?: string } }[] }>('GET', '/api/v1/namespaces/queued/pods'),
      (r) => r.status === 200,
    );
    expect(list.body.items.filter((p) => !p.spec.nodeName).length).toBeGreaterThan(pods / 2);
    client.agent.destroy();

    // Draining those at 1 QPS would take longer than the grace: the sim must end them instead.
    await sim.stop(30_000);
    expect(await sim.exited).toBe(0);
    const after = lines.slice(lines.findIndex((l) => l.includes('SIGTERM: stopping')) + 1);
    expect(after).toEqual([]);
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
