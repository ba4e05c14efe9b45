import { randomBytes } from 'node:crypto';
import pLimit from 'p-limit';
import os from 'node:os';
import type { RunCollectors } from '../collect/collector.js';
import type { ServerPeriod } from '../collect/period.js';
import { KubeClient } from '../cluster/kube-client.js';
import type { Connection } from '../cluster/target.js';
import { RUN_LABEL, type RunContext, WORKLOAD_LABEL } from '../load/actions.js';
import { type PhaseResult, runPhases } from '../load/run-phases.js';
import { ApiLatency } from '../measure/api-latency.js';
import { HarnessHealth, type HealthSummary } from '../measure/harness-health.js';
import { clientNow, phaseSummaries, PodTracker } from '../measure/pod-tracker.js';
import { histogramStatsMs } from '../measure/stats.js';
import { writeApiCsv, writeHistograms, writeJunit, writePerfdata, writePodsCsv, writeServerPerfdata } from '../results/exports.js';
import { ResultSet } from '../results/result-set.js';
import { clientVerdicts, type SloVerdict } from '../results/slo.js';
import type { ResolvedPhase, ResolvedWorkload } from '../spec/resolve.js';
import type { WorkloadSpec } from '../spec/schema.js';
import { Random, seedFrom } from '../util/random.js';
import { KBENCH_VERSION } from '../version.js';
import { NAMESPACE_READY_DEFAULTS, waitForDefaultServiceAccounts } from './namespace-ready.js';
import { TimeseriesRecorder } from './timeseries.js';

export type RunStatus = 'running' | 'complete' | 'interrupted' | 'failed';

export interface TargetInfo {
  kind: 'cluster' | 'sim';
  server: string;
  context: string;
  kubeconfig?: string;
  serverVersion?: string;
  nodes?: number;
  sim?: Record<string, unknown>;
  /** A real control plane on this machine (kbench cluster): versions, settings, endpoints. */
  localCluster?: Record<string, unknown>;
  /** Why kbench is on the sim ("--sim", "no kubeconfig found"). */
  note?: string;
}

export interface RunReporter {
  info(line: string): void;
  progress(view: ProgressView): void;
}

export interface ProgressView {
  phase: ResolvedPhase;
  phaseNumber: number;
  phaseCount: number;
  done: number;
  total: number;
  elapsedMs: number;
  phaseElapsedMs: number;
  pods: { seen: number; scheduled: number; running: number; expected: number };
  podStartupP99Ms?: number;
  requestsPerS: number;
}

export interface RunOptions {
  workload: ResolvedWorkload;
  /** The spec as run (after --set), recorded in the manifest. */
  resolvedSpec: WorkloadSpec;
  connection: Connection;
  target: TargetInfo;
  outDir: string;
  /** delete: the run's namespaces go at the end; keep: --keep; discard: the target is a sim about to be stopped; none: nothing was created (kbench collect). */
  cleanup: 'delete' | 'keep' | 'discard' | 'none';
  /** kbench collect: track the pods this selector matches that appear during the run, instead of the run's own. */
  measureOnly?: { podSelector: string };
  argv: string[];
  signal: AbortSignal;
  reporter: RunReporter;
  collectors?: RunCollectors;
}

export interface RunOutcome {
  status: RunStatus;
  dir: string;
  runId: string;
  verdicts: SloVerdict[];
  phases: PhaseResult[];
  harness: HealthSummary;
  error?: string;
  warnings: string[];
  podCount: number;
}

function newRunId(): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', 't').toLowerCase();
  return `${t}-${randomBytes(3).toString('hex')}`;
}

/**
 * One benchmark run, start to end: the run's namespaces, the pod tracker, the phases, the
 * per-second time series, then the result set (summary, pods, API latency, histograms,
 * SLO verdicts, junit and perfdata) and the cleanup of what the run created.
 */
export async function runBenchmark(o: RunOptions): Promise<RunOutcome> {
  const w = o.workload;
  const runId = newRunId();
  const startedAt = new Date().toISOString();
  const rs = await ResultSet.create(o.outDir);
  const manifest = {
    kbenchVersion: KBENCH_VERSION,
    runId,
    mode: o.measureOnly ? 'collect' : 'run',
    ...(o.measureOnly ? { podSelector: o.measureOnly.podSelector } : {}),
    status: 'running' as RunStatus,
    startedAt,
    endedAt: '',
    workload: { name: w.name, file: w.file, sha256: w.sha256, resolved: o.resolvedSpec },
    args: o.argv,
    overrides: w.overrides,
    seed: w.seed,
    target: o.target,
    host: { node: process.version, platform: `${process.platform}/${process.arch}`, cpus: os.cpus().length, hostname: os.hostname() },
  };
  await rs.writeJson('manifest.json', manifest);

  const random = new Random(seedFrom(`${w.seed}`));
  const api = new ApiLatency({
    mutating: w.slo.mutatingApiP99Ms,
    resource: w.slo.readResourceApiP99Ms,
    namespace: w.slo.readNamespaceApiP99Ms,
    cluster: w.slo.readClusterApiP99Ms,
  });
  const client = new KubeClient(o.connection, { observer: api, random: () => random.next() });
  const tracker = o.measureOnly
    ? new PodTracker(client, o.measureOnly.podSelector, (l) => o.reporter.info(l), { ignoreExisting: true })
    : new PodTracker(client, `${RUN_LABEL}=${runId}`, (l) => o.reporter.info(l));
  const health = new HarnessHealth();
  const series = new TimeseriesRecorder(rs, tracker, api, health);
  const namespaces = Array.from({ length: w.namespaceCount }, (_, i) => `${w.namespacePrefix}-${runId}-${i}`);
  const ctx: RunContext = {
    client,
    runId,
    workload: w.name,
    namespaces,
    random: random.fork(),
    objects: new Map(),
    onLimiterWait: (ms) => api.recordLimiterWait(ms),
    onCreateSent: (ns, name) => tracker.noteCreateSent(ns, name, clientNow()),
  };

  const timeout = AbortSignal.timeout(w.timeoutMs);
  const signal = AbortSignal.any([o.signal, timeout]);
  let status: RunStatus = 'complete';
  let error: string | undefined;
  let phases: PhaseResult[] = [];
  const warnings: string[] = [];
  const t0 = performance.now();
  let collectTimer: NodeJS.Timeout | undefined;
  health.start();
  try {
    for (const ns of namespaces) {
      const res = await client.call('POST', '/api/v1/namespaces', {
        body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { [RUN_LABEL]: runId, [WORKLOAD_LABEL]: w.name } } },
      });
      // A retried create whose first attempt went through finds its own namespace there.
      if (res.status === 409) {
        const existing = await client.json<{ metadata: { labels?: Record<string, string> } }>('GET', `/api/v1/namespaces/${ns}`);
        if (existing.metadata.labels?.[RUN_LABEL] !== runId) throw new Error(`namespace ${ns} already exists and is not this run's`);
      } else if (res.status < 200 || res.status >= 300) {
        throw new Error(`cannot create namespace ${ns}: ${res.status} ${res.body.slice(0, 300)}`);
      }
    }
    const ready = await waitForDefaultServiceAccounts(client, namespaces, { ...NAMESPACE_READY_DEFAULTS, signal });
    if (ready.warning) warnings.push(ready.warning);
    tracker.start();
    await tracker.synced;
    series.start();
    if (o.collectors) {
      await o.collectors.start(rs);
      const c = o.collectors;
      collectTimer = setInterval(() => void c.sample().catch(() => undefined), c.intervalMs);
    }
    const progressState = { lastDone: 0, lastAt: performance.now(), rate: 0 };
    phases = await runPhases(
      w,
      ctx,
      tracker,
      {
        onPhaseStart: async (phase) => {
          progressState.lastDone = 0;
          progressState.lastAt = performance.now();
          progressState.rate = 0;
          series.setPhase(phase.name);
          o.reporter.info(`phase ${phase.index + 1}/${w.phases.length} ${phase.name} (${phase.action}) started`);
          await o.collectors?.phaseStart(phase.name);
        },
        onPhaseEnd: async (phase, r) => {
          series.phaseEnded();
          await o.collectors?.phaseEnd(phase.name);
          const ops = r.operations ? `: ${r.operations.succeeded}/${r.operations.planned} ok${r.operations.failed ? `, ${r.operations.failed} failed` : ''}${r.operations.skipped ? `, ${r.operations.skipped} skipped` : ''}` : '';
          o.reporter.info(`phase ${phase.name} ${r.status} in ${(r.durationMs / 1000).toFixed(1)} s${ops}${r.error ? ` (${r.error})` : ''}`);
        },
        onProgress: (phase, done, total) => {
          const now = performance.now();
          if (now - progressState.lastAt >= 1000) {
            progressState.rate = ((done - progressState.lastDone) * 1000) / (now - progressState.lastAt);
            progressState.lastDone = done;
            progressState.lastAt = now;
          }
          const cur = tracker.current();
          o.reporter.progress({
            phase,
            phaseNumber: phase.index + 1,
            phaseCount: w.phases.length,
            done,
            total,
            elapsedMs: now - t0,
            phaseElapsedMs: now - t0,
            pods: { seen: cur.seen, scheduled: cur.scheduled, running: cur.running, expected: w.expectedPods },
            requestsPerS: progressState.rate,
          });
        },
      },
      signal,
      clientNow,
    );
    const failed = phases.find((p) => p.status === 'failed');
    if (failed) {
      status = 'failed';
      error = failed.error;
    }
    if (o.signal.aborted) status = 'interrupted';
    else if (timeout.aborted) {
      status = 'failed';
      error = `the run timed out after ${w.timeoutMs / 1000} s (timeout: in the workload)`;
    }
  } catch (e) {
    status = o.signal.aborted ? 'interrupted' : 'failed';
    error = (e as Error).message;
  }
  if (collectTimer) clearInterval(collectTimer);
  series.stop();
  health.stop();
  await tracker.stop();

  // Results: everything measured so far, even when the run was cut short.
  const podPhaseSummary = phaseSummaries(tracker.pods());
  const apiSummary = api.summary();
  let verdicts = clientVerdicts(w.slo, podPhaseSummary, apiSummary);
  let collected: Record<string, unknown> | undefined;
  let serverRun: ServerPeriod | undefined;
  if (o.collectors) {
    try {
      const c = await o.collectors.finish();
      collected = c.summary;
      serverRun = c.run;
      verdicts = [...verdicts, ...c.verdicts];
      warnings.push(...c.warnings);
    } catch (e) {
      warnings.push(`collectors failed: ${(e as Error).message}`);
    }
  }
  const harness = health.summary();
  if (harness.bottleneck && harness.reason) warnings.push(harness.reason);
  const endedAt = new Date().toISOString();
  const durationS = (performance.now() - t0) / 1000;
  const unit = (stats: object | undefined, u: string): object | undefined => (stats ? { ...stats, unit: u } : undefined);
  const podCount = await writePodsCsv(rs, tracker.pods());
  await writeApiCsv(rs, apiSummary);
  await writeHistograms(rs, api.records(), api.limiterWait);
  await writeJunit(rs, `kbench-${w.name}`, verdicts, durationS);
  const stamp = startedAt.replace(/[-:]/g, '').replace(/\..*$/, 'Z');
  await writePerfdata(rs, w.name, stamp, podPhaseSummary, apiSummary);
  if (serverRun) await writeServerPerfdata(rs, w.name, stamp, serverRun);
  const totals = tracker.totals;
  await rs.writeJson('summary.json', {
    kbenchVersion: KBENCH_VERSION,
    workload: w.name,
    runId,
    status,
    ...(error ? { error } : {}),
    startedAt,
    endedAt,
    durationS,
    pods: {
      expected: w.expectedPods,
      seen: totals.seen,
      scheduled: totals.scheduled,
      running: totals.running,
      ready: totals.ready,
      deleted: totals.deleted,
      watch: { reconnects: tracker.reconnects, relists: tracker.relists },
      phases: Object.fromEntries(
        Object.entries(podPhaseSummary).map(([k, v]) => [k, { ...(unit(v.stats, 'ms') ?? { count: 0, unit: 'ms' }), clamped: v.clamped, source: v.source }]),
      ),
      percentiles: 'exact, nearest rank over every pod (pods.csv has each value)',
    },
    api: apiSummary.map((k) => ({ ...k, latencyMs: unit(k.latencyMs, 'ms') })),
    apiPercentiles: 'HDR histograms, 1 us resolution, 3 significant digits (0.1% precision); latency excludes the wait on kbench\'s own rate limiter',
    limiterWaitMs: unit(histogramStatsMs(api.limiterWait), 'ms') ?? { count: 0, unit: 'ms' },
    phases,
    harness,
    ...(collected ? { collectors: collected } : {}),
    slo: verdicts,
    warnings,
  });

  // Cleanup: only this run's namespaces (and with them everything the run created).
  if (o.cleanup === 'delete') {
    const limit = pLimit(10);
    await Promise.all(
      namespaces.map((ns) => limit(() => client.call('DELETE', `/api/v1/namespaces/${ns}`, { body: { propagationPolicy: 'Background' } }).catch(() => undefined))),
    );
  }
  await client.close();
  await rs.close();
  await rs.writeJson('manifest.json', { ...manifest, status, endedAt, ...(error ? { error } : {}), cleanup: {
      delete: 'namespaces deleted',
      keep: 'kept (--keep)',
      discard: 'none needed: the sim and everything in it were discarded',
      none: 'none needed: nothing was created',
    }[o.cleanup] });
  return { status, dir: rs.dir, runId, verdicts, phases, harness, ...(error ? { error } : {}), warnings, podCount };
}

