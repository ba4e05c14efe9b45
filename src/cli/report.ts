import path from 'node:path';
import { rename, rm, writeFile } from 'node:fs/promises';
import type { ResultFolder } from '../results/reader.js';
import type { Comparison } from '../compare/format.js';
import { renderReport } from '../report/html.js';
import type { ReportArgs } from './flags.js';
import { UsageError } from './errors.js';

/** Writes the HTML report of a result set (atomically: a reader never sees half a file). */
export async function writeReport(run: ResultFolder, out: string, baseline?: ResultFolder, comparison?: Comparison): Promise<string> {
  return writeHtml(out, renderReport({ run, ...(baseline ? { baseline } : {}), ...(comparison ? { comparison } : {}) }));
}

export async function writeHtml(out: string, html: string): Promise<string> {
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
  // The comparison's statistics are loaded here, not with writeReport (every run writes a report).
  const { compareFolders, compareSeriesFolders, openRunOrSeriesArg } = await import('./compare.js');
  const target = openRunOrSeriesArg(args.dir, 'the result set');
  const base = args.compare ? openRunOrSeriesArg(args.compare, '--compare') : undefined;
  const out = path.resolve(args.out ?? path.join(args.dir, 'report.html'));
  try {
    if (target.kind === 'run' && base?.kind !== 'series') {
      const run = target.run;
      const baseline = base?.kind === 'run' ? base.run : undefined;
      const comparison = baseline ? compareFolders(baseline, run, { ...args, failOnRegression: false }) : undefined;
      await writeReport(run, out, baseline, comparison);
    } else {
      // A series on either side: the runs' comparison, and the typical runs' charts.
      const comparison = base ? compareSeriesFolders(base, target, { a: args.compare!, b: args.dir }, { ...args, failOnRegression: false }) : undefined;
      const { writeSeriesReport } = await import('./series-report.js');
      const series = target.kind === 'series' ? target.series : undefined;
      if (!series) throw new UsageError(`the result set ${args.dir} is one run and --compare ${args.compare} a series: report the series with --compare the run (kbench report ${args.compare} --compare ${args.dir}), or compare them with kbench compare`);
      await writeSeriesReport(series, out, base ? (base.kind === 'run' ? base.run : base.series) : undefined, comparison);
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code) throw new UsageError(`cannot write the report to ${args.out ?? out}: ${code} (${code === 'ENOENT' ? 'its folder does not exist' : code === 'EACCES' || code === 'EROFS' ? 'not writable' : code === 'EISDIR' ? 'it is a folder' : (e as Error).message})`);
    throw e;
  }
  console.log(`report: ${path.relative(process.cwd(), out) || out}`);
}

