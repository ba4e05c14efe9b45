import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';

/**
 * A result folder, written as the run goes: manifest.json at the start (status running)
 * and at the end, timeseries.csv one row at a time, the rest when the run ends. A folder
 * whose manifest still says `running` is what a killed run left behind.
 */
export class ResultSet {
  readonly #streams = new Map<string, { stream: WriteStream; columns: string[] }>();

  private constructor(readonly dir: string) {}

  static async create(dir: string): Promise<ResultSet> {
    const abs = path.resolve(dir);
    await mkdir(abs, { recursive: true });
    const existing = await readdir(abs);
    if (existing.length > 0) throw new Error(`result folder ${abs} already exists and is not empty; choose another --out`);
    await mkdir(path.join(abs, 'histograms'), { recursive: true });
    return new ResultSet(abs);
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  /** Writes JSON atomically (temp file, then rename), so a crash never leaves half a file. */
  async writeJson(name: string, value: unknown): Promise<void> {
    const target = this.file(name);
    await mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.tmp`;
    await writeFile(tmp, JSON.stringify(value, null, 2) + '\n');
    await rename(tmp, target);
  }

  async writeText(name: string, text: string): Promise<void> {
    const target = this.file(name);
    await mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.tmp`;
    await writeFile(tmp, text);
    await rename(tmp, target);
  }

  async writeCsv(name: string, columns: string[], rows: unknown[][]): Promise<void> {
    await this.writeText(name, stringify(rows, { header: true, columns }));
  }

  /** Appends one row to a CSV written as the run goes (the header comes with the first row). */
  appendRow(name: string, columns: string[], row: unknown[]): void {
    let s = this.#streams.get(name);
    if (!s) {
      const stream = createWriteStream(this.file(name), { flags: 'w' });
      stream.write(stringify([columns]));
      s = { stream, columns };
      this.#streams.set(name, s);
    }
    s.stream.write(stringify([row]));
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.#streams.values()].map(
        (s) =>
          new Promise<void>((resolve) => {
            s.stream.end(() => resolve());
          }),
      ),
    );
    this.#streams.clear();
  }
}
