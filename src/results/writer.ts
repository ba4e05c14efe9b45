import { createReadStream, createWriteStream, existsSync, readFileSync, renameSync, writeFileSync, type WriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';

/** The result folder cannot be used (exists and is not empty, is a file, cannot be written). */
export class ResultFolderUnusable extends Error {}

/**
 * Checks that `dir` can become a result folder, before anything else happens (a target
 * that takes minutes to start must not be started for a run that cannot be written).
 */
export async function checkOutDir(dir: string): Promise<void> {
  const abs = path.resolve(dir);
  const s = await stat(abs).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw new ResultFolderUnusable(`cannot use ${dir} as the result folder: ${e.code === 'ENOTDIR' ? 'a part of the path is a file' : (e.code ?? e.message)}`);
  });
  if (s && !s.isDirectory()) throw new ResultFolderUnusable(`${dir} is a file, not a folder; choose another --out`);
  if (s && (await readdir(abs)).length > 0) throw new ResultFolderUnusable(`${dir} already exists and is not empty; choose another --out (a result set is never written over another)`);
  // Can a file be made there? Made and removed now, so an unwritable place is bad input.
  // A folder that does not exist yet is made later: probe its nearest existing ancestor.
  let base = abs;
  for (;;) {
    const st = await stat(base).catch(() => undefined);
    if (st?.isDirectory()) break;
    if (st) throw new ResultFolderUnusable(`cannot make the result folder ${dir}: ${base} is a file`);
    const up = path.dirname(base);
    if (up === base) break;
    base = up;
  }
  const probe = path.join(base, `.kbench-write-check-${process.pid}`);
  try {
    await writeFile(probe, '');
  } catch (e) {
    throw new ResultFolderUnusable(`cannot write the result folder ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  await rm(probe, { force: true });
}

/** How far a run given up at once had got (see markAbandoned). */
export type Abandoned = 'not started' | 'no results' | 'no cleanup' | 'finished';

/**
 * For a run that exits at once (a second SIGINT): its manifest, if it still says
 * `running`, says `interrupted`, with `reason` and what was and was not done, and when.
 * Synchronous, as the process is about to exit. Says how far the run had got: no folder
 * yet, results not written, results written but not the cleanup (summary.json is written
 * before the namespaces are deleted), or all done.
 */
export function markAbandoned(dir: string, reason: string): Abandoned {
  const abs = path.resolve(dir);
  const file = path.join(abs, 'manifest.json');
  if (!existsSync(file)) return 'not started';
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as { status?: unknown };
  if (manifest.status !== 'running') return 'finished';
  const state = existsSync(path.join(abs, 'summary.json')) ? 'no cleanup' : 'no results';
  const error = `${reason}: kbench exited at once, ${state === 'no results' ? 'without writing the results or cleaning up' : 'after writing the results, before the cleanup (the namespaces may be left)'}`;
  // A temp file of its own: the run's last writeJson('manifest.json') may be in flight.
  const tmp = `${file}.abandoned.tmp`;
  writeFileSync(tmp, JSON.stringify({ ...manifest, status: 'interrupted', endedAt: new Date().toISOString(), error }, null, 2) + '\n');
  renameSync(tmp, file);
  return state;
}

/**
 * A result folder, written as the run goes: manifest.json at the start (status running)
 * and at the end, time series one row at a time, the rest when the run ends. A folder
 * whose manifest still says `running` is what a killed run left behind. Every JSON and
 * text file is written atomically (a temp file, then a rename).
 */
/**
 * Rows stringified and written at a time by writeCsvRows. Small on purpose: with 1,000 the
 * 150,000 rows of pods.csv left some 140 MB of promoted garbage on the heap by the end of the
 * file (it then was kbench's peak); with 100, about 20 MB, and the file is written faster.
 */
const ROWS_PER_WRITE = 100;

/** What makes csv-stringify quote a cell: the delimiter, a quote or a line break. */
const NEEDS_QUOTES = /[",\r\n]/;

/**
 * The CSV text of `rows`, exactly as csv-stringify writes it. Rows of plain strings and
 * finite numbers (every row of pods.csv) are joined here, without csv-stringify's per-cell
 * work and garbage; anything else (a cell to quote, a boolean, a date) goes to csv-stringify.
 */
export function csvText(rows: readonly unknown[][]): string {
  let out = '';
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) {
      const c = row[i];
      let cell: string;
      if (typeof c === 'string') cell = c;
      else if (typeof c === 'number' && Number.isFinite(c)) cell = String(c);
      else if (c === undefined || c === null) cell = '';
      else return stringify(rows as unknown[][]);
      if (NEEDS_QUOTES.test(cell)) return stringify(rows as unknown[][]);
      out += i === 0 ? cell : `,${cell}`;
    }
    out += '\n';
  }
  return out;
}

export class ResultWriter {
  readonly #streams = new Map<string, { stream: WriteStream; columns: readonly string[] }>();

  private constructor(readonly dir: string) {}

  static async create(dir: string): Promise<ResultWriter> {
    const abs = path.resolve(dir);
    await mkdir(abs, { recursive: true });
    const existing = await readdir(abs);
    if (existing.length > 0) throw new ResultFolderUnusable(`result folder ${abs} already exists and is not empty; choose another --out`);
    return new ResultWriter(abs);
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  async writeJson(name: string, value: unknown): Promise<void> {
    await this.writeText(name, JSON.stringify(value, null, 2) + '\n');
  }

  async writeText(name: string, text: string): Promise<void> {
    const target = this.file(name);
    await mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.tmp`;
    await writeFile(tmp, text);
    await rename(tmp, target);
  }

  async writeCsv(name: string, columns: readonly string[], rows: unknown[][]): Promise<void> {
    await this.writeText(name, stringify(rows, { header: true, columns: [...columns] }));
  }

  /**
   * Writes a CSV from rows made one at a time, a chunk of rows per write, so a file of
   * 150,000 rows never exists whole in memory; atomically, like every file here.
   */
  async writeCsvRows(name: string, columns: readonly string[], rows: Iterable<unknown[]>): Promise<void> {
    const target = this.file(name);
    await mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.tmp`;
    const stream = createWriteStream(tmp);
    const failed = new Promise<never>((_, reject) => stream.once('error', reject));
    failed.catch(() => undefined);
    const write = async (text: string): Promise<void> => {
      if (!stream.write(text)) await Promise.race([new Promise<void>((r) => stream.once('drain', () => r())), failed]);
    };
    await write(csvText([[...columns]]));
    let chunk: unknown[][] = [];
    for (const row of rows) {
      chunk.push(row);
      if (chunk.length === ROWS_PER_WRITE) {
        await write(csvText(chunk));
        chunk = [];
      }
    }
    if (chunk.length > 0) await write(csvText(chunk));
    await Promise.race([new Promise<void>((r) => stream.end(r)), failed]);
    await rename(tmp, target);
  }

  /**
   * Writes a CSV that is other CSV files one after the other (the shards' pods.csv of a
   * merge): `columns` as the header, then each file's rows after its own header line,
   * streamed as bytes, so rows are copied exactly and no file is ever whole in memory. The
   * caller checks the files have these columns.
   */
  async writeCsvConcat(name: string, columns: readonly string[], files: readonly string[]): Promise<void> {
    const target = this.file(name);
    await mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.tmp`;
    const out = createWriteStream(tmp);
    const failed = new Promise<never>((_, reject) => out.once('error', reject));
    failed.catch(() => undefined);
    const write = async (chunk: string | Buffer): Promise<void> => {
      if (!out.write(chunk)) await Promise.race([new Promise<void>((r) => out.once('drain', () => r())), failed]);
    };
    await write(stringify([[...columns]]));
    for (const file of files) {
      // Column names hold no quotes or line breaks: the header ends at the first newline.
      let inHeader = true;
      let last = 0x0a;
      for await (const piece of createReadStream(file)) {
        let chunk = piece as Buffer;
        if (inHeader) {
          const nl = chunk.indexOf(0x0a);
          if (nl < 0) continue;
          inHeader = false;
          chunk = chunk.subarray(nl + 1);
        }
        if (chunk.length === 0) continue;
        last = chunk[chunk.length - 1]!;
        await write(chunk);
      }
      if (last !== 0x0a) await write('\n');
    }
    await Promise.race([new Promise<void>((r) => out.end(r)), failed]);
    await rename(tmp, target);
  }

  /** Appends one row to a CSV written as the run goes (the header comes with the first row). */
  appendRow(name: string, columns: readonly string[], row: unknown[]): void {
    let s = this.#streams.get(name);
    if (!s) {
      const stream = createWriteStream(this.file(name), { flags: 'w' });
      // A full disk must not kill the run: the error surfaces when the stream is closed.
      stream.on('error', () => undefined);
      stream.write(csvText([[...columns]]));
      s = { stream, columns };
      this.#streams.set(name, s);
    }
    s.stream.write(csvText([row]));
  }

  /** Closes the streamed files; rejects with the first write error any of them had. */
  async close(): Promise<void> {
    const errors: Error[] = [];
    await Promise.all(
      [...this.#streams.entries()].map(
        ([name, s]) =>
          new Promise<void>((resolve) => {
            if (s.stream.errored) errors.push(new Error(`${name}: ${s.stream.errored.message}`));
            s.stream.end(() => resolve());
          }),
      ),
    );
    this.#streams.clear();
    if (errors.length > 0) throw errors[0]!;
  }
}
