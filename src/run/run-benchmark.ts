import os from 'node:os';
import type { CollectConfig } from '../collect/config.js';
import { KubeClient } from '../cluster/kube-client.js';
import type { Connection } from '../cluster/target.js';
import type { RunContext } from '../load/actions/index.js';
import { newRunId, RUN_LABEL, SHARD_LABEL } from '../load/labels.js';
import { runPhases } from '../load/run-phases.js';
import type { Measurement, MeasureContext, SummaryPart } from '../measure/measurement.js';
import { clientNow } from '../measure/pod-tracker.js';
import { type ApiKeySummary, type CleanupReport, FORMAT_VERSION, type HealthSummary, type Manifest, type NamespaceCleanup, type PhaseResult, type RunStatus, type SloVerdict, type Summary, type TargetInfo } from '../results/format.js';
import { writeJunit } from '../results/junit.js';
import { ResultWriter } from '../results/writer.js';
import type { ResolvedWorkload } from '../spec/resolve.js';
import type { WorkloadSpec } from '../spec/schema.js';
import { Random, seedFrom } from '../util/random.js';
import { KBENCH_VERSION } from '../version.js';
import { cleanupReport, deleteRunNamespaces } from './cleanup.js';
import type { RunListener } from './events.js';
import { createMeasurements, enabledMeasurements } from './measurements.js';
import { NAMESPACE_READY_DEFAULTS, waitForDefaultServiceAccounts } from './namespace-ready.js';
import { createRunNamespaces } from './namespaces.js';
import { ServerHealth } from './server-health.js';
import { TimeseriesRecorder } from '../measure/timeseries.js';
import { adoptLostNamespaces, type ShardRun, shardCleanup, shardManifest } from './shard-run.js';

export interface RunOptions {
  workload: ResolvedWorkload;
  /** The spec as run (after --set), recorded in the manifest. */
  resolvedSpec: WorkloadSpec;
  connection: Connection;
  target: TargetInfo;
  outDir: string;
  /** delete: the run's namespaces go at the end; keep: --keep; discard: the target is a sim about to be stopped; none: nothing was created (kbench collect). */
  cleanup: CleanupReport['action'];
  /** How long the cleanup waits for the namespaces to be gone. */
  cleanupWaitMs: number;
  /** kbench collect: track the pods this selector matches that appear during the run, instead of the run's own. */
  measureOnly?: { podSelector: string };
  /** The command line, without secrets. */
  argv: string[];
  signal: AbortSignal;
  /** Aborted: the cleanup stops waiting for the namespaces to be gone (a signal during the wait). */
  cleanupSignal?: AbortSignal;
  listener: RunListener;
  /** The control-plane sources, bound to the target (undefined: --no-collect). */
  collect?: CollectConfig;
  /** How long the API server may fail everything before the run stops. */
  serverGraceMs: number;
  /** This run's place in a series (kbench run --repeat). */
  series?: Manifest['series'];
  /** One shard of a sharded run (kbench run --shard i/N): `workload` is already its share. */
  shard?: ShardRun;
}

export interface RunOutcome {
  status: RunStatus;
  dir: string;
  runId: string;
  verdicts: SloVerdict[];
  phases: PhaseResult[];
  harness?: HealthSummary;
  error?: string;
  warnings: string[];
  podCount: number;
  cleanup: CleanupReport;
  /** The run's API calls by key (when the api measurement was on). */
  api?: ApiKeySummary[];
}

/** Why a run stops before its phases are done (a dead server, the workload's timeout). */
export class RunStop extends Error {
  override readonly name = 'RunStop';
}

/** Merges the measurements' parts of summary.json (`collectors` is shared by two of them). */
function mergeParts(parts: SummaryPart[]): SummaryPart {
  const out: SummaryPart = {};
  for (const p of parts) {
    const { collectors, ...rest } = p;
    Object.assign(out, rest);
    if (collectors) out.collectors = { ...out.collectors, ...collectors, notes: [...(out.collectors?.notes ?? []), ...(collectors.notes ?? [])] };
  }
  if (out.collectors?.notes?.length === 0) delete out.collectors.notes;
  return out;
}

/**
 * One benchmark run, start to end: the result folder and its manifest, the run's
 * namespaces, the measurements (started before the first phase, told of each phase,
 * stopped after the last), the phases, then every measurement's part of the result set,
 * the SLO verdicts, the cleanup of what the run created, and the final manifest.
 */
export async function runBenchmark(o: RunOptions): Promise<RunOutcome> {
  const w = o.workload;
  const runId = o.shard?.runId ?? newRunId();
  const startedAt = new Date().toISOString();
  const stamp = startedAt.replace(/[-:]/g, '').replace(/\..*$/, 'Z');
  const info = (line: string): void => o.listener({ type: 'info', line });
  const out = await ResultWriter.create(o.outDir);
  const random = new Random(seedFrom(`${w.seed}`));
  const client = new KubeClient(o.connection, { random: () => random.next() });
  const ctx: MeasureContext = {
    runId,
    workload: w,
    client,
    out,
    info,
    podSelector: o.measureOnly ? o.measureOnly.podSelector : `${RUN_LABEL}=${runId}${o.shard ? `,${SHARD_LABEL}=${o.shard.ref.index}` : ''}`,
    ignoreExistingPods: !!o.measureOnly,
    stamp,
  };
  const ms = createMeasurements(ctx, enabledMeasurements(w.measurements, o.collect), o.collect);
  const manifest: Manifest = {
    formatVersion: FORMAT_VERSION,
    kbenchVersion: KBENCH_VERSION,
    runId,
    mode: o.measureOnly ? 'collect' : 'run',
    ...(o.measureOnly ? { podSelector: o.measureOnly.podSelector } : {}),
    status: 'running',
    startedAt,
    endedAt: '',
    workload: { name: w.name, file: w.file, sha256: w.sha256, resolved: o.resolvedSpec as unknown as Record<string, unknown> },
    args: o.argv,
    overrides: w.overrides,
    seed: w.seed,
    target: o.target,
    host: { node: process.version, platform: `${process.platform}/${process.arch}`, cpus: os.cpus().length, hostname: os.hostname() },
    measurements: ms.names,
    ...(o.series ? { series: o.series } : {}),
    ...(o.shard ? { shard: shardManifest(o.shard) } : {}),
  };
  await out.writeJson('manifest.json', manifest);
  o.listener({ type: 'run-start', runId, dir: out.dir });

  const namespaces = o.measureOnly ? [] : Array.from({ length: w.namespaceCount }, (_, i) => `${w.namespacePrefix}-${runId}-${i}`);
  // A shard creates (and deletes) namespace n when n mod N is its index; objects go where a single run puts them.
  const ownNamespaces = o.shard ? namespaces.filter((_, n) => n % o.shard!.ref.count === o.shard!.ref.index) : namespaces;
  const runCtx: RunContext = {
    client,
    runId,
    workload: w.name,
    namespaces,
    random: random.fork(),
    objects: new Map(),
    onLimiterWait: (ms_) => ms.api?.latency.recordLimiterWait(ms_),
    onCreateSent: (ns, name) => ms.pods?.tracker.noteCreateSent(ns, name, clientNow()),
    ...(o.shard ? { labels: { [SHARD_LABEL]: String(o.shard.ref.index) } } : {}),
  };

  const health = new ServerHealth(o.target.server, o.serverGraceMs, () => ms.pods?.tracker.health());
  client.addObserver(health);
  const stop = new AbortController();
  const timeout = setTimeout(() => stop.abort(new RunStop(`the run timed out after ${w.timeoutMs / 1000} s (timeout: in the workload)`)), w.timeoutMs);
  // Its own client: the probe is not one of the run's calls.
  const probe = new KubeClient(o.connection, { timeoutMs: 5000, maxRetries: 0 });
  let probing = false;
  let ticks = 0;
  const healthTimer = setInterval(() => {
    if (++ticks % 3 === 0 && !probing) {
      probing = true;
      void probe
        .call('GET', '/readyz', { accept: 'text/plain', retry: false })
        .then((r) => health.onReadyz(r.status, r.status === 200 ? '' : r.body.split('\n').filter((l) => l.startsWith('[-]')).join(' ') || r.body))
        .catch((e: Error) => health.onReadyz(undefined, e.message))
        .finally(() => (probing = false));
    }
    const why = health.check();
    if (why && !stop.signal.aborted) {
      info(why);
      stop.abort(new RunStop(why));
    }
  }, 1000);
  const signal = AbortSignal.any([o.signal, stop.signal]);
  const coordinator = o.shard?.coordinator;
  coordinator?.onLost((l) => {
    if (o.shard!.onLoss === 'fail') {
      if (!stop.signal.aborted) stop.abort(new RunStop(`${l.reason}; the run stops (--on-shard-loss fail)`));
    } else info(`${l.reason}; going on without it (--on-shard-loss continue)`);
  });
  const series = new TimeseriesRecorder(out, ms.all.flatMap((m) => (m.series ? [m.series] : [])));

  let status: RunStatus = 'complete';
  let error: string | undefined;
  let phases: PhaseResult[] = [];
  const warnings: string[] = [];
  const started: Measurement[] = [];
  const t0 = performance.now();
  try {
    // Measurements first: kbench's own set-up calls are timed with the workload's.
    for (const m of ms.all) {
      await m.start();
      started.push(m);
    }
    series.start();
    if (ownNamespaces.length > 0) {
      await createRunNamespaces(client, ownNamespaces, runId, w.name);
      const ready = await waitForDefaultServiceAccounts(client, ownNamespaces, { ...NAMESPACE_READY_DEFAULTS, signal });
      if (ready.warning) warnings.push(ready.warning);
    }
    let lastDone = 0;
    let lastAt = performance.now();
    let rate = 0;
    phases = await runPhases(
      w,
      runCtx,
      ms.pods?.tracker,
      {
        onPhaseStart: async (phase) => {
          // Every shard starts the phase together; a barrier that fails stops the run, and the phase says why.
          await coordinator
            ?.barrier(phase.index, phase.name, signal)
            .then(() => (phase.index === 0 ? adoptLostNamespaces(o.shard!, client, namespaces, runId, w.name) : undefined))
            .catch((e: Error) => {
              if (!stop.signal.aborted && !o.signal.aborted) stop.abort(new RunStop(e.message));
            });
          lastDone = 0;
          lastAt = performance.now();
          rate = 0;
          series.setPhase(phase.name);
          o.listener({ type: 'phase-start', phase, number: phase.index + 1, count: w.phases.length });
          for (const m of started) await m.phaseStart?.(phase);
        },
        onPhaseEnd: async (phase, r) => {
          series.phaseEnded();
          for (const m of started) await m.phaseEnd?.(phase, r);
          o.listener({ type: 'phase-end', phase, result: r });
        },
        onProgress: (phase, done, total) => {
          const now = performance.now();
          if (now - lastAt >= 1000) {
            rate = ((done - lastDone) * 1000) / (now - lastAt);
            lastDone = done;
            lastAt = now;
          }
          const cur = ms.pods?.tracker.current();
          o.listener({
            type: 'progress',
            view: {
              phase,
              phaseNumber: phase.index + 1,
              phaseCount: w.phases.length,
              done,
              total,
              elapsedMs: now - t0,
              ...(cur ? { pods: { seen: cur.seen, scheduled: cur.scheduled, running: cur.running, expected: w.expectedPods } } : {}),
              requestsPerS: rate,
            },
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
    else if (stop.signal.aborted) {
      status = 'failed';
      error = (stop.signal.reason as Error).message;
    }
  } catch (e) {
    status = o.signal.aborted ? 'interrupted' : 'failed';
    error = stop.signal.aborted ? (stop.signal.reason as Error).message : (e as Error).message;
  }
  clearTimeout(timeout);
  clearInterval(healthTimer);
  await coordinator?.finish(status, status === 'complete' && phases.length === w.phases.length, error);
  series.stop();
  for (const m of started) {
    try {
      await m.stop();
    } catch (e) {
      warnings.push(`measurement ${m.name} did not stop cleanly: ${(e as Error).message}`);
    }
  }

  // Results: everything measured so far, even when the run was cut short.
  const parts: SummaryPart[] = [];
  let verdicts: SloVerdict[] = [];
  let writeError: string | undefined;
  for (const m of started) {
    try {
      const r = await m.finish();
      parts.push(r.summary);
      verdicts = [...verdicts, ...r.verdicts];
      warnings.push(...r.warnings);
    } catch (e) {
      warnings.push(`measurement ${m.name} could not write its results: ${(e as Error).message}`);
      writeError ??= `measurement ${m.name}: ${(e as Error).message}`;
    }
  }
  const part = mergeParts(parts);
  for (const p of phases) {
    if (p.operations?.failed) warnings.push(`phase ${p.name}: ${p.operations.failed} of ${p.operations.planned} operations failed (the first: ${p.operations.firstError ?? 'no answer'})`);
  }
  for (const l of coordinator?.lost() ?? []) {
    warnings.push(`${l.reason} (noticed during ${l.during}); ${o.shard!.onLoss === 'continue' ? `the run went on without it (--on-shard-loss continue): shard ${l.index}'s share of the workload is not in this run` : 'the run stopped'}`);
  }
  const endedAt = new Date().toISOString();
  const durationS = (performance.now() - t0) / 1000;
  const podCount = ms.pods?.tracker.size ?? 0;
  if (writeError && status === 'complete') {
    status = 'failed';
    error = `the result set could not be written whole (${writeError})`;
  }
  const summary: Summary = {
    formatVersion: FORMAT_VERSION,
    kbenchVersion: KBENCH_VERSION,
    workload: w.name,
    runId,
    status,
    ...(error ? { error } : {}),
    startedAt,
    endedAt,
    durationS,
    ...part,
    phases,
    slo: verdicts,
    warnings,
  };
  try {
    await writeJunit(out, `kbench-${w.name}`, verdicts, durationS);
    await out.writeJson('summary.json', summary);
    await out.close();
  } catch (e) {
    status = 'failed';
    error = `the result set could not be written (${(e as Error).message}); it is incomplete`;
  }

  // Cleanup: only this run's namespaces (and with them everything the run created).
  const waitMs = o.cleanup === 'delete' ? o.cleanupWaitMs : 0;
  let cleanup: CleanupReport;
  if (o.cleanup === 'delete' && namespaces.length > 0) o.listener({ type: 'cleanup-start', namespaces: namespaces.length, waitMs });
  const wait = { waitMs, ...(o.cleanupSignal ? { signal: o.cleanupSignal } : {}) };
  if (o.shard) {
    cleanup = await shardCleanup(o.shard, { client, namespaces, status, action: o.cleanup, ...wait, info });
  } else if (o.cleanup === 'delete') {
    cleanup = await deleteRunNamespaces(client, namespaces, runId, wait);
  } else {
    cleanup = cleanupReport(o.cleanup, o.cleanup === 'keep' ? namespaces.map((name): NamespaceCleanup => ({ name, result: 'kept' })) : [], runId, 0);
  }
  await client.close();
  await probe.close();
  try {
    await out.writeJson('manifest.json', { ...manifest, ...(o.shard ? { shard: shardManifest(o.shard) } : {}), status, endedAt, ...(error ? { error } : {}), cleanup } satisfies Manifest);
  } catch (e) {
    error = `${error ? `${error}; ` : ''}manifest.json could not be written (${(e as Error).message}): the folder still says the run is running`;
    status = 'failed';
  }
  return { status, dir: out.dir, runId, verdicts, phases, ...(part.harness ? { harness: part.harness } : {}), ...(error ? { error } : {}), warnings, podCount, cleanup, ...(part.api ? { api: part.api } : {}) };
}
