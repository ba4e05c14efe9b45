import path from 'node:path';
import { rename, rm, writeFile } from 'node:fs/promises';
import type { ResultFolder } from '../results/reader.js';
import type { Comparison } from '../compare/format.js';
import { renderReport } from '../report/html.js';
import { compareFolders, openResult } from './compare.js';
import type { ReportArgs } from './flags.js';
import { UsageError } from './errors.js';

/** Writes the HTML report of a result set (atomically: a reader never sees half a file). */
export async function writeReport(run: ResultFolder, out: string, baseline?: ResultFolder, comparison?: Comparison): Promise<string> {
  const html = renderReport({ run, ...(baseline ? { baseline } : {}), ...(comparison ? { comparison } : {}) });
  const tmp = `${out}.tmp`;
  try {
    await writeFile(tmp, html);
    await rename(tmp, out);
  } finally {
    await rm(tmp, { force: true });
  }
  return out;
}

export async function reportHandler(args: ReportArgs): Promise<void> {
  const run = openResult(args.dir, 'the result set');
  const baseline = args.compare ? openResult(args.compare, '--compare') : undefined;
  const comparison = baseline ? compareFolders(baseline, run, { ...args, failOnRegression: false }) : undefined;
  const out = path.resolve(args.out ?? run.file('report.html'));
  try {
    await writeReport(run, out, baseline, comparison);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code) throw new UsageError(`cannot write the report to ${args.out ?? out}: ${code} (${code === 'ENOENT' ? 'its folder does not exist' : code === 'EACCES' || code === 'EROFS' ? 'not writable' : code === 'EISDIR' ? 'it is a folder' : (e as Error).message})`);
    throw e;
  }
  console.log(`report: ${path.relative(process.cwd(), out) || out}`);
}

