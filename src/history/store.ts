import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Database, Row, SqlValue } from './db/database.js';
import type { MeasurementUnit, MeasurementValue } from './measurements.js';
import { COMPLETE, type HistoryInput, type RunRecord, type SloRecord, type StoredRun } from './records.js';
import { BadInputError } from '../util/errors.js';

/** Adding a run that conflicts with what the history has: bad input (exit 2), nothing stored. */
export class HistoryConflictError extends BadInputError {}

export type AddOutcome = 'added' | 'already' | 'updated';

/** One value of one measurement in one run, in run order. */
export interface SeriesPoint {
  runId: string;
  startedAt: string;
  status: string;
  workloadSha256: string;
  value: number;
  unit: MeasurementUnit;
  samples?: number;
}

export interface Acknowledgement {
  workload: string;
  measurement: string;
  runId: string;
  note?: string;
  acknowledgedAt: string;
}

export interface RunFilter {
  workload?: string;
  /** Include runs that did not complete (interrupted, failed, unfinished). */
  includeIncomplete?: boolean;
  /** Only the newest N runs (after the other filters). */
  last?: number;
}

const RUN_COLUMNS =
  'run_id, workload, workload_sha256, status, mode, started_at, ended_at, duration_s, target_kind, target_server, target_context, server_version, nodes, kbench_version, seed, git_commit, series_id, series_index, source, content_sha256, added_at';

/** Runs sort by start time, then run id, compared as plain strings: the same on every backend and collation. */
function byTime(a: { startedAt: string; runId: string }, b: { startedAt: string; runId: string }): number {
  return a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0;
}

function str(v: SqlValue | undefined): string | undefined {
  return v === null || v === undefined ? undefined : String(v);
}
function num(v: SqlValue | undefined): number | undefined {
  return v === null || v === undefined ? undefined : Number(v);
}

function runFromRow(r: Row): StoredRun & { contentSha256: string } {
  const opt = <K extends string, V>(k: K, v: V | undefined): Partial<Record<K, V>> => (v === undefined ? {} : ({ [k]: v } as Record<K, V>));
  return {
    runId: String(r.run_id),
    workload: String(r.workload),
    workloadSha256: String(r.workload_sha256),
    status: String(r.status),
    mode: String(r.mode),
    startedAt: String(r.started_at),
    ...opt('endedAt', str(r.ended_at)),
    ...opt('durationS', num(r.duration_s)),
    targetKind: String(r.target_kind),
    targetServer: String(r.target_server),
    ...opt('targetContext', str(r.target_context)),
    ...opt('serverVersion', str(r.server_version)),
    ...opt('nodes', num(r.nodes)),
    kbenchVersion: String(r.kbench_version),
    ...opt('seed', num(r.seed)),
    ...opt('gitCommit', str(r.git_commit)),
    ...opt('seriesId', str(r.series_id)),
    ...opt('seriesIndex', num(r.series_index)),
    source: String(r.source),
    contentSha256: String(r.content_sha256),
    addedAt: String(r.added_at),
  };
}

/** JSON with object keys sorted at every level: equal values give equal text. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** What identifies a run's content: the same result set read twice (from any folder) hashes the same. */
export function contentHash(r: RunRecord): string {
  const { source: _source, ...identity } = r.identity;
  const byKey = <T>(key: (x: T) => string) => (a: T, b: T): number => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
  const canonical = canonicalJson({
    identity,
    measurements: [...r.measurements].sort(byKey((m) => m.name)),
    slo: [...r.slo].sort(byKey((v) => v.id)),
  });
  return createHash('sha256').update(canonical).digest('hex');
}

/** Every query and statement of the history's runs, series, measurements and acknowledgements. */
export class HistoryStore {
  constructor(readonly db: Database) {}

  /**
   * Adds the runs of some inputs in one transaction: all or nothing. A run already there
   * with the same content is left as it is (or given the commit or series it lacked); one
   * with other content is a conflict.
   */
  async add(inputs: HistoryInput | readonly HistoryInput[], options: { gitCommit?: string; now?: Date } = {}): Promise<{ runId: string; outcome: AddOutcome }[]> {
    const now = (options.now ?? new Date()).toISOString();
    const list = Array.isArray(inputs) ? (inputs as readonly HistoryInput[]) : [inputs as HistoryInput];
    return this.db.transaction(async () => {
      const out: { runId: string; outcome: AddOutcome }[] = [];
      for (const input of list) out.push(...(await this.#addInput(input, options.gitCommit, now)));
      return out;
    });
  }

  async #addInput(input: HistoryInput, gitCommit: string | undefined, now: string): Promise<{ runId: string; outcome: AddOutcome }[]> {
    const s = input.series;
    if (s) {
      const have = await this.db.all('SELECT workload, source FROM kbench_series WHERE series_id = ?', [s.id]);
      // A series id names one set of runs: another night's series under the same id is a conflict.
      const members = (await this.db.all('SELECT run_id FROM kbench_runs WHERE series_id = ?', [s.id])).map((r) => String(r.run_id));
      const ids = new Set(input.runs.map((r) => r.identity.runId));
      // Runs added one at a time join their series; a whole series folder must name them all.
      const stranger = s.whole ? members.find((id) => !ids.has(id)) : undefined;
      if (have[0] && (String(have[0].workload) !== s.workload || stranger !== undefined)) {
        throw new HistoryConflictError(`series ${s.id} is already in the history (added from ${String(have[0].source)}) with ${stranger !== undefined ? `run ${stranger}, which ${input.source} does not have` : `workload ${String(have[0].workload)}`}; give this series another id. Nothing was added.`);
      }
      if (have.length === 0) {
        await this.db.run('INSERT INTO kbench_series (series_id, workload, workload_sha256, run_count, source, added_at) VALUES (?, ?, ?, ?, ?, ?)', [s.id, s.workload, s.workloadSha256, s.size, s.whole ? input.source : path.dirname(input.source), now]);
      }
    }
    const out: { runId: string; outcome: AddOutcome }[] = [];
    for (const [i, run] of input.runs.entries()) {
      const series = s ? { id: s.id, index: run.seriesIndex ?? i + 1 } : undefined;
      out.push({ runId: run.identity.runId, outcome: await this.#addRun(run, series, gitCommit, now) });
    }
    return out;
  }

  async #addRun(run: RunRecord, series: { id: string; index: number } | undefined, gitCommit: string | undefined, now: string): Promise<AddOutcome> {
    const id = run.identity;
    const hash = contentHash(run);
    const existing = (await this.db.all(`SELECT ${RUN_COLUMNS} FROM kbench_runs WHERE run_id = ?`, [id.runId])).map(runFromRow)[0];
    if (existing) {
      const where = `run ${id.runId} is already in the history (added ${existing.addedAt} from ${existing.source})`;
      if (existing.contentSha256 !== hash) throw new HistoryConflictError(`${where} with other content than ${id.source}: two result sets claim the same run id. Nothing was added.`);
      if (gitCommit && existing.gitCommit && existing.gitCommit !== gitCommit) throw new HistoryConflictError(`${where} with commit ${existing.gitCommit}, not ${gitCommit}. Nothing was added.`);
      if (series && existing.seriesId && existing.seriesId !== series.id) throw new HistoryConflictError(`${where} as part of series ${existing.seriesId}, not ${series.id}. Nothing was added.`);
      const fillCommit = gitCommit !== undefined && !existing.gitCommit;
      const fillSeries = series !== undefined && !existing.seriesId;
      if (!fillCommit && !fillSeries) return 'already';
      await this.db.run('UPDATE kbench_runs SET git_commit = ?, series_id = ?, series_index = ? WHERE run_id = ?', [
        existing.gitCommit ?? gitCommit ?? null,
        existing.seriesId ?? series?.id ?? null,
        existing.seriesIndex ?? series?.index ?? null,
        id.runId,
      ]);
      return 'updated';
    }
    await this.db.run(`INSERT INTO kbench_runs (${RUN_COLUMNS}) VALUES (${RUN_COLUMNS.split(',').map(() => '?').join(', ')})`, [
      id.runId,
      id.workload,
      id.workloadSha256,
      id.status,
      id.mode,
      id.startedAt,
      id.endedAt ?? null,
      id.durationS ?? null,
      id.targetKind,
      id.targetServer,
      id.targetContext ?? null,
      id.serverVersion ?? null,
      id.nodes ?? null,
      id.kbenchVersion,
      id.seed ?? null,
      gitCommit ?? null,
      series?.id ?? null,
      series?.index ?? null,
      id.source,
      hash,
      now,
    ]);
    await this.#insertRows('kbench_measurements', ['run_id', 'name', 'value', 'unit', 'samples'], run.measurements.map((m) => [id.runId, m.name, m.value, m.unit, m.samples ?? null]));
    await this.#insertRows(
      'kbench_slo_verdicts',
      ['run_id', 'slo_id', 'side', 'description', 'verdict', 'value', 'threshold', 'comparison', 'unit', 'reason'],
      run.slo.map((v) => [id.runId, v.id, v.side, v.description, v.verdict, v.value ?? null, v.threshold, v.comparison, v.unit, v.reason ?? null]),
    );
    return 'added';
  }

  /** Many rows per statement: one round trip per hundred rows on a remote PostgreSQL. */
  async #insertRows(table: string, columns: string[], rows: SqlValue[][]): Promise<void> {
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    for (let i = 0; i < rows.length; i += 100) {
      const chunk = rows.slice(i, i + 100);
      await this.db.run(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${chunk.map(() => tuple).join(', ')}`, chunk.flat());
    }
  }

  /** Runs, oldest first. */
  async runs(filter: RunFilter = {}): Promise<StoredRun[]> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (filter.workload !== undefined) {
      where.push('workload = ?');
      params.push(filter.workload);
    }
    if (!filter.includeIncomplete) {
      where.push('status = ?');
      params.push(COMPLETE);
    }
    const rows = await this.db.all(`SELECT ${RUN_COLUMNS} FROM kbench_runs${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`, params);
    const runs = rows.map(runFromRow).sort(byTime);
    const kept = filter.last !== undefined ? runs.slice(Math.max(0, runs.length - filter.last)) : runs;
    return kept.map(({ contentSha256: _c, ...r }) => r);
  }

  async run(runId: string): Promise<{ run: StoredRun; measurements: MeasurementValue[]; slo: SloRecord[] } | undefined> {
    const row = (await this.db.all(`SELECT ${RUN_COLUMNS} FROM kbench_runs WHERE run_id = ?`, [runId]))[0];
    if (!row) return undefined;
    const { contentSha256: _c, ...run } = runFromRow(row);
    const measurements = (await this.db.all('SELECT name, value, unit, samples FROM kbench_measurements WHERE run_id = ?', [runId]))
      .map((m) => ({ name: String(m.name), value: Number(m.value), unit: String(m.unit) as MeasurementUnit, ...(m.samples !== null ? { samples: Number(m.samples) } : {}) }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    const slo = (await this.db.all('SELECT slo_id, side, description, verdict, value, threshold, comparison, unit, reason FROM kbench_slo_verdicts WHERE run_id = ?', [runId]))
      .map((v) => ({
        id: String(v.slo_id),
        side: String(v.side),
        description: String(v.description),
        verdict: String(v.verdict),
        ...(v.value !== null ? { value: Number(v.value) } : {}),
        threshold: Number(v.threshold),
        comparison: String(v.comparison),
        unit: String(v.unit),
        ...(v.reason !== null ? { reason: String(v.reason) } : {}),
      }))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    return { run, measurements, slo };
  }

  /** How many SLO verdicts of each kind every run has. */
  async sloCounts(): Promise<Map<string, { pass: number; fail: number; unavailable: number }>> {
    const out = new Map<string, { pass: number; fail: number; unavailable: number }>();
    for (const r of await this.db.all('SELECT run_id, verdict, COUNT(*) AS n FROM kbench_slo_verdicts GROUP BY run_id, verdict')) {
      const c = out.get(String(r.run_id)) ?? { pass: 0, fail: 0, unavailable: 0 };
      const v = String(r.verdict);
      if (v === 'pass' || v === 'fail' || v === 'unavailable') c[v] += Number(r.n);
      out.set(String(r.run_id), c);
    }
    return out;
  }

  /** Workload names with at least one run, sorted. */
  async workloads(): Promise<string[]> {
    return (await this.db.all('SELECT DISTINCT workload FROM kbench_runs')).map((r) => String(r.workload)).sort();
  }

  /**
   * The series of every measurement (matching `keep`) over the given runs of one workload:
   * name -> points in run order.
   */
  async series(runs: readonly StoredRun[], keep: (name: string) => boolean): Promise<Map<string, SeriesPoint[]>> {
    const out = new Map<string, SeriesPoint[]>();
    const order = new Map(runs.map((r, i) => [r.runId, i]));
    for (let i = 0; i < runs.length; i += 500) {
      const ids = runs.slice(i, i + 500).map((r) => r.runId);
      const rows = await this.db.all(`SELECT run_id, name, value, unit, samples FROM kbench_measurements WHERE run_id IN (${ids.map(() => '?').join(', ')})`, ids);
      for (const m of rows) {
        const name = String(m.name);
        if (!keep(name)) continue;
        const run = runs[order.get(String(m.run_id))!]!;
        const point: SeriesPoint = { runId: run.runId, startedAt: run.startedAt, status: run.status, workloadSha256: run.workloadSha256, value: Number(m.value), unit: String(m.unit) as MeasurementUnit, ...(m.samples !== null ? { samples: Number(m.samples) } : {}) };
        const list = out.get(name);
        if (list) list.push(point);
        else out.set(name, [point]);
      }
    }
    for (const list of out.values()) list.sort(byTime);
    return new Map([...out.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  async acknowledge(a: Acknowledgement): Promise<boolean> {
    return this.db.transaction(async () => {
      const have = await this.db.all('SELECT run_id FROM kbench_acknowledgements WHERE workload = ? AND measurement = ? AND run_id = ?', [a.workload, a.measurement, a.runId]);
      if (have.length > 0) return false;
      await this.db.run('INSERT INTO kbench_acknowledgements (workload, measurement, run_id, note, acknowledged_at) VALUES (?, ?, ?, ?, ?)', [a.workload, a.measurement, a.runId, a.note ?? null, a.acknowledgedAt]);
      return true;
    });
  }

  async acknowledgements(workload: string): Promise<Acknowledgement[]> {
    return (await this.db.all('SELECT workload, measurement, run_id, note, acknowledged_at FROM kbench_acknowledgements WHERE workload = ?', [workload]))
      .map((r) => ({ workload: String(r.workload), measurement: String(r.measurement), runId: String(r.run_id), ...(r.note !== null ? { note: String(r.note) } : {}), acknowledgedAt: String(r.acknowledged_at) }))
      .sort((a, b) => (a.measurement < b.measurement ? -1 : a.measurement > b.measurement ? 1 : a.runId < b.runId ? -1 : 1));
  }
}
