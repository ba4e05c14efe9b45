import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { POD_COLUMNS } from '../../src/measure/pods.js';
import { encodeHistogram, exactStats, histogramStatsMs, newLatencyHistogram } from '../../src/measure/stats.js';
import { FORMAT_VERSION, type Manifest, type Summary } from '../../src/results/format.js';
import { Random } from '../../src/util/random.js';

/**
 * Writes a result set with chosen distributions, in the format kbench run writes (the
 * types of src/results/format.ts), so the comparison can be tested against a known truth:
 * pod startup log-normal around `podStartupMs` (times `scale`), API POST latency around
 * `apiMs`.
 */
export function writeSyntheticResult(
  dir: string,
  o: { pods: number; podStartupMs?: number; scale?: number; apiMs?: number; apiShiftMs?: number; seed: number; workload?: string; resolved?: Record<string, unknown> },
): string {
  const rnd = new Random(o.seed);
  const logNormal = (median: number, sigma: number): number => {
    // Box-Muller from the seeded generator.
    const u = Math.max(1e-12, rnd.next());
    const v = rnd.next();
    return median * Math.exp(sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
  };
  mkdirSync(path.join(dir, 'histograms'), { recursive: true });
  const scale = o.scale ?? 1;
  const startup = Array.from({ length: o.pods }, () => logNormal(o.podStartupMs ?? 2000, 0.25) * scale);
  const t0 = Date.parse('2026-11-22T00:00:00Z');
  const rows = startup.map((ms, i) => {
    const sent = t0 + i * 10;
    const row: Record<string, string> = Object.fromEntries(POD_COLUMNS.map((c) => [c, '']));
    Object.assign(row, { namespace: 'ns', name: `pod-${i}`, uid: `uid-${i}`, phase: 'pods', node: 'node-1', create_sent: new Date(sent).toISOString(), running_seen: new Date(sent + ms).toISOString(), pod_startup_ms: ms.toFixed(3), start: 'create_sent' });
    return POD_COLUMNS.map((c) => row[c]);
  });
  writeFileSync(path.join(dir, 'pods.csv'), stringify(rows, { header: true, columns: [...POD_COLUMNS] }));

  const h = newLatencyHistogram();
  const apiCount = Math.max(o.pods, 1);
  for (let i = 0; i < apiCount; i++) h.recordValue(Math.round((logNormal(o.apiMs ?? 20, 0.3) + (o.apiShiftMs ?? 0)) * 1000));
  writeFileSync(path.join(dir, 'histograms/api-post-pods-resource.hdr'), encodeHistogram(h) + '\n');
  writeFileSync(path.join(dir, 'histograms/index.json'), JSON.stringify({ histograms: [{ file: 'api-post-pods-resource.hdr', unit: 'us', key: 'POST pods resource', of: 'call' }] }));

  const workload = o.workload ?? 'synthetic';
  const resolved = o.resolved ?? { name: workload, seed: 1, phases: [{ name: 'pods', create: { template: 'pod.yaml', count: o.pods } }] };
  const manifest: Manifest = {
    formatVersion: FORMAT_VERSION,
    kbenchVersion: '0.1.0',
    runId: `synthetic-${o.seed}`,
    mode: 'run',
    status: 'complete',
    startedAt: new Date(t0).toISOString(),
    endedAt: new Date(t0 + 60_000).toISOString(),
    workload: { name: workload, file: `/workloads/${workload}.yaml`, sha256: 'f'.repeat(64), resolved },
    args: ['run', `${workload}.yaml`],
    overrides: [],
    seed: 1,
    target: { kind: 'sim', server: 'https://127.0.0.1:1', context: 'kbench-sim', nodes: 10 },
    host: { node: 'v20', platform: 'linux/x64', cpus: 2, hostname: 'test' },
    measurements: ['pods', 'api', 'harness'],
    cleanup: { action: 'discard', message: 'none needed', namespaces: [] },
  };
  const stats = exactStats(startup)!;
  const summary: Summary = {
    formatVersion: FORMAT_VERSION,
    kbenchVersion: '0.1.0',
    workload,
    runId: manifest.runId,
    status: 'complete',
    startedAt: manifest.startedAt,
    endedAt: manifest.endedAt,
    durationS: 60,
    pods: {
      expected: o.pods,
      seen: o.pods,
      scheduled: o.pods,
      running: o.pods,
      ready: o.pods,
      deleted: 0,
      watch: { reconnects: 0, relists: 0 },
      phases: { pod_startup: { ...stats, unit: 'ms', clamped: 0, source: 'synthetic' } },
      starts: { create_sent: o.pods },
      percentiles: 'exact',
    },
    api: [
      {
        key: 'POST pods resource',
        verb: 'POST',
        resource: 'pods',
        subresource: '',
        scope: 'resource',
        count: apiCount,
        errors: {},
        failed: {},
        retries: 0,
        slowCount: 0,
        thresholdMs: 1000,
        latencyMs: { ...histogramStatsMs(h)!, unit: 'ms' },
      },
    ],
    phases: [{ name: 'pods', action: 'create', startedAt: t0, endedAt: t0 + 60_000, durationMs: 60_000, status: 'ok' }],
    harness: { peakRssMiB: 100, lagP99Ms: 5, lagMaxMs: 9, cpuMeanPct: 20, cpuMaxPct: 40, saturatedShare: 0, bottleneck: false },
    slo: [{ id: 'pod_startup_p99', description: 'Pod startup p99', side: 'client', threshold: 5000, unit: 'ms', comparison: '<=', value: stats.p99, verdict: stats.p99 <= 5000 ? 'pass' : 'fail' }],
    warnings: [],
  };
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(summary, null, 2));
  return dir;
}

export function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}
