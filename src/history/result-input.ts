import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { known, type Manifest, type Summary } from '../results/format.js';
import { ResultFolder, ResultFolderError } from '../results/reader.js';
import { measurementsOf, type MeasurementSource } from './measurements.js';
import type { HistoryInput, RunIdentity, RunRecord, SloRecord } from './records.js';
import { BadInputError } from '../util/errors.js';

/**
 * The one place the history reads result sets: through the result-set reader, into the
 * history's own records. A series folder (`kbench run --repeat N`) is
 * `<dir>/series.json` = { formatVersion: 1, kind: "series", workload: {name, sha256}, runs: ["run-1", ...] }
 * with each run a result set.
 */

/** A folder that cannot be added: bad input (exit 2). */
export class HistoryInputError extends BadInputError {}

export const SERIES_FORMAT_VERSION = 1;

export function readHistoryInput(dir: string): HistoryInput {
  const abs = path.resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new HistoryInputError(`${dir} is not a folder; name a result set (results/<workload>-<timestamp>) or a series folder (with series.json)`);
  if (existsSync(path.join(abs, 'series.json'))) return readSeries(dir, abs);
  const { run, series } = readRun(dir, abs);
  // A run of a series added on its own still joins its series (the manifest names it).
  if (!series) return { source: abs, runs: [run] };
  return { source: abs, series: { id: series.id, workload: run.identity.workload, workloadSha256: run.identity.workloadSha256, size: series.of, whole: false }, runs: [{ ...run, seriesIndex: series.index }] };
}

interface SeriesFile {
  formatVersion: number;
  kind: string;
  id?: string;
  workload: { name: string; sha256: string };
  runs: string[];
}

function readSeries(dir: string, abs: string): HistoryInput {
  const file = path.join(dir, 'series.json');
  const raw = readJson(file);
  const s = raw as Partial<SeriesFile>;
  const bad = (what: string): HistoryInputError => new HistoryInputError(`${file}: ${what}; a series folder has series.json = {"formatVersion": 1, "kind": "series", "workload": {"name", "sha256"}, "runs": ["run-1", ...]}`);
  if (typeof raw !== 'object' || raw === null) throw bad('not a JSON object');
  if (s.formatVersion !== SERIES_FORMAT_VERSION) throw bad(`formatVersion ${JSON.stringify(s.formatVersion)} is not one this kbench reads (it reads ${SERIES_FORMAT_VERSION})`);
  if (s.kind !== 'series') throw bad(`kind ${JSON.stringify(s.kind)} is not "series"`);
  if (typeof s.workload?.name !== 'string' || typeof s.workload.sha256 !== 'string') throw bad('workload needs a name and a sha256');
  if (!Array.isArray(s.runs) || s.runs.length === 0 || s.runs.some((r) => typeof r !== 'string' || r === '')) throw bad('runs must be a non-empty list of folder names');
  if (s.id !== undefined && (typeof s.id !== 'string' || s.id === '')) throw bad('id, when present, must be a non-empty string');
  const runs = s.runs.map((name) => {
    const runDir = path.resolve(abs, name);
    if (path.isAbsolute(name) || path.relative(abs, runDir).startsWith('..')) throw bad(`run "${name}" is outside the series folder`);
    const { run: r, series } = readRun(path.join(dir, name), runDir);
    if (r.identity.workload !== s.workload!.name || r.identity.workloadSha256 !== s.workload!.sha256) {
      throw new HistoryInputError(`${path.join(dir, name)} is a run of workload ${r.identity.workload} (sha256 ${r.identity.workloadSha256.slice(0, 12)}), but ${file} says the series is of ${s.workload!.name} (sha256 ${s.workload!.sha256.slice(0, 12)})`);
    }
    return { record: { ...r, seriesIndex: s.runs!.indexOf(name) + 1 }, seriesId: series?.id };
  });
  const ids = runs.map((r) => r.record.identity.runId);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw bad(`two of its runs have the same run id ${dup}`);
  // The series' id: its own, else the one its runs' manifests agree on, else named by its
  // runs (adding it again names it the same).
  const fromRuns = new Set(runs.map((r) => r.seriesId));
  const agreed = fromRuns.size === 1 ? [...fromRuns][0] : undefined;
  const id = s.id ?? agreed ?? `series-${createHash('sha256').update(`${s.workload.name}\n${ids.join('\n')}`).digest('hex').slice(0, 12)}`;
  return { source: abs, series: { id, workload: s.workload.name, workloadSha256: s.workload.sha256, size: runs.length, whole: true }, runs: runs.map((r) => r.record) };
}

/** A run's records, and the series its manifest says it belongs to. */
function readRun(dir: string, abs: string): { run: RunRecord; series?: { id: string; index: number; of: number } } {
  let folder: ResultFolder;
  try {
    folder = ResultFolder.open(abs);
  } catch (e) {
    if (!(e instanceof ResultFolderError)) throw e;
    // A killed run left a manifest and no summary: its identity is still history.
    const manifestFile = path.join(abs, 'manifest.json');
    if (existsSync(manifestFile) && !existsSync(path.join(abs, 'summary.json'))) {
      const m = readJson(manifestFile) as Manifest;
      return { run: { identity: identityOf(dir, abs, m, m.status === 'running' ? 'unfinished' : m.status), measurements: [], slo: [] }, ...seriesOf(m) };
    }
    throw new HistoryInputError(e.message);
  }
  const s = folder.summary;
  return {
    run: {
      identity: { ...identityOf(dir, abs, folder.manifest, s.status ?? folder.manifest.status), ...(Number.isFinite(s.durationS) ? { durationS: s.durationS } : {}) },
      measurements: measurementsOf(measurementSource(s)),
      slo: (s.slo ?? []).map(sloRecord),
    },
    ...seriesOf(folder.manifest),
  };
}

function seriesOf(m: Manifest): { series?: { id: string; index: number; of: number } } {
  const r = m.series;
  return r && typeof r.id === 'string' && r.id !== '' && Number.isInteger(r.index) && Number.isInteger(r.of) ? { series: r } : {};
}

function identityOf(dir: string, abs: string, m: Manifest, status: string): RunIdentity {
  const need = (v: unknown, field: string): string => {
    if (typeof v !== 'string' || v === '') throw new HistoryInputError(`${path.join(dir, 'manifest.json')} has no ${field}; it is not a result set kbench wrote`);
    return v;
  };
  const isoTime = (v: string, field: string): string => {
    const ms = Date.parse(v);
    if (Number.isNaN(ms)) throw new HistoryInputError(`${path.join(dir, 'manifest.json')}: ${field} "${v}" is not a time`);
    return new Date(ms).toISOString();
  };
  const t = m.target ?? ({} as Manifest['target']);
  const seed: unknown = m.seed;
  return {
    runId: need(m.runId, 'runId'),
    workload: need(m.workload?.name, 'workload.name'),
    workloadSha256: need(m.workload?.sha256, 'workload.sha256'),
    status: need(status, 'status'),
    mode: m.mode ?? 'run',
    startedAt: isoTime(need(m.startedAt, 'startedAt'), 'startedAt'),
    ...(m.endedAt ? { endedAt: isoTime(m.endedAt, 'endedAt') } : {}),
    targetKind: need(t.kind, 'target.kind'),
    targetServer: need(t.server, 'target.server'),
    ...(t.context ? { targetContext: t.context } : {}),
    ...(t.serverVersion ? { serverVersion: t.serverVersion } : {}),
    ...(typeof t.nodes === 'number' ? { nodes: t.nodes } : {}),
    kbenchVersion: need(m.kbenchVersion, 'kbenchVersion'),
    ...(typeof seed === 'number' && Number.isInteger(seed) ? { seed } : {}),
    source: abs,
  };
}

function measurementSource(s: Summary): MeasurementSource {
  const run = s.collectors?.run;
  return {
    podPhases: Object.fromEntries(Object.entries(s.pods?.phases ?? {}).flatMap(([phase, st]) => (st ? [[phase, st]] : []))),
    api: (s.api ?? []).map((k) => ({ key: k.key, count: k.count, ...(k.latencyMs ? { latencyMs: k.latencyMs } : {}) })),
    ...(run
      ? {
          server: {
            pendingMax: known(run.scheduler?.pendingMax)?.total,
            bindsPerS: known(run.scheduler?.bindsPerS),
            walFsync: known(run.etcd?.walFsync),
            backendCommit: known(run.etcd?.backendCommit),
            apiKeys: known(run.apiserver?.latency)?.keys,
          },
        }
      : {}),
  };
}

function sloRecord(v: Summary['slo'][number]): SloRecord {
  return {
    id: v.id,
    side: v.side,
    description: v.description,
    verdict: v.verdict,
    ...(v.value !== undefined ? { value: v.value } : {}),
    threshold: v.threshold,
    comparison: v.comparison,
    unit: v.unit,
    ...(v.reason ? { reason: v.reason } : {}),
  };
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (e) {
    throw new HistoryInputError(`${file} is not readable JSON (${(e as Error).message})`);
  }
}
