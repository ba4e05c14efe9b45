import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { parse } from 'csv-parse/sync';
import { type Distribution, fromHistogramUs, fromSamples } from '../compare/distribution.js';
import { decodeHistogram } from '../measure/stats.js';
import { BadInputError } from '../util/errors.js';
import { FORMAT_VERSION, type Manifest, type Summary } from './format.js';
import * as generated from './result-set-validator.generated.js';
import { upgradeManifest, upgradeSummary } from './upgrade.js';

/** A folder that is not a readable result set. Bad input: exit 2, one line, no stack. */
export class ResultFolderError extends BadInputError {}

// Compiled ahead of time from result-set.schema.json by `npm run schema`.
const validateManifest = generated.validateManifest as unknown as ValidateFunction;
const validateSummary = generated.validateSummary as unknown as ValidateFunction;

function firstError(errors: ErrorObject[] | null | undefined): string {
  const e = errors?.[0];
  if (!e) return 'it does not match the result-set format';
  const where = JSON.stringify(e.instancePath || '/').slice(1, -1);
  const extra = e.keyword === 'additionalProperties' ? ` ${JSON.stringify(String(e.params.additionalProperty))}` : e.keyword === 'required' ? ` ${JSON.stringify(String(e.params.missingProperty))}` : '';
  return `${where}: ${e.message ?? e.keyword}${extra}`.slice(0, 300);
}

/** Whether `text` holds a quote or a lone carriage return, which only csv-parse reads right. */
function needsCsvParse(text: string): boolean {
  // includes() first: the regular expression alone took 176 ms of a 150k comparison's 2.7 s.
  return text.includes('"') || (text.includes('\r') && /\r(?!\n)/.test(text));
}

/**
 * Calls `onRecord` with the cells of each record of `text` (whole records), skipping empty
 * lines. Text without a quote or a lone carriage return is split on line breaks and commas
 * directly, which is what kbench writes: `kbench report` on a 150,000-pod result set took
 * 1.6-2.2 CPU-s that way, 6-7 through csv-parse. Anything else goes through csv-parse.
 */
export function eachCsvRecord(text: string, onRecord: (cells: string[]) => void): void {
  if (needsCsvParse(text)) {
    parse(text, {
      skip_empty_lines: true,
      on_record: (record: string[]) => {
        onRecord(record);
        return null;
      },
    });
    return;
  }
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const stop = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    if (stop > start) onRecord(text.slice(start, stop).split(','));
    start = end + 1;
  }
}

/**
 * eachCsvRecord that hands over only the cells at `wanted` (ascending indices), with the
 * record's width: on text kbench wrote no other cell is cut out of its line. `cells` is
 * reused from one record to the next.
 */
export function eachCsvRecordPick(text: string, wanted: readonly number[], onRecord: (cells: string[], width: number) => void): void {
  if (needsCsvParse(text)) {
    eachCsvRecord(text, (record) => onRecord(wanted.map((i) => record[i] ?? ''), record.length));
    return;
  }
  const cells: string[] = wanted.map(() => '');
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const stop = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    if (stop > start) {
      let at = start;
      let index = 0;
      let w = 0;
      for (;;) {
        let comma = text.indexOf(',', at);
        if (comma < 0 || comma > stop) comma = stop;
        if (index === wanted[w]) cells[w++] = text.slice(at, comma);
        index++;
        if (comma === stop) break;
        at = comma + 1;
      }
      for (; w < wanted.length; w++) cells[w] = '';
      onRecord(cells, index);
    }
    start = end + 1;
  }
}

type PodColumnKind = 'number' | 'time';

/** Which pods.csv columns are numbers and which are times; the rest (names, notes) are not read as values. */
function podColumnKind(name: string): PodColumnKind | undefined {
  return name.endsWith('_ms') ? 'number' : /_(sent|seen|server)$|^created$/.test(name) ? 'time' : undefined;
}

function grow(c: Float64Array): Float64Array {
  const out = new Float64Array(c.length * 2);
  out.set(c);
  return out;
}

/**
 * A CSV file's text in pieces of whole records, about `size` bytes each: a piece ends at a
 * line break outside quotes (a quoted cell may hold one), so each parses on its own.
 */
export function* recordPieces(file: string, size = 1 << 20): Generator<string> {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(size);
    let carry = Buffer.alloc(0);
    for (;;) {
      const n = readSync(fd, buf, 0, size, null);
      if (n === 0) break;
      const data = carry.length > 0 ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n);
      // The data starts at a record's start (outside quotes); the last break outside quotes ends the piece.
      let cut = -1;
      if (data.indexOf(0x22) < 0) cut = data.lastIndexOf(0x0a);
      else {
        let quoted = false;
        for (let i = 0; i < data.length; i++) {
          const c = data[i];
          if (c === 0x22) quoted = !quoted;
          else if (c === 0x0a && !quoted) cut = i;
        }
      }
      if (cut < 0) {
        carry = Buffer.from(data);
        continue;
      }
      yield data.toString('utf8', 0, cut + 1);
      carry = Buffer.from(data.subarray(cut + 1));
    }
    if (carry.length > 0) yield carry.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function readJson(file: string, dir: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ResultFolderError(`${dir}: cannot read ${path.basename(file)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    // The parser quotes the text around the error: one line of it at most.
    const why = (e as Error).message.replace(/\s+/g, ' ').slice(0, 160);
    throw new ResultFolderError(`${dir}: ${path.basename(file)} is not valid JSON (${why}); the result set is damaged`);
  }
}

/** The format version a file says it has (format 1 had none). */
function versionOf(doc: unknown, file: string, dir: string): number {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ResultFolderError(`${dir}: ${file} is not a JSON object; the result set is damaged`);
  const v = (doc as { formatVersion?: unknown }).formatVersion;
  if (v === undefined) return 1;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ResultFolderError(`${dir}: ${file} has formatVersion ${JSON.stringify(v)}, which is not a format version`);
  if (v > FORMAT_VERSION) {
    throw new ResultFolderError(`${dir} was written by a newer kbench (result-set format ${v}); this kbench reads formats 1 to ${FORMAT_VERSION}. Upgrade kbench to read it.`);
  }
  return v;
}

export type CsvRow = Record<string, string>;

/**
 * A result folder's manifest alone, checked against the format: what a killed run left
 * (manifest.json saying `running`, no summary) can still say whose it was.
 */
export function readManifest(dir: string): Manifest {
  const abs = path.resolve(dir);
  const file = path.join(abs, 'manifest.json');
  if (!existsSync(file)) throw new ResultFolderError(`${dir} is not a kbench result set: it has no manifest.json`);
  const raw = readJson(file, dir);
  if (versionOf(raw, 'manifest.json', dir) < FORMAT_VERSION) throw new ResultFolderError(`${dir}: manifest.json is of an older format, from before sharded runs`);
  if (!validateManifest(raw)) throw new ResultFolderError(`${dir}: manifest.json does not match the result-set format (${firstError(validateManifest.errors)})`);
  return raw as Manifest;
}

/**
 * A result set read back from its folder, for compare, report, merge and history: the
 * manifest and summary checked against the format (src/results/format.ts) and upgraded
 * from the previous format, the CSVs and histograms read when asked. Anything damaged is
 * a ResultFolderError naming the folder and the file.
 */
export class ResultFolder {
  #pods?: CsvRow[];
  readonly #podColumns = new Map<string, Float64Array>();
  #podHeader?: readonly string[];
  #histograms?: Map<string, string>;

  private constructor(
    readonly dir: string,
    readonly manifest: Manifest,
    readonly summary: Summary,
  ) {}

  static open(dir: string): ResultFolder {
    const abs = path.resolve(dir);
    if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new ResultFolderError(`${dir} is not a folder; name a result folder that kbench run wrote (results/<workload>-<timestamp>)`);
    const manifestPath = path.join(abs, 'manifest.json');
    if (!existsSync(manifestPath)) throw new ResultFolderError(`${dir} is not a kbench result set: it has no manifest.json`);
    const rawManifest = readJson(manifestPath, dir);
    const mv = versionOf(rawManifest, 'manifest.json', dir);
    const summaryPath = path.join(abs, 'summary.json');
    if (!existsSync(summaryPath)) {
      const status = (rawManifest as { status?: unknown }).status;
      throw new ResultFolderError(
        status === 'running'
          ? `${dir} is the result set of a run that was killed before it finished (manifest.json says running, there is no summary.json); nothing in it can be compared`
          : `${dir} has no summary.json; the result set is incomplete${typeof (rawManifest as { error?: unknown }).error === 'string' ? ` (manifest.json: ${(rawManifest as { error: string }).error})` : ''}`,
      );
    }
    const rawSummary = readJson(summaryPath, dir);
    const sv = versionOf(rawSummary, 'summary.json', dir);
    const summary = sv < FORMAT_VERSION ? upgradeSummary(rawSummary as Record<string, unknown>) : rawSummary;
    const manifest = mv < FORMAT_VERSION ? upgradeManifest(rawManifest as Record<string, unknown>, summary as Record<string, unknown>) : rawManifest;
    if (!validateManifest(manifest)) throw new ResultFolderError(`${dir}: manifest.json does not match the result-set format (${firstError(validateManifest.errors)})`);
    if (!validateSummary(summary)) throw new ResultFolderError(`${dir}: summary.json does not match the result-set format (${firstError(validateSummary.errors)})`);
    return new ResultFolder(abs, manifest as Manifest, summary as Summary);
  }

  /** A label for headings: the folder's name. */
  get name(): string {
    return path.basename(this.dir);
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  has(name: string): boolean {
    return existsSync(this.file(name));
  }

  /** A CSV of the folder as rows keyed by column; [] when the file is not there. */
  csv(name: string): CsvRow[] {
    if (!this.has(name)) return [];
    try {
      return parse(readFileSync(this.file(name), 'utf8'), { columns: true, skip_empty_lines: true }) as CsvRow[];
    } catch (e) {
      throw new ResultFolderError(`${this.dir}: ${name} is damaged (${(e as Error).message.split('\n')[0]})`);
    }
  }

  /** pods.csv as row objects. Heavy at 150,000 pods: prefer podColumn(), which keeps numbers only. */
  podRows(): CsvRow[] {
    this.#pods ??= this.csv('pods.csv');
    return this.#pods;
  }

  /**
   * Numeric (`*_ms`) and time columns of pods.csv, one Float64Array each (NaN where a cell is
   * empty; times as ms since the epoch), read in one streaming pass that keeps no row and
   * cuts out of each line only the cells asked for: a report needs the numbers alone, and
   * parsing every column took some 40% of its CPU and memory at 150,000 pods. `want` picks,
   * by name, which of the columns not read yet this pass reads.
   */
  #readPodColumns(want: (column: string) => boolean): void {
    if (this.#podHeader && !this.#podHeader.some((c) => want(c) && podColumnKind(c) && !this.#podColumns.has(c))) return;
    if (!this.has('pods.csv')) {
      this.#podHeader = [];
      return;
    }
    let header: string[] | undefined;
    let wanted: number[] = [];
    let parsers: ((cell: string) => number)[] = [];
    let columns: Float64Array[] = [];
    let row = 0;
    const damaged = (why: string): ResultFolderError => new ResultFolderError(`${this.dir}: pods.csv is damaged (${why})`);
    const onRecord = (cells: string[], width: number): void => {
      if (width !== header!.length) throw damaged(`row ${row + 2} has ${width} cells, the header ${header!.length}`);
      if (row === columns[0]?.length) columns = columns.map((c) => grow(c));
      for (let i = 0; i < cells.length; i++) {
        const cell = cells[i]!;
        const v = cell === '' ? NaN : parsers[i]!(cell);
        if (cell !== '' && !Number.isFinite(v)) throw damaged(`"${cell.slice(0, 40)}" in column ${header![wanted[i]!]}, row ${row + 2}, is not a ${parsers[i] === Number ? 'number' : 'time'}`);
        columns[i]![row] = v;
      }
      row++;
    };
    const setHeader = (cells: string[]): void => {
      header = cells;
      wanted = header.flatMap((c, i) => (want(c) && podColumnKind(c) && !this.#podColumns.has(c) ? [i] : []));
      parsers = wanted.map((i) => (podColumnKind(header![i]!) === 'number' ? Number : Date.parse));
      columns = wanted.map(() => new Float64Array(1024));
    };
    try {
      // A piece of whole records at a time: a 150,000-pod pods.csv (some 60 MB) is never one string.
      for (const piece of recordPieces(this.file('pods.csv'))) {
        if (header) {
          eachCsvRecordPick(piece, wanted, onRecord);
          continue;
        }
        // The first piece (a megabyte of many) is read whole, header and all.
        eachCsvRecord(piece, (record) => (header ? onRecord(wanted.map((i) => record[i] ?? ''), record.length) : setHeader(record)));
        // Only the header was asked for (or every column asked for is read already).
        if (header && wanted.length === 0) break;
      }
    } catch (e) {
      if (e instanceof ResultFolderError) throw e;
      throw damaged(`after row ${row + 1}: ${(e as Error).message.split('\n')[0]!}`);
    }
    wanted.forEach((i, k) => this.#podColumns.set(header![i]!, columns[k]!.slice(0, row)));
    this.#podHeader ??= header ?? [];
  }

  /** pods.csv's column names; [] without pods.csv. */
  podHeader(): readonly string[] {
    if (!this.#podHeader) this.#readPodColumns(() => false);
    return this.#podHeader!;
  }

  /** Numeric or time columns of pods.csv by name, a value per pod in file order; read in one pass. */
  podColumns<K extends string>(...names: K[]): Record<K, Float64Array> {
    this.#readPodColumns((c) => (names as string[]).includes(c));
    const out = {} as Record<K, Float64Array>;
    for (const name of names) {
      const c = this.#podColumns.get(name);
      if (!c) throw new ResultFolderError(`${this.dir}: pods.csv has no column ${name}`);
      out[name] = c;
    }
    return out;
  }

  podColumn(name: string): Float64Array {
    return this.podColumns(name)[name];
  }

  /** Every pod's value of one startup phase (pods.csv column `<phase>_ms`), in ms. Every phase's column is read in the same pass. */
  podSamples(phase: string): number[] {
    this.#readPodColumns((c) => c.endsWith('_ms'));
    const col = this.#podColumns.get(`${phase}_ms`) ?? new Float64Array();
    const out: number[] = [];
    for (const v of col) if (!Number.isNaN(v)) out.push(v);
    return out;
  }

  podDistribution(phase: string): Distribution {
    return fromSamples(this.podSamples(phase));
  }

  /** Every histogram histograms/index.json names: its file, request key (API latency) and what it measures (call, last-attempt, limiter-wait). */
  histogramEntries(): { file: string; key?: string; of: string }[] {
    if (!this.has('histograms/index.json')) return [];
    const index = readJson(this.file('histograms/index.json'), this.dir) as { histograms?: { file?: unknown; key?: unknown; of?: unknown }[] } | null;
    if (typeof index !== 'object' || index === null || !Array.isArray(index.histograms)) throw new ResultFolderError(`${this.dir}: histograms/index.json has no histograms list; the result set is damaged`);
    return index.histograms
      .filter((h) => typeof h === 'object' && h !== null && typeof h.file === 'string')
      .map((h) => ({ file: h.file as string, ...(typeof h.key === 'string' ? { key: h.key } : {}), of: typeof h.of === 'string' ? h.of : 'call' }));
  }

  /** The file of each histogram in histograms/index.json, by key (whole-call latency). */
  #histogramIndex(): Map<string, string> {
    if (this.#histograms) return this.#histograms;
    this.#histograms = new Map();
    for (const h of this.histogramEntries()) if (h.key !== undefined && h.of === 'call') this.#histograms.set(h.key, h.file);
    return this.#histograms;
  }

  /** The client-side latency histogram of one API key, in ms; undefined when it was not kept. */
  apiDistribution(key: string): Distribution | undefined {
    const file = this.#histogramIndex().get(key);
    if (!file || !this.has(`histograms/${file}`)) return undefined;
    return fromHistogramUs(this.histogram(file));
  }

  /** A histogram file of histograms/, decoded. */
  histogram(file: string): ReturnType<typeof decodeHistogram> {
    const text = readFileSync(this.file(`histograms/${file}`), 'utf8').trim();
    try {
      return decodeHistogram(text);
    } catch (e) {
      throw new ResultFolderError(`${this.dir}: histograms/${file} is not a readable HDR histogram (${(e as Error).message}); the result set is damaged`);
    }
  }
}
