import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { SERIES_FORMAT_VERSION, type SeriesFile } from './format.js';
import { ResultFolder, ResultFolderError } from './reader.js';

/**
 * A series folder read back (series.json and its runs), for compare and report. The
 * history reads series folders through its own adapter (src/history/result-input.ts), which
 * keeps the runs a comparison leaves out (killed, failed).
 */
export class SeriesFolder {
  private constructor(
    readonly dir: string,
    readonly file: SeriesFile,
    /** The runs that have a readable result set, in series order. */
    readonly runs: ResultFolder[],
    /** Runs listed in series.json without a readable result set (killed before the end), and why. */
    readonly unreadable: { folder: string; why: string }[],
  ) {}

  static isSeries(dir: string): boolean {
    return existsSync(path.join(dir, 'series.json'));
  }

  static open(dir: string): SeriesFolder {
    const abs = path.resolve(dir);
    if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new ResultFolderError(`${dir} is not a folder`);
    const file = path.join(dir, 'series.json');
    const bad = (what: string): ResultFolderError =>
      new ResultFolderError(`${file}: ${what}; a series folder has series.json = {"formatVersion": ${SERIES_FORMAT_VERSION}, "kind": "series", "workload": {"name", "sha256"}, "runs": ["run-1", ...]}`);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw bad(`not readable JSON (${(e as Error).message.split('\n')[0]})`);
    }
    const s = raw as Partial<SeriesFile> | null;
    if (typeof s !== 'object' || s === null || Array.isArray(s)) throw bad('not a JSON object');
    if (s.formatVersion !== SERIES_FORMAT_VERSION) throw bad(`formatVersion ${JSON.stringify(s.formatVersion)} is not one this kbench reads (it reads ${SERIES_FORMAT_VERSION})`);
    if (s.kind !== 'series') throw bad(`kind ${JSON.stringify(s.kind)} is not "series"`);
    if (typeof s.workload?.name !== 'string' || typeof s.workload.sha256 !== 'string') throw bad('workload needs a name and a sha256');
    if (!Array.isArray(s.runs) || s.runs.some((r) => typeof r !== 'string' || r === '')) throw bad('runs must be a list of folder names');
    const runs: ResultFolder[] = [];
    const unreadable: { folder: string; why: string }[] = [];
    for (const name of s.runs) {
      const runDir = path.resolve(abs, name);
      if (path.isAbsolute(name) || path.relative(abs, runDir).startsWith('..')) throw bad(`run "${name}" is outside the series folder`);
      try {
        const r = ResultFolder.open(runDir);
        if (r.manifest.workload.name !== s.workload.name) throw bad(`run ${name} ran workload ${r.manifest.workload.name}, not ${s.workload.name}`);
        runs.push(r);
      } catch (e) {
        if (!(e instanceof ResultFolderError) || e.message.startsWith(file)) throw e;
        unreadable.push({ folder: name, why: e.message });
      }
    }
    return new SeriesFolder(abs, s as SeriesFile, runs, unreadable);
  }

  get name(): string {
    return path.basename(this.dir);
  }

  /** The runs a comparison uses: those that completed. */
  get complete(): ResultFolder[] {
    return this.runs.filter((r) => r.summary.status === 'complete');
  }
}

/** A folder given to compare or report: one run, or a series of them. */
export type RunOrSeries = { kind: 'run'; run: ResultFolder } | { kind: 'series'; series: SeriesFolder };

export function openRunOrSeries(dir: string): RunOrSeries {
  return SeriesFolder.isSeries(dir) ? { kind: 'series', series: SeriesFolder.open(dir) } : { kind: 'run', run: ResultFolder.open(dir) };
}
