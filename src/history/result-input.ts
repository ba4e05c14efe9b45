import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { type Manifest, ResultFolder, ResultFolderError, type Summary } from '../compare/result-folder.js';
import { measurementsOf, type MeasurementSource } from './measurements.js';
import type { HistoryInput, RunIdentity, RunRecord, SloRecord } from './records.js';

/**
 * The one place the history reads result sets: through the result-set reader, into the
 * history's own records. A series folder (`kbench run --repeat N`) is
 * `<dir>/series.json` = { formatVersion: 1, kind: "series", workload: {name, sha256}, runs: ["run-1", ...] }
 * with each run a result set.
 */

/** A folder that cannot be added: bad input (exit 2). */
export class HistoryInputError extends Error {}

export const SERIES_FORMAT_VERSION = 1;

export function readHistoryInput(dir: string): HistoryInput {
  const abs = path.resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new HistoryInputError(`${dir} is not a folder; name a result set (results/<workload>-<timestamp>) or a series folder (with series.json)`);
  if (existsSync(path.join(abs, 'series.json'))) return readSeries(dir, abs);
  return { source: abs, runs: [readRun(dir, abs)] };
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
    const r = readRun(path.join(dir, name), runDir);
    if (r.identity.workload !== s.workload!.name || r.identity.workloadSha256 !== s.workload!.sha256) {
      throw new HistoryInputError(`${path.join(dir, name)} is a run of workload ${r.identity.workload} (sha256 ${r.identity.workloadSha256.slice(0, 12)}), but ${file} says the series is of ${s.workload!.name} (sha256 ${s.workload!.sha256.slice(0, 12)})`);
    }
    return r;
  });
  const ids = runs.map((r) => r.identity.runId);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw bad(`two of its runs have the same run id ${dup}`);
  // Without an id of its own, a series is named by its runs: adding it again names it the same.
  const id = s.id ?? `series-${createHash('sha256').update(`${s.workload.name}\n${ids.join('\n')}`).digest('hex').slice(0, 12)}`;
  return { source: abs, series: { id, workload: s.workload.name, workloadSha256: s.workload.sha256 }, runs };
}

function readRun(dir: string, abs: string): RunRecord {
  let folder: ResultFolder;
  try {
    folder = ResultFolder.open(abs);
  } catch (e) {
    if (!(e instanceof ResultFolderError)) throw e;
    // A killed run left a manifest and no summary: its identity is still history.
    const manifestFile = path.join(abs, 'manifest.json');
    if (existsSync(manifestFile) && !existsSync(path.join(abs, 'summary.json'))) {
      const m = readJson(manifestFile) as Manifest;
      return { identity: identityOf(dir, abs, m, m.status === 'running' ? 'unfinished' : m.status), measurements: [], slo: [] };
    }
    throw new HistoryInputError(e.message);
  }
  const s = folder.summary;
  return {
    identity: { ...identityOf(dir, abs, folder.manifest, s.status ?? folder.manifest.status), ...(Number.isFinite(s.durationS) ? { durationS: s.durationS } : {}) },
    measurements: measurementsOf(measurementSource(s)),
    slo: (s.slo ?? []).map(sloRecord),
  };
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
  const seed = (m as Manifest & { seed?: unknown }).seed;
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

type Maybe<T> = T | { unavailable: string } | undefined;
function available<T>(v: Maybe<T>): T | undefined {
  return v !== undefined && !(typeof v === 'object' && v !== null && 'unavailable' in v) ? (v as T) : undefined;
}

function measurementSource(s: Summary): MeasurementSource {
  const run = s.collectors?.run;
  return {
    podPhases: s.pods?.phases ?? {},
    api: (s.api ?? []).map((k) => ({ key: k.key, count: k.count, ...(k.latencyMs ? { latencyMs: k.latencyMs } : {}) })),
    ...(run
      ? {
          server: {
            pendingMax: available(run.scheduler?.pendingMax)?.total,
            bindsPerS: available(run.scheduler?.bindsPerS),
            walFsync: available(run.etcd?.walFsync),
            backendCommit: available(run.etcd?.backendCommit),
            apiKeys: available(run.apiserver?.latency)?.keys,
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
