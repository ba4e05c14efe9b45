import path from 'node:path';
import { writeFile, rename } from 'node:fs/promises';
import type { Argv, CommandModule } from 'yargs';
import type { ResultFolder } from '../results/reader.js';
import type { Comparison } from '../compare/format.js';
import { renderReport } from '../report/html.js';
import { type CompareFlags, compareFolders, openResult, withCompareOptions } from './compare.js';

interface ReportArgs extends Omit<CompareFlags, 'failOnRegression'> {
  dir: string;
  compare?: string;
  out?: string;
}

/** Writes the HTML report of a result set (atomically: a reader never sees half a file). */
export async function writeReport(run: ResultFolder, out: string, baseline?: ResultFolder, comparison?: Comparison): Promise<string> {
  const html = renderReport({ run, ...(baseline ? { baseline } : {}), ...(comparison ? { comparison } : {}) });
  const tmp = `${out}.tmp`;
  await writeFile(tmp, html);
  await rename(tmp, out);
  return out;
}

async function handler(args: ReportArgs): Promise<void> {
  const run = openResult(args.dir, 'the result set');
  const baseline = args.compare ? openResult(args.compare, '--compare') : undefined;
  const comparison = baseline ? compareFolders(baseline, run, { ...args, failOnRegression: false }) : undefined;
  const out = path.resolve(args.out ?? run.file('report.html'));
  await writeReport(run, out, baseline, comparison);
  console.log(`report: ${path.relative(process.cwd(), out) || out}`);
}

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report <dir>',
  describe: 'Write a self-contained HTML report of a result set (with --compare: overlaid on another)',
  builder: (y: Argv) =>
    withCompareOptions(y, false)
      .positional('dir', { type: 'string', demandOption: true, describe: 'Result folder (B when comparing)' })
      .option('compare', { type: 'string', describe: 'Result folder to compare with (A, the baseline)' })
      .option('out', { type: 'string', describe: 'HTML file to write (default: <dir>/report.html)' }) as unknown as Argv<ReportArgs>,
  handler,
};
