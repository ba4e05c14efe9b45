import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { workloadMismatch } from '../compare/compatibility.js';
import type { RequestKey } from '../cluster/request-key.js';
import { apiCsvRows, apiPerfdata, apiVerdicts, apiWarnings, API_COLUMNS, PERCENTILES as API_PERCENTILES, writeApiHistograms } from '../measure/api.js';
import { type KeyRecord, keySummary } from '../measure/api-latency.js';
import { summarizePhases } from '../measure/pod-phases.js';
import { POD_COLUMNS, podStartupPerfdata, podStartupVerdict } from '../measure/pods.js';
import { histogramStatsMs, newLatencyHistogram } from '../measure/stats.js';
import { KBENCH_VERSION } from '../version.js';
import { DEFAULT_SLO } from '../spec/resolve.js';
import {
  FORMAT_VERSION,
  type HealthSummary,
  type Manifest,
  POD_PHASE_NAMES,
  type PhaseResult,
  type PodPhaseName,
  type PodsSummary,
  type PodStart,
  type RunStatus,
  type ShardInfo,
  type SloVerdict,
  type Summary,
} from './format.js';
import { writeJunit } from './junit.js';
import { mergeTimeseries } from './merge-series.js';
import { readManifest, ResultFolder, ResultFolderError } from './reader.js';
import { ResultWriter } from './writer.js';

/** Result sets that cannot be merged (not shards, of different runs or workloads, a shard twice or missing): bad input. */
export class MergeRefused extends Error {}

/** One shard's result folder; `folder` is undefined for a shard killed before it wrote its summary. */
export interface ShardSource {
  dir: string;
  manifest: Manifest;
  folder?: ResultFolder;
}

export function openShard(dir: string): ShardSource {
  try {
    const folder = ResultFolder.open(dir);
    return { dir: folder.dir, manifest: folder.manifest, folder };
  } catch (e) {
    if (!(e instanceof ResultFolderError)) throw e;
    let manifest: Manifest;
    try {
      manifest = readManifest(dir);
    } catch {
      throw new MergeRefused(e.message);
    }
    // What a killed shard leaves: a manifest that still says running (or interrupted, after a
    // second SIGINT), and no summary.
    if ((manifest.status === 'running' || manifest.status === 'interrupted') && !existsSync(path.join(dir, 'summary.json'))) return { dir: path.resolve(dir), manifest };
    throw new MergeRefused(e.message);
  }
}

export interface MergePlan {
  runId: string;
  count: number;
  shards: Map<number, ShardSource>;
  /** Indices with no result set at all (only with allowMissing). */
  missing: number[];
}

/** Checks the shards belong together; refuses with every reason a user can act on. */
export function planMerge(sources: readonly ShardSource[], o: { allowMissing: boolean }): MergePlan {
  if (sources.length === 0) throw new MergeRefused('name the result folders of the shards to merge');
  const notShard = sources.find((s) => !s.manifest.shard);
  if (notShard) throw new MergeRefused(`${notShard.dir} is not the result set of a shard (kbench run --shard i/N): its manifest has no shard. kbench merge combines the shards of one sharded run`);
  const first = sources[0]!;
  const runId = first.manifest.runId;
  const count = first.manifest.shard!.count;
  const shards = new Map<number, ShardSource>();
  for (const s of sources) {
    const sh = s.manifest.shard!;
    if (s.manifest.runId !== runId) throw new MergeRefused(`${s.dir} is shard ${sh.index} of run ${s.manifest.runId}, and ${first.dir} is of run ${runId}: only the shards of one run merge`);
    if (sh.count !== count) throw new MergeRefused(`${s.dir} is shard ${sh.index} of ${sh.count}, and ${first.dir} of ${count}: the shards of one run all have the same count`);
    const mismatch = workloadMismatch(first.manifest, s.manifest);
    if (mismatch) throw new MergeRefused(`${first.dir} and ${s.dir} ran different workloads (${mismatch.replace(/\bA\b/, 'the first').replace(/\bB\b/, 'the other')}): only the shards of one run merge`);
    const dup = shards.get(sh.index);
    if (dup) throw new MergeRefused(`two result sets of shard ${sh.index}: ${dup.dir} and ${s.dir}; give each shard once`);
    shards.set(sh.index, s);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !shards.has(i));
  if (missing.length > 0 && !o.allowMissing) {
    throw new MergeRefused(
      `shard${missing.length === 1 ? '' : 's'} ${missing.join(', ')} of ${count} of run ${runId} ${missing.length === 1 ? 'is' : 'are'} missing: give every shard's result set (a killed shard leaves a folder whose manifest says running: give that too), or --allow-missing to merge the others into a result set marked failed`,
    );
  }
  return { runId, count, shards, missing };
}

export interface MergeOutcome {
  dir: string;
  status: RunStatus;
  error?: string;
  verdicts: SloVerdict[];
  warnings: string[];
  podCount: number;
  shards: ShardInfo[];
}

const STATUS_RANK: Record<RunStatus, number> = { complete: 0, interrupted: 1, failed: 2, running: 3 };

function worst<T extends string>(values: T[], rank: Record<T, number>, dflt: T): T {
  return values.reduce((a, b) => (rank[b] > rank[a] ? b : a), dflt);
}

/** What each shard contributed, and why a shard's share is missing or partial. */
function shardInfos(plan: MergePlan): ShardInfo[] {
  const lostBy = new Map<number, string>();
  for (const s of plan.shards.values()) for (const l of s.manifest.shard!.lost) if (!lostBy.has(l.index)) lostBy.set(l.index, `shard ${s.manifest.shard!.index} lost it during ${l.during}: ${l.reason}`);
  const out: ShardInfo[] = [];
  for (let i = 0; i < plan.count; i++) {
    const s = plan.shards.get(i);
    if (!s) {
      out.push({ index: i, runId: plan.runId, status: 'failed', from: '', missing: `no result set${lostBy.has(i) ? `; ${lostBy.get(i)}` : ''}` });
      continue;
    }
    const info: ShardInfo = { index: i, runId: plan.runId, status: s.manifest.status, from: path.basename(s.dir), hostname: s.manifest.host.hostname };
    if (!s.folder) info.missing = `${s.manifest.status === 'running' ? 'killed before it wrote its results (its manifest says running' : `stopped before it wrote its results (${s.manifest.error ?? 'its manifest says interrupted'};`} it has no summary.json): nothing of it is merged`;
    else if (s.manifest.status !== 'complete') info.missing = `its run ended ${s.manifest.status}${s.manifest.error ? `: ${s.manifest.error}` : ''}; what it measured is merged`;
    else if (lostBy.has(i)) info.missing = `${lostBy.get(i)}; its own result set is complete and merged`;
    if (s.folder?.summary.harness) info.harness = s.folder.summary.harness;
    out.push(info);
  }
  return out;
}

/**
 * The shards' pods: pods.csv files to concatenate (read through the reader's typed
 * columns, which also checks every row), each phase's samples of all pods, and the counts
 * the shards' summaries keep (clamped values, where each pod's clock started) summed.
 */
function podsOf(folders: readonly ResultFolder[]): { files: string[]; count: number; summary?: PodsSummary } {
  const samples = Object.fromEntries(POD_PHASE_NAMES.map((n) => [n, [] as number[]])) as Record<PodPhaseName, number[]>;
  const clamped = Object.fromEntries(POD_PHASE_NAMES.map((n) => [n, 0])) as Record<PodPhaseName, number>;
  const starts: Partial<Record<PodStart, number>> = {};
  const files: string[] = [];
  let count = 0;
  const withPods = folders.filter((f) => f.summary.pods);
  for (const f of withPods) {
    const header = f.podHeader();
    if (header.length === 0) continue;
    if (header.join(',') !== POD_COLUMNS.join(',')) {
      throw new MergeRefused(`${f.dir}: pods.csv has the columns ${header.join(',')}, this kbench writes ${POD_COLUMNS.join(',')}: merge the shards with the kbench version that ran them`);
    }
    files.push(f.file('pods.csv'));
    count += f.podColumn('create_sent').length;
    for (const n of POD_PHASE_NAMES) for (const v of f.podSamples(n)) samples[n].push(v);
    const p = f.summary.pods!;
    for (const n of POD_PHASE_NAMES) clamped[n] += p.phases[n]?.clamped ?? 0;
    for (const [k, v] of Object.entries(p.starts) as [PodStart, number][]) starts[k] = (starts[k] ?? 0) + v;
  }
  if (withPods.length === 0) return { files, count };
  const sum = (k: 'expected' | 'seen' | 'scheduled' | 'running' | 'ready' | 'deleted'): number => withPods.reduce((n, f) => n + f.summary.pods![k], 0);
  return {
    files,
    count,
    summary: {
      expected: sum('expected'),
      seen: sum('seen'),
      scheduled: sum('scheduled'),
      running: sum('running'),
      ready: sum('ready'),
      deleted: sum('deleted'),
      watch: { reconnects: withPods.reduce((n, f) => n + f.summary.pods!.watch.reconnects, 0), relists: withPods.reduce((n, f) => n + f.summary.pods!.watch.relists, 0) },
      ...summarizePhases(samples, clamped, starts),
      percentiles: withPods[0]!.summary.pods!.percentiles,
    },
  };
}

function add(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/** Every request key's histograms added exactly (HDR histograms merge without loss), its counters summed. */
function apiOf(folders: readonly ResultFolder[]): { records: KeyRecord[]; limiterWait: ReturnType<typeof newLatencyHistogram> } {
  const records = new Map<string, KeyRecord>();
  const limiterWait = newLatencyHistogram();
  for (const f of folders) {
    const entries = f.histogramEntries();
    for (const k of f.summary.api ?? []) {
      let r = records.get(k.key);
      if (!r) {
        const key: RequestKey = { verb: k.verb, resource: k.resource, subresource: k.subresource, scope: k.scope as RequestKey['scope'] };
        r = { key, histogram: newLatencyHistogram(), lastAttempt: newLatencyHistogram(), count: 0, errors: {}, failed: {}, retries: 0, slowCount: 0, thresholdMs: k.thresholdMs };
        records.set(k.key, r);
      }
      r.count += k.count;
      r.retries += k.retries;
      r.slowCount += k.slowCount;
      add(r.errors, k.errors);
      add(r.failed, k.failed);
      const call = entries.find((e) => e.key === k.key && e.of === 'call');
      const last = entries.find((e) => e.key === k.key && e.of === 'last-attempt');
      if (call) r.histogram.add(f.histogram(call.file));
      // A shard without retries on this key wrote no last-attempt histogram: each call was its one attempt.
      if (last) r.lastAttempt.add(f.histogram(last.file));
      else if (call) r.lastAttempt.add(f.histogram(call.file));
    }
    const wait = entries.find((e) => e.of === 'limiter-wait');
    if (wait) limiterWait.add(f.histogram(wait.file));
  }
  return { records: [...records.values()].sort((a, b) => (keySummary(a).key < keySummary(b).key ? -1 : 1)), limiterWait };
}

/** The phases as the whole run ran them: first start to last end, operations summed, the worst status. */
function phasesOf(folders: readonly ResultFolder[], warnings: string[]): PhaseResult[] {
  const count = Math.max(0, ...folders.map((f) => f.summary.phases.length));
  const out: PhaseResult[] = [];
  for (let i = 0; i < count; i++) {
    const parts = folders.map((f) => f.summary.phases[i]).filter((p): p is PhaseResult => p !== undefined);
    const first = parts[0]!;
    const startedAt = Math.min(...parts.map((p) => p.startedAt));
    const endedAt = Math.max(...parts.map((p) => p.endedAt));
    const status = worst(
      parts.map((p) => p.status),
      { ok: 0, interrupted: 1, failed: 2 },
      'ok',
    );
    const r: PhaseResult = { name: first.name, action: first.action, startedAt, endedAt, durationMs: endedAt - startedAt, status };
    const error = parts.find((p) => p.error)?.error;
    if (error) r.error = error;
    const ops = parts.filter((p) => p.operations).map((p) => p.operations!);
    if (ops.length > 0) {
      const sum = (k: 'planned' | 'started' | 'succeeded' | 'failed' | 'skipped'): number => ops.reduce((n, o) => n + o[k], 0);
      const firstError = ops.find((o) => o.firstError)?.firstError;
      r.operations = { planned: sum('planned'), started: sum('started'), succeeded: sum('succeeded'), failed: sum('failed'), skipped: sum('skipped'), ...(firstError ? { firstError } : {}) };
    }
    const late = parts.filter((p) => p.intendedLatencyMs).map((p) => p.intendedLatencyMs!);
    if (late.length === 1) r.intendedLatencyMs = late[0]!;
    else if (late.length > 1) {
      // Only each shard's summary is kept: count, min, max and mean combine exactly; a
      // quantile of the union is at most the highest shard's, which is what is given.
      const n = late.reduce((a, s) => a + s.count, 0);
      r.intendedLatencyMs = {
        count: n,
        min: Math.min(...late.map((s) => s.min)),
        p50: Math.max(...late.map((s) => s.p50)),
        p90: Math.max(...late.map((s) => s.p90)),
        p99: Math.max(...late.map((s) => s.p99)),
        max: Math.max(...late.map((s) => s.max)),
        mean: Math.round((late.reduce((a, s) => a + s.mean * s.count, 0) / n) * 1000) / 1000,
      };
      warnings.push(`phase ${first.name}: the open-loop lateness percentiles (intendedLatencyMs) are the highest shard's, an upper bound of the whole run's; count, min, max and mean are exact`);
    }
    const waits = parts.filter((p) => p.wait).map((p) => p.wait!);
    if (waits.length > 0) r.wait = { for: waits[0]!.for, target: waits.reduce((n, w) => n + w.target, 0), reached: waits.reduce((n, w) => n + w.reached, 0) };
    out.push(r);
  }
  return out;
}

/** The harness of the merged run: the worst shard process's, naming it. */
function harnessOf(shards: readonly { index: number; f: ResultFolder }[]): HealthSummary | undefined {
  const hs = shards.filter((s) => s.f.summary.harness).map((s) => ({ index: s.index, h: s.f.summary.harness! }));
  if (hs.length === 0) return undefined;
  const max = (k: 'peakRssMiB' | 'lagP99Ms' | 'lagMaxMs' | 'cpuMeanPct' | 'cpuMaxPct' | 'saturatedShare'): number => Math.max(...hs.map((x) => x.h[k]));
  const bottleneck = hs.filter((x) => x.h.bottleneck);
  return {
    peakRssMiB: max('peakRssMiB'),
    lagP99Ms: max('lagP99Ms'),
    lagMaxMs: max('lagMaxMs'),
    cpuMeanPct: max('cpuMeanPct'),
    cpuMaxPct: max('cpuMaxPct'),
    saturatedShare: max('saturatedShare'),
    bottleneck: bottleneck.length > 0,
    ...(bottleneck.length > 0 ? { reason: bottleneck.map((x) => `shard ${x.index}: ${x.h.reason ?? 'saturated'}`).join('; ') } : {}),
  };
}

/** Files the merge writes itself; everything else of the collecting shard is copied as it is. */
const REBUILT = [/^manifest\.json$/, /^summary\.json$/, /^pods\.csv$/, /^api\.csv$/, /^timeseries\.csv$/, /^histograms\//, /^junit\.xml$/, /^report\.html$/, /^comparison\./, /^PodStartupLatency_/, /^APIResponsiveness_(?!Prometheus)/];

async function copyCollectorFiles(from: ResultFolder, out: ResultWriter): Promise<void> {
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(path.join(from.dir, rel), { withFileTypes: true })) {
      const name = rel ? `${rel}/${e.name}` : e.name;
      if (REBUILT.some((r) => r.test(name))) continue;
      if (e.isDirectory()) await walk(name);
      else {
        await mkdir(path.dirname(out.file(name)), { recursive: true });
        await copyFile(path.join(from.dir, name), out.file(name));
      }
    }
  };
  await walk('');
}

/**
 * Writes the merged result set: one result set of the same format as a single run's.
 * pods.csv is the shards' rows; API latency their HDR histograms added; the time series
 * summed per second; the control plane's measurements are the collecting shard's; every
 * client-side SLO is judged again on the merged data. A shard that is missing or did not
 * complete makes the merged result set say so (status and `shards`), never look whole.
 */
export async function mergeShards(plan: MergePlan, outDir: string, args: string[]): Promise<MergeOutcome> {
  const out = await ResultWriter.create(outDir);
  try {
    return await write(plan, out, args);
  } catch (e) {
    // Nothing half-done left behind.
    await rm(out.dir, { recursive: true, force: true });
    throw e;
  }
}

async function write(plan: MergePlan, out: ResultWriter, args: string[]): Promise<MergeOutcome> {
  const sources = [...plan.shards.entries()].sort(([a], [b]) => a - b);
  const shards = sources.filter(([, s]) => s.folder).map(([index, s]) => ({ index, f: s.folder! }));
  const folders = shards.map((s) => s.f);
  const infos = shardInfos(plan);
  const warnings: string[] = [];
  for (const i of infos) if (i.missing) warnings.push(`shard ${i.index} of ${plan.count}: ${i.missing}`);
  for (const s of shards) for (const w of s.f.summary.warnings) warnings.push(`shard ${s.index}: ${w}`);
  const base = sources[0]![1].manifest;
  const collector = shards.find((s) => s.f.manifest.shard!.collector);

  const pods = podsOf(folders);
  if (pods.summary) await out.writeCsvConcat('pods.csv', POD_COLUMNS, pods.files);
  const { records, limiterWait } = apiOf(folders);
  const api = records.map(keySummary);
  const anyApi = folders.some((f) => f.summary.api);
  if (anyApi) {
    await out.writeCsv('api.csv', API_COLUMNS, apiCsvRows(api));
    await writeApiHistograms(out, records, limiterWait);
    warnings.push(...apiWarnings(api).filter((w) => !warnings.some((x) => x.endsWith(w))));
  }
  const phases = phasesOf(folders, warnings);
  const startedAt = new Date(Math.min(...sources.map(([, s]) => Date.parse(s.manifest.startedAt)))).toISOString();
  const ends = sources.map(([, s]) => Date.parse(s.manifest.endedAt)).filter(Number.isFinite);
  const endedAt = new Date(Math.max(Date.parse(startedAt), ...ends)).toISOString();
  const durationS = (Date.parse(endedAt) - Date.parse(startedAt)) / 1000;
  const stamp = startedAt.replace(/[-:]/g, '').replace(/\..*$/, 'Z');
  const workload = base.workload.name;
  if (pods.summary) await out.writeJson(`PodStartupLatency_${workload}_${stamp}.json`, podStartupPerfdata(pods.summary.phases));
  if (anyApi) await out.writeJson(`APIResponsiveness_${workload}_${stamp}.json`, apiPerfdata(api));

  // Time series: every shard's per-second rows, counted from the collecting shard's clock origin (the server series' too).
  const origin = (f: ResultFolder): number => {
    const first = f.csv('timeseries.csv')[0];
    return first ? Date.parse(first.time!) - Number(first.elapsed_s) * 1000 : Date.parse(f.manifest.startedAt);
  };
  const series = folders.map((f) => f.csv('timeseries.csv')).filter((rows) => rows.length > 0);
  if (series.length > 0) {
    const merged = mergeTimeseries(series, collector ? origin(collector.f) : Math.min(...folders.map(origin)));
    await out.writeCsv('timeseries.csv', merged.columns, merged.rows);
  }
  if (collector) await copyCollectorFiles(collector.f, out);

  const podThreshold = folders.flatMap((f) => f.summary.slo).find((v) => v.id === 'pod_startup_p99')?.threshold ?? DEFAULT_SLO.podStartupP99;
  const verdicts: SloVerdict[] = [
    ...(pods.summary ? [podStartupVerdict(pods.summary.phases, podThreshold)] : []),
    ...apiVerdicts(api),
    ...(collector ? collector.f.summary.slo.filter((v) => v.side === 'server') : []),
  ];
  const harness = harnessOf(shards);
  // A killed shard (still `running`) or a missing one makes the whole run failed.
  const status = worst(
    infos.map((i) => (i.status === 'running' ? 'failed' : i.status)),
    STATUS_RANK,
    'complete',
  );
  const problems = infos.filter((i) => i.missing && i.status !== 'complete').map((i) => `shard ${i.index}: ${i.missing}`);
  const error = problems.length > 0 ? `${problems.length} of ${plan.count} shards did not complete: ${problems.join('; ')}` : undefined;
  const summary: Summary = {
    formatVersion: FORMAT_VERSION,
    kbenchVersion: KBENCH_VERSION,
    workload,
    runId: plan.runId,
    status,
    ...(error ? { error } : {}),
    startedAt,
    endedAt,
    durationS,
    ...(pods.summary ? { pods: pods.summary } : {}),
    ...(anyApi ? { api, apiPercentiles: API_PERCENTILES, limiterWaitMs: (() => {
      const s = histogramStatsMs(limiterWait);
      return s ? { ...s, unit: 'ms' } : { count: 0 as const, unit: 'ms' };
    })() } : {}),
    phases,
    ...(harness ? { harness } : {}),
    ...(collector?.f.summary.collectors ? { collectors: collector.f.summary.collectors } : {}),
    slo: verdicts,
    warnings,
  };
  await writeJunit(out, `kbench-${workload}`, verdicts, durationS);
  await out.writeJson('summary.json', summary);
  const measurements = [...new Set(folders.flatMap((f) => f.manifest.measurements))];
  const cleanups = shards.map((s) => s.f.manifest.cleanup).filter((c) => c !== undefined);
  const manifest: Manifest = {
    formatVersion: FORMAT_VERSION,
    kbenchVersion: KBENCH_VERSION,
    runId: plan.runId,
    mode: 'run',
    status,
    ...(error ? { error } : {}),
    startedAt,
    endedAt,
    workload: base.workload,
    args,
    overrides: base.overrides,
    seed: base.seed,
    target: (collector?.f.manifest ?? base).target,
    host: (collector?.f.manifest ?? base).host,
    measurements,
    ...(cleanups.length > 0
      ? {
          cleanup: {
            action: cleanups.some((c) => c.action === 'delete') ? 'delete' : cleanups[0]!.action,
            message: [...new Set(cleanups.map((c) => c.message))].join('; '),
            namespaces: cleanups.flatMap((c) => c.namespaces),
          },
        }
      : {}),
    shards: infos,
  };
  await out.writeJson('manifest.json', manifest);
  await out.close();
  return { dir: out.dir, status, ...(error ? { error } : {}), verdicts, warnings, podCount: pods.count, shards: infos };
}
