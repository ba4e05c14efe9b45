import path from 'node:path';
import { seriesSummary } from '../compare/series-summary.js';
import type { SeriesComparison } from '../compare/series-format.js';
import type { ResultFolder } from '../results/reader.js';
import type { SeriesFolder } from '../results/series.js';
import { renderReport } from '../report/html.js';
import { seriesSection } from '../report/series-section.js';
import { writeHtml } from './report.js';

/** The run the charts of a series' report show: the one with the median pod startup p50 (else the middle one). */
export function typicalRun(runs: readonly ResultFolder[]): ResultFolder {
  const keyed = runs.map((r) => ({ r, v: r.summary.pods?.phases.pod_startup?.p50 })).filter((x): x is { r: ResultFolder; v: number } => x.v !== undefined);
  if (keyed.length === 0) return runs[Math.floor((runs.length - 1) / 2)]!;
  keyed.sort((x, y) => x.v - y.v);
  return keyed[Math.floor((keyed.length - 1) / 2)]!.r;
}

function sideOf(s: SeriesFolder, label: string): { shown: ResultFolder; section: Parameters<typeof seriesSection>[0][number] } {
  const runs = s.complete.length > 0 ? s.complete : s.runs;
  const shown = typicalRun(runs);
  const summary = seriesSummary(s.file, s.runs.map((r) => ({ folder: path.relative(s.dir, r.dir), result: r })), s.file.runs.length);
  return { shown, section: { label, dir: s.name, summary, shownRun: path.relative(s.dir, shown.dir) } };
}

/**
 * The report of a series: the charts of its typical run, after a table of every run's key
 * values; with a baseline series (or run), both typical runs overlaid and the comparison of
 * the runs.
 */
export async function writeSeriesReport(series: SeriesFolder, out: string, baseline?: SeriesFolder | ResultFolder, comparison?: SeriesComparison): Promise<string> {
  const b = sideOf(series, baseline ? 'B ' : '');
  const a = baseline && 'file' in baseline && 'complete' in baseline ? sideOf(baseline, 'A ') : undefined;
  const baseRun = a ? a.shown : (baseline as ResultFolder | undefined);
  const html = renderReport({
    run: b.shown,
    ...(baseRun ? { baseline: baseRun } : {}),
    ...(comparison ? { comparison } : {}),
    seriesSection: seriesSection(a ? [a.section, b.section] : [b.section]),
  });
  return writeHtml(out, html);
}
