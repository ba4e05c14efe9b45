import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parse } from 'csv-parse/sync';
import { type Distribution, fromHistogramUs, fromSamples } from '../compare/distribution.js';
import { decodeHistogram } from '../measure/stats.js';
import { BadInputError } from '../util/errors.js';
import { FORMAT_VERSION, type Manifest, type Summary } from './format.js';
import schema from './result-set.schema.json' with { type: 'json' };
import { upgradeManifest, upgradeSummary } from './upgrade.js';

/** A folder that is not a readable result set. Bad input: exit 2, one line, no stack. */
export class ResultFolderError extends BadInputError {}

const ajv = new Ajv({ allErrors: false, strict: false });
ajv.addSchema(schema, 'result-set');
const validateManifest = ajv.getSchema('result-set#/definitions/Manifest')!;
const validateSummary = ajv.getSchema('result-set#/definitions/Summary')!;

function firstError(errors: ErrorObject[] | null | undefined): string {
  const e = errors?.[0];
  if (!e) return 'it does not match the result-set format';
  const where = JSON.stringify(e.instancePath || '/').slice(1, -1);
  const extra = e.keyword === 'additionalProperties' ? ` ${JSON.stringify(String(e.params.additionalProperty))}` : e.keyword === 'required' ? ` ${JSON.stringify(String(e.params.missingProperty))}` : '';
  return `${where}: ${e.message ?? e.keyword}${extra}`.slice(0, 300);
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
 * A result set read back from its folder, for compare, report, merge and history: the
 * manifest and summary checked against the format (src/results/format.ts) and upgraded
 * from the previous format, the CSVs and histograms read when asked. Anything damaged is
 * a ResultFolderError naming the folder and the file.
 */
export class ResultFolder {
  #pods?: CsvRow[];
  #podColumns?: Map<string, Float64Array>;
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
          : `${dir} has no summary.json; the result set is incomplete`,
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
   * The numeric and time columns of pods.csv, one Float64Array each (NaN where a cell is
   * empty; times as ms since the epoch), read in one streaming pass that keeps no row: 8
   * bytes a pod a column, where row objects took kilobytes a pod.
   */
  podColumn(name: string): Float64Array {
    if (!this.#podColumns) this.#podColumns = this.#readPodColumns();
    const c = this.#podColumns.get(name);
    if (!c) throw new ResultFolderError(`${this.dir}: pods.csv has no column ${name}`);
    return c;
  }

  #readPodColumns(): Map<string, Float64Array> {
    const out = new Map<string, Float64Array>();
    if (!this.has('pods.csv')) return out;
    let header: string[] | undefined;
    let kinds: ('number' | 'time' | 'skip')[] = [];
    const values: number[][] = [];
    let row = 0;
    const damaged = (why: string): ResultFolderError => new ResultFolderError(`${this.dir}: pods.csv is damaged (${why})`);
    try {
      parse(readFileSync(this.file('pods.csv'), 'utf8'), {
        skip_empty_lines: true,
        on_record: (record: string[]) => {
          if (!header) {
            header = record;
            kinds = record.map((c) => (c.endsWith('_ms') ? 'number' : /_(sent|seen|server)$|^created$/.test(c) ? 'time' : 'skip'));
            for (let i = 0; i < record.length; i++) values.push([]);
            return null;
          }
          if (record.length !== header.length) throw damaged(`row ${row + 2} has ${record.length} cells, the header ${header.length}`);
          for (let i = 0; i < record.length; i++) {
            const k = kinds[i];
            if (k === 'skip') continue;
            const cell = record[i]!;
            const v = cell === '' ? NaN : k === 'number' ? Number(cell) : Date.parse(cell);
            if (cell !== '' && !Number.isFinite(v)) throw damaged(`"${cell.slice(0, 40)}" in column ${header[i]}, row ${row + 2}, is not a ${k === 'number' ? 'number' : 'time'}`);
            values[i]!.push(v);
          }
          row++;
          return null;
        },
      });
    } catch (e) {
      if (e instanceof ResultFolderError) throw e;
      throw damaged((e as Error).message.split('\n')[0]!);
    }
    header?.forEach((c, i) => {
      if (kinds[i] !== 'skip') out.set(c, Float64Array.from(values[i]!));
    });
    return out;
  }

  /** Every pod's value of one startup phase (pods.csv column `<phase>_ms`), in ms. */
  podSamples(phase: string): number[] {
    if (!this.has('pods.csv')) return [];
    const col = this.#readOrEmpty(`${phase}_ms`);
    const out: number[] = [];
    for (const v of col) if (!Number.isNaN(v)) out.push(v);
    return out;
  }

  #readOrEmpty(name: string): Float64Array {
    if (!this.#podColumns) this.#podColumns = this.#readPodColumns();
    return this.#podColumns.get(name) ?? new Float64Array();
  }

  podDistribution(phase: string): Distribution {
    return fromSamples(this.podSamples(phase));
  }

  /** The file of each histogram in histograms/index.json, by key (whole-call latency). */
  #histogramIndex(): Map<string, string> {
    if (this.#histograms) return this.#histograms;
    this.#histograms = new Map();
    if (!this.has('histograms/index.json')) return this.#histograms;
    const index = readJson(this.file('histograms/index.json'), this.dir) as { histograms?: { file?: unknown; key?: unknown; of?: unknown }[] } | null;
    if (typeof index !== 'object' || index === null || !Array.isArray(index.histograms)) throw new ResultFolderError(`${this.dir}: histograms/index.json has no histograms list; the result set is damaged`);
    for (const h of index.histograms) {
      if (typeof h !== 'object' || h === null) continue;
      if (typeof h.key === 'string' && typeof h.file === 'string' && (h.of === undefined || h.of === 'call')) this.#histograms.set(h.key, h.file);
    }
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
