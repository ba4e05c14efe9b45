import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parse } from 'csv-parse/sync';
import { type Distribution, fromHistogramUs, fromSamples } from '../compare/distribution.js';
import { decodeHistogram } from '../measure/stats.js';
import { FORMAT_VERSION, type Manifest, type Summary } from './format.js';
import schema from './result-set.schema.json' with { type: 'json' };
import { upgradeManifest, upgradeSummary } from './upgrade.js';

/** A folder that is not a readable result set. Bad input: exit 2, one line, no stack. */
export class ResultFolderError extends Error {}

const ajv = new Ajv({ allErrors: false, strict: false });
ajv.addSchema(schema, 'result-set');
const validateManifest = ajv.getSchema('result-set#/definitions/Manifest')!;
const validateSummary = ajv.getSchema('result-set#/definitions/Summary')!;

function firstError(errors: ErrorObject[] | null | undefined): string {
  const e = errors?.[0];
  if (!e) return 'it does not match the result-set format';
  const where = e.instancePath || '(the top level)';
  const extra = e.keyword === 'additionalProperties' ? ` "${String(e.params.additionalProperty)}"` : e.keyword === 'required' ? ` "${String(e.params.missingProperty)}"` : '';
  return `${where}: ${e.message ?? e.keyword}${extra}`;
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
    throw new ResultFolderError(`${dir}: ${path.basename(file)} is not valid JSON (${(e as Error).message}); the result set is damaged`);
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

  podRows(): CsvRow[] {
    this.#pods ??= this.csv('pods.csv');
    return this.#pods;
  }

  /** Every pod's value of one startup phase (pods.csv column `<phase>_ms`), in ms. */
  podSamples(phase: string): number[] {
    const column = `${phase}_ms`;
    const out: number[] = [];
    for (const row of this.podRows()) {
      const v = row[column];
      if (v === undefined || v === '') continue;
      const n = Number(v);
      if (!Number.isFinite(n)) throw new ResultFolderError(`${this.dir}: pods.csv has "${v}" in column ${column}, which is not a number; the result set is damaged`);
      out.push(n);
    }
    return out;
  }

  podDistribution(phase: string): Distribution {
    return fromSamples(this.podSamples(phase));
  }

  /** The file of each histogram in histograms/index.json, by key (whole-call latency). */
  #histogramIndex(): Map<string, string> {
    if (this.#histograms) return this.#histograms;
    this.#histograms = new Map();
    if (!this.has('histograms/index.json')) return this.#histograms;
    const index = readJson(this.file('histograms/index.json'), this.dir) as { histograms?: { file?: unknown; key?: unknown; of?: unknown }[] };
    if (!Array.isArray(index.histograms)) throw new ResultFolderError(`${this.dir}: histograms/index.json has no histograms list; the result set is damaged`);
    for (const h of index.histograms) {
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
