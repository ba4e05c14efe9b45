import type { ResultFolder } from '../results/reader.js';
import type { Verdict } from './compare.js';
import { formatChange, formatValue } from './display.js';
import { GROUPS } from './settings.js';
import { countLine, counts } from './format.js';
import type { SeriesRow } from './series-compare.js';
import type { CompareSettings } from './settings.js';

/** One side of a series comparison: a series folder, or one run taken as a series of one. */
export interface SeriesSide {
  dir: string;
  kind: 'run' | 'series';
  /** The complete runs compared. */
  runs: ResultFolder[];
  /** Runs of the series left out (did not complete, unreadable), and why. */
  left: string[];
}

export interface SeriesComparison {
  a: SeriesSide;
  b: SeriesSide;
  settings: CompareSettings;
  rows: SeriesRow[];
  warnings: string[];
}

const ORDER: Verdict[] = ['regressed', 'improved', 'inconclusive', 'unchanged'];

function describe(s: SeriesSide): string {
  const first = s.runs[0]!;
  const t = first.manifest.target;
  const where = t.kind === 'sim' ? 'sim' : t.server;
  const what = s.kind === 'series' ? `series of ${s.runs.length} complete run${s.runs.length === 1 ? '' : 's'}${s.left.length ? ` (${s.left.length} left out)` : ''}` : 'one run';
  return `${first.manifest.workload.name}, ${what}, from ${first.manifest.startedAt.replace('T', ' ').slice(0, 16)} UTC, ${where}`;
}

function settingsLine(s: CompareSettings): string {
  const groups = Object.entries(s.groupThresholdPct)
    .map(([g, v]) => `${g} ${v}%`)
    .join(', ');
  return `threshold ${s.thresholdPct}%${groups ? ` (${groups})` : ''}, noise floor ${s.noiseFloorMs} ms and ${s.noiseFloorPods} pending pods; each measurement one value per run, A and B the medians over the runs, the shift judged by its exact 95% rank-sum (Hodges-Lehmann) interval over the runs`;
}

function values(v: readonly number[], unit: SeriesRow['unit']): string {
  return v.map((x) => formatValue(x, unit)).join(' ');
}

export function formatSeriesTable(c: SeriesComparison): string {
  const lines = [`A  ${c.a.dir}\n   ${describe(c.a)}`, `B  ${c.b.dir}\n   ${describe(c.b)}`, ''];
  const header = ['metric', 'A', 'B', 'change', 'verdict', 'evidence'];
  for (const g of GROUPS) {
    const rows = c.rows.filter((r) => r.group === g);
    if (rows.length === 0) continue;
    const cells = rows.map((r) => [r.label, formatValue(r.a, r.unit), formatValue(r.b, r.unit), formatChange(r.changePct), r.verdict, r.evidence]);
    const width = header.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]!.length)));
    const line = (row: string[]): string =>
      row
        .map((cell, i) => (i >= 1 && i <= 3 ? cell.padStart(width[i]!) : i === row.length - 1 ? cell : cell.padEnd(width[i]!)))
        .join('  ')
        .trimEnd();
    lines.push(line(header).replace('metric', g.padEnd(6)), ...cells.map(line), '');
  }
  lines.push(`${countLine(c.rows)} (${settingsLine(c.settings)})`);
  for (const w of c.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}

function md(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function formatSeriesMarkdown(c: SeriesComparison): string {
  const n = counts(c.rows);
  const headline = n.regressed > 0 ? `**${n.regressed} regressed**` : n.improved > 0 ? 'no regressions' : 'no change';
  const out = [
    `### kbench compare: ${md(c.a.runs[0]!.manifest.workload.name)} (runs against runs)`,
    '',
    `${headline}: ${countLine(c.rows)}.`,
    '',
    '| | folder | runs |',
    '|---|---|---|',
    `| A | \`${md(c.a.dir)}\` | ${md(describe(c.a))} |`,
    `| B | \`${md(c.b.dir)}\` | ${md(describe(c.b))} |`,
    '',
  ];
  for (const w of c.warnings) out.push(`> **Warning:** ${md(w)}`, '');
  for (const g of GROUPS) {
    const rows = c.rows.filter((r) => r.group === g).sort((x, y) => ORDER.indexOf(x.verdict) - ORDER.indexOf(y.verdict));
    if (rows.length === 0) continue;
    out.push(`#### ${g}`, '', '| metric | A (median) | B (median) | change | verdict | evidence | A runs | B runs |', '|---|--:|--:|--:|---|---|---|---|');
    for (const r of rows) {
      const verdict = r.verdict === 'regressed' || r.verdict === 'improved' ? `**${r.verdict}**` : r.verdict;
      out.push(`| ${md(r.label)} | ${md(formatValue(r.a, r.unit))} | ${md(formatValue(r.b, r.unit))} | ${formatChange(r.changePct)} | ${verdict} | ${md(r.evidence)} | ${md(values(r.series.a, r.unit))} | ${md(values(r.series.b, r.unit))} |`);
    }
    out.push('');
  }
  out.push(`<sub>${md(settingsLine(c.settings))}</sub>`, '');
  return out.join('\n');
}

export function formatSeriesJson(c: SeriesComparison): string {
  const side = (s: SeriesSide) => ({ dir: s.dir, kind: s.kind, workload: s.runs[0]!.manifest.workload.name, runs: s.runs.map((r) => ({ dir: r.dir, runId: r.manifest.runId, startedAt: r.manifest.startedAt })), leftOut: s.left });
  return JSON.stringify({ kind: 'series', a: side(c.a), b: side(c.b), settings: c.settings, counts: counts(c.rows), warnings: c.warnings, rows: c.rows }, null, 2);
}
