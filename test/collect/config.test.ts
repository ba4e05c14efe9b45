import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindCollection, type CollectFlags, planCollection } from '../../src/collect/config.js';
import { KubeClient } from '../../src/cluster/kube-client.js';
import type { Connection } from '../../src/cluster/target.js';

// Never called: binding only hands it to the sources, which use it at scrape time.
const connection: Connection = { server: new URL('https://127.0.0.1:1'), context: 'test', tls: {}, headers: async () => ({}) };
const flags: CollectFlags = { metricsUrl: [] };

function sourcesOf(spec: Parameters<typeof planCollection>[0]['spec'], f: CollectFlags = flags, sim?: Parameters<typeof bindCollection>[1]['sim']) {
  const client = new KubeClient(connection);
  const config = bindCollection(planCollection({ spec, baseDir: '/', flags: f }), { client, connection, ...(sim ? { sim } : {}) });
  void client.close();
  return { config, list: config.sources.map((s) => `${s.name} ${s.component} ${s.type} ${s.where}`) };
}

describe('which sources a run scrapes', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kbench-collect-config-'));
    for (const f of ['ca.crt', 'client.crt', 'client.key', 'token']) writeFileSync(path.join(dir, f), 'x\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('on a cluster with nothing configured: the apiserver, and the active scheduler through the pod proxy', () => {
    const { config, list } = sourcesOf({});
    expect(list).toEqual(['apiserver apiserver apiserver /metrics (through the kubeconfig)', 'scheduler scheduler pod-proxy kube-system/<holder of lease kube-scheduler>:10259']);
    expect(config.missing.etcd).toMatch(/^no etcd metrics source configured \(add one under collect.sources, or --metrics-url etcd=URL/);
    expect(config.intervalMs).toBe(5000);
  });

  it('on the sim: its scheduler and etcd from the discovery file, or "storage is memory"', () => {
    const etcd = sourcesOf({}, flags, { scheduler: 'https://127.0.0.1:5000/metrics', etcdMetrics: 'http://127.0.0.1:5001/metrics', storage: 'etcd' });
    expect(etcd.list).toEqual([
      'apiserver apiserver apiserver /metrics (through the kubeconfig)',
      'scheduler scheduler url https://127.0.0.1:5000/metrics',
      'etcd etcd url http://127.0.0.1:5001/metrics',
    ]);
    const memory = sourcesOf({}, flags, { scheduler: 'https://127.0.0.1:5000/metrics', storage: 'memory' });
    expect(memory.config.missing.etcd).toBe('storage is memory');
  });

  it('listed sources replace the defaults for their component; flags add url and Prometheus sources', () => {
    const { list, config } = sourcesOf(
      { interval: '2s', sources: [{ name: 'sched', type: 'url', component: 'scheduler', url: 'https://user:secret@10.0.0.1:10259/metrics', tokenFile: path.join(dir, 'token'), insecureSkipVerify: true }] },
      { metricsUrl: ['etcd=https://10.0.0.1:2379/metrics', 'etcd=https://10.0.0.2:2379/metrics'], metricsCaFile: path.join(dir, 'ca.crt'), metricsCertFile: path.join(dir, 'client.crt'), metricsKeyFile: path.join(dir, 'client.key'), prometheus: 'http://prom:9090' },
      { scheduler: 'https://127.0.0.1:5000/metrics', storage: 'memory' },
    );
    // No credential in what is shown and recorded.
    expect(list).toEqual([
      'apiserver apiserver apiserver /metrics (through the kubeconfig)',
      'sched scheduler url https://10.0.0.1:10259/metrics',
      'etcd etcd url https://10.0.0.1:2379/metrics',
      'etcd-2 etcd url https://10.0.0.2:2379/metrics',
    ]);
    expect(config.prometheus.map((p) => [p.name, p.client.url, Object.keys(p.queries).length, p.rateWindowMs])).toEqual([['prometheus', 'http://prom:9090', 10, 60_000]]);
    expect(config.intervalMs).toBe(2000);
  });

  it('a Prometheus source stands in for the scheduler default on a cluster', () => {
    const { list } = sourcesOf({ sources: [{ name: 'prom', type: 'prometheus', url: 'http://prom:9090', queries: { x: 'up' } }] });
    expect(list).toEqual(['apiserver apiserver apiserver /metrics (through the kubeconfig)']);
  });

  it('refuses what cannot work, naming the source and the file', () => {
    const plan = (spec: Parameters<typeof planCollection>[0]['spec'], f: CollectFlags = flags) => () => planCollection({ spec, baseDir: dir, flags: f });
    expect(plan({ sources: [{ name: 'e', type: 'url', component: 'etcd', url: 'https://x/metrics', caFile: 'missing-ca.crt' }] })).toThrow(
      `collect.sources[0] (e): caFile ${path.join(dir, 'missing-ca.crt')}: ENOENT`,
    );
    // Relative to the workload's folder: this one is there.
    expect(plan({ sources: [{ name: 'e', type: 'url', component: 'etcd', url: 'https://x/metrics', caFile: 'ca.crt' }] })).not.toThrow();
    expect(plan({ sources: [{ name: 'e', type: 'url', component: 'etcd', url: 'https://x/metrics', certFile: 'client.crt' }] })).toThrow(/needs both certFile and keyFile/);
    expect(plan({ sources: [{ name: 'a', type: 'apiserver' }, { name: 'a', type: 'apiserver' }] })).toThrow(/source name "a" is used twice/);
    expect(plan({ interval: '200ms' })).toThrow(/collect interval 200ms: at least 1s/);
    expect(plan({}, { metricsUrl: ['etcd'] })).toThrow(/--metrics-url etcd: expected component=URL/);
    expect(plan({}, { metricsUrl: ['etcd=ftp://x'] })).toThrow(/is not http or https/);
    expect(plan({}, { metricsUrl: [], collectInterval: 'often' })).toThrow(/collect interval often: invalid duration/);
  });
});
