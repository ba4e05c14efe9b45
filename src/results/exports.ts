import type { ServerPeriod } from '../collect/period.js';
import type { HistogramSummary, Reading } from '../collect/readings.js';
import type { ApiKeySummary, KeyRecord } from '../measure/api-latency.js';
import { LATE_READY, LATE_RUNNING, LATE_SCHEDULED, PHASES, type PhaseName, type PhaseSummary, podPhases, type PodRecord } from '../measure/pod-tracker.js';
import { encodeHistogram } from '../measure/stats.js';
import type { ResultSet } from './result-set.js';
import type { SloVerdict } from './slo.js';

function iso(ms: number): string {
  return ms ? new Date(ms).toISOString() : '';
}

function round(v: number | undefined, digits = 3): string {
  return v === undefined ? '' : String(Math.round(v * 10 ** digits) / 10 ** digits);
}

export const POD_COLUMNS = [
  'namespace',
  'name',
  'uid',
  'phase',
  'node',
  'create_sent',
  'created',
  'scheduled_server',
  'started_server',
  'ready_server',
  'first_seen',
  'scheduled_seen',
  'running_seen',
  'ready_seen',
  'deleted_seen',
  ...PHASES.map((p) => `${p}_ms`),
  'clamped',
  'late',
];

/** pods.csv: one row per pod, every timestamp (ISO, ms) and phase (ms). */
export async function writePodsCsv(rs: ResultSet, pods: Iterable<PodRecord>): Promise<number> {
  const rows: unknown[][] = [];
  for (const p of pods) {
    const ph = podPhases(p);
    const late = [p.late & LATE_SCHEDULED ? 'scheduled' : '', p.late & LATE_RUNNING ? 'running' : '', p.late & LATE_READY ? 'ready' : ''].filter(Boolean);
    rows.push([
      p.namespace,
      p.name,
      p.uid,
      p.phase,
      p.node,
      iso(p.createSent),
      iso(p.created),
      iso(p.scheduledServer),
      iso(p.startedServer),
      iso(p.readyServer),
      iso(p.firstSeen),
      iso(p.scheduledSeen),
      iso(p.runningSeen),
      iso(p.readySeen),
      iso(p.deletedSeen),
      ...PHASES.map((n) => round(ph[n])),
      ph.clamped.join(';'),
      late.join(';'),
    ]);
  }
  await rs.writeCsv('pods.csv', POD_COLUMNS, rows);
  return rows.length;
}

export const API_COLUMNS = ['key', 'verb', 'resource', 'subresource', 'scope', 'count', 'min_ms', 'p50_ms', 'p90_ms', 'p99_ms', 'max_ms', 'mean_ms', 'slow_count', 'threshold_ms', 'retries', 'errors', 'failed'];

function codes(m: Record<string, number>): string {
  return Object.entries(m)
    .map(([k, v]) => `${k}:${v}`)
    .join(';');
}

/** api.csv: one row per API key. */
export async function writeApiCsv(rs: ResultSet, api: ApiKeySummary[]): Promise<void> {
  await rs.writeCsv(
    'api.csv',
    API_COLUMNS,
    api.map((k) => [
      k.key,
      k.verb,
      k.resource,
      k.subresource,
      k.scope,
      k.count,
      round(k.latencyMs?.min),
      round(k.latencyMs?.p50),
      round(k.latencyMs?.p90),
      round(k.latencyMs?.p99),
      round(k.latencyMs?.max),
      round(k.latencyMs?.mean),
      k.slowCount,
      k.thresholdMs,
      k.retries,
      codes(k.errors),
      codes(k.failed),
    ]),
  );
}

function fileKey(s: string): string {
  return s.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase();
}

/** histograms/: every HDR histogram, compressed base64, with an index of what is where. */
export async function writeHistograms(rs: ResultSet, records: KeyRecord[], limiterWait: Parameters<typeof encodeHistogram>[0]): Promise<void> {
  const index: Record<string, { file: string; unit: string; key?: string }> = {};
  for (const r of records) {
    const name = `api-${fileKey(`${r.key.verb} ${r.key.resource} ${r.key.subresource} ${r.key.scope}`)}.hdr`;
    await rs.writeText(`histograms/${name}`, encodeHistogram(r.histogram) + '\n');
    index[name] = { file: name, unit: 'us', key: `${r.key.verb} ${r.key.resource}${r.key.subresource ? `/${r.key.subresource}` : ''} ${r.key.scope}` };
  }
  if (limiterWait.totalCount > 0) {
    await rs.writeText('histograms/limiter-wait.hdr', encodeHistogram(limiterWait) + '\n');
    index['limiter-wait.hdr'] = { file: 'limiter-wait.hdr', unit: 'us' };
  }
  await rs.writeJson('histograms/index.json', {
    format: 'HdrHistogram V2, compressed, base64 (hdr-histogram-js encodeIntoCompressedBase64)',
    histograms: Object.values(index),
  });
}

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** junit.xml: one test case per SLO, failed ones as failures, unavailable ones skipped. */
export async function writeJunit(rs: ResultSet, suite: string, verdicts: SloVerdict[], durationS: number): Promise<void> {
  const failures = verdicts.filter((v) => v.verdict === 'fail').length;
  const skipped = verdicts.filter((v) => v.verdict === 'unavailable').length;
  const cases = verdicts.map((v) => {
    const value = v.value === undefined ? 'unavailable' : `${round(v.value)} ${v.unit}`;
    const head = `  <testcase classname="kbench.slo.${v.side}" name="${xml(v.id)}" time="0">`;
    if (v.verdict === 'fail') return `${head}\n    <failure message="${xml(`${value} > ${v.threshold} ${v.unit}`)}">${xml(v.description)}: ${xml(value)}, threshold ${v.comparison} ${v.threshold} ${v.unit}</failure>\n  </testcase>`;
    if (v.verdict === 'unavailable') return `${head}\n    <skipped message="${xml(v.reason ?? 'unavailable')}"/>\n  </testcase>`;
    return `${head}</testcase>`;
  });
  await rs.writeText(
    'junit.xml',
    `<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="${xml(suite)}" tests="${verdicts.length}" failures="${failures}" skipped="${skipped}" time="${round(durationS)}">\n${cases.join('\n')}\n</testsuite>\n`,
  );
}

/**
 * clusterloader2's perfdata JSON, which perfdash reads: PodStartupLatency (one data item
 * per phase) and APIResponsiveness (one per API key), percentiles in ms.
 */
export async function writePerfdata(rs: ResultSet, name: string, stamp: string, phases: Record<PhaseName, PhaseSummary>, api: ApiKeySummary[]): Promise<void> {
  const pod = {
    version: 'v1',
    dataItems: PHASES.filter((n) => phases[n].stats).map((n) => ({
      data: { Perc50: phases[n].stats!.p50, Perc90: phases[n].stats!.p90, Perc99: phases[n].stats!.p99 },
      unit: 'ms',
      labels: { Metric: n },
    })),
  };
  const responsiveness = {
    version: 'v1',
    dataItems: api
      .filter((k) => k.latencyMs)
      .map((k) => ({
        data: { Perc50: k.latencyMs!.p50, Perc90: k.latencyMs!.p90, Perc99: k.latencyMs!.p99 },
        unit: 'ms',
        labels: { Count: String(k.count), Resource: k.resource, Scope: k.scope, Subresource: k.subresource, Verb: k.verb, SlowCount: String(k.slowCount) },
      })),
  };
  await rs.writeJson(`PodStartupLatency_${name}_${stamp}.json`, pod);
  await rs.writeJson(`APIResponsiveness_${name}_${stamp}.json`, responsiveness);
}

/**
 * Server-side measurements in the same perfdata form (clusterloader2's
 * APIResponsivenessPrometheus, etcd and scheduling items), when they were collected.
 */
export async function writeServerPerfdata(rs: ResultSet, name: string, stamp: string, run: ServerPeriod): Promise<void> {
  const item = (s: HistogramSummary, labels: Record<string, string>) => ({
    data: { Perc50: s.p50Ms, Perc90: s.p90Ms, Perc99: s.p99Ms },
    unit: 'ms',
    labels: { ...labels, Count: String(s.count) },
  });
  const lat = run.apiserver.latency;
  if (lat.ok) {
    await rs.writeJson(`APIResponsivenessPrometheus_${name}_${stamp}.json`, {
      version: 'v1',
      dataItems: lat.value.keys.map((k) => item(k, { Verb: k.verb, Resource: k.resource, Subresource: k.subresource, Scope: k.scope })),
    });
  }
  const histograms = (entries: [string, Reading<HistogramSummary>][]) =>
    entries.filter((e): e is [string, { ok: true; value: HistogramSummary }] => e[1].ok && e[1].value.count > 0).map(([metric, r]) => item(r.value, { Metric: metric }));
  const etcd = histograms([
    ['wal_fsync', run.etcd.walFsync],
    ['backend_commit', run.etcd.backendCommit],
  ]);
  if (etcd.length > 0) await rs.writeJson(`EtcdMetrics_${name}_${stamp}.json`, { version: 'v1', dataItems: etcd });
  const sched = histograms([
    ['scheduling_attempt', run.scheduler.attempt],
    ['pod_scheduling_sli', run.scheduler.podSchedulingSli],
  ]);
  if (sched.length > 0) await rs.writeJson(`SchedulingMetrics_${name}_${stamp}.json`, { version: 'v1', dataItems: sched });
}
