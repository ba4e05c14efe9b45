import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SERIES_FORMAT_VERSION, type SeriesFile, type SeriesSummary } from './format.js';

/**
 * A series folder as it is written: series.json rewritten (atomically) after each run with
 * every run that left a result set, so a series cut short still says what it holds; the
 * series summary at the end.
 */
export class SeriesWriter {
  readonly #runs: string[] = [];

  private constructor(
    readonly dir: string,
    readonly id: string,
    readonly workload: SeriesFile['workload'],
  ) {}

  static async create(dir: string, id: string, workload: SeriesFile['workload']): Promise<SeriesWriter> {
    const abs = path.resolve(dir);
    await mkdir(abs, { recursive: true });
    const w = new SeriesWriter(abs, id, workload);
    await w.#write();
    return w;
  }

  /** The folder of run `index` (from 1). */
  runDir(index: number): string {
    return path.join(this.dir, `run-${index}`);
  }

  get runs(): readonly string[] {
    return this.#runs;
  }

  /** Records run `index` in series.json when it left a result set (a manifest). */
  async ran(index: number): Promise<void> {
    const name = `run-${index}`;
    if (!existsSync(path.join(this.runDir(index), 'manifest.json')) || this.#runs.includes(name)) return;
    this.#runs.push(name);
    await this.#write();
  }

  get file(): SeriesFile {
    return { formatVersion: SERIES_FORMAT_VERSION, kind: 'series', id: this.id, workload: this.workload, runs: [...this.#runs] };
  }

  async #write(): Promise<void> {
    await atomicJson(path.join(this.dir, 'series.json'), this.file);
  }

  async writeSummary(summary: SeriesSummary): Promise<void> {
    await atomicJson(path.join(this.dir, 'series-summary.json'), summary);
  }
}

export async function atomicJson(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.tmp`;
  try {
    await writeFile(tmp, JSON.stringify(value, null, 2) + '\n');
    await rename(tmp, file);
  } finally {
    await rm(tmp, { force: true });
  }
}
