import type { CompareSettings, Row, Verdict } from './compare.js';
import { formatChange, formatValue } from './display.js';
import { GROUPS } from './settings.js';
import type { ResultFolder } from '../results/reader.js';

export interface Comparison {
  a: ResultFolder;
  b: ResultFolder;
  settings: CompareSettings;
  rows: Row[];
  warnings: string[];
}

const ORDER: Verdict[] = ['regressed', 'improved', 'inconclusive', 'unchanged'];

export function counts(rows: readonly Row[]): Record<Verdict, number> {
  const c: Record<Verdict, number> = { regressed: 0, improved: 0, inconclusive: 0, unchanged: 0 };
  for (const r of rows) c[r.verdict]++;
  return c;
}

export function countLine(rows: readonly Row[]): string {
  const c = counts(rows);
  return ORDER.filter((v) => c[v] > 0)
    .map((v) => `${c[v]} ${v}`)
    .join(', ');
}

function describe(r: ResultFolder): string {
  const t = r.manifest.target;
  const where = t.kind === 'sim' ? `sim${t.nodes ? `, ${t.nodes} nodes` : ''}` : `${t.server}${t.serverVersion ? ` (${t.serverVersion})` : ''}`;
  return `${r.manifest.workload.name}, ${r.manifest.startedAt.replace('T', ' ').slice(0, 16)} UTC, ${where}, kbench ${r.manifest.kbenchVersion}`;
}

function settingsLine(s: CompareSettings): string {
  const groups = Object.entries(s.groupThresholdPct)
    .map(([g, v]) => `${g} ${v}%`)
    .join(', ');
  return `threshold ${s.thresholdPct}%${groups ? ` (${groups})` : ''}, noise floor ${s.noiseFloorMs} ms and ${s.noiseFloorPods} pending pods, at least ${s.minSamples} samples; quantiles tested with a 95% bootstrap interval`;
}

const GROUP_TITLE: Record<(typeof GROUPS)[number], string> = {
  pods: 'Pod startup (client side, every pod)',
  api: 'API call latency (client side)',
  errors: 'API errors',
  throughput: 'Throughput',
  server: 'Control plane (server side, from /metrics)',
};

/** The terminal form: aligned columns, grouped, regressions first within each group. */
export function formatTable(c: Comparison): string {
  const lines: string[] = [`A  ${c.a.dir}\n   ${describe(c.a)}`, `B  ${c.b.dir}\n   ${describe(c.b)}`, ''];
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
    lines.push(GROUP_TITLE[g], line(header), ...cells.map(line), '');
  }
  lines.push(`${countLine(c.rows)} (${settingsLine(c.settings)})`);
  for (const w of c.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}

function md(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** GitHub-flavoured markdown for a pull request or $GITHUB_STEP_SUMMARY. */
export function formatMarkdown(c: Comparison): string {
  const n = counts(c.rows);
  const headline = n.regressed > 0 ? `**${n.regressed} regressed**` : n.improved > 0 ? 'no regressions' : 'no change';
  const out: string[] = [
    `### kbench compare: ${md(c.a.manifest.workload.name)}`,
    '',
    `${headline}: ${countLine(c.rows)}.`,
    '',
    '| | result set | run |',
    '|---|---|---|',
    `| A | \`${md(c.a.name)}\` | ${md(describe(c.a))} |`,
    `| B | \`${md(c.b.name)}\` | ${md(describe(c.b))} |`,
    '',
  ];
  for (const w of c.warnings) out.push(`> **Warning:** ${md(w)}`, '');
  for (const g of GROUPS) {
    const rows = c.rows.filter((r) => r.group === g).sort((x, y) => ORDER.indexOf(x.verdict) - ORDER.indexOf(y.verdict));
    if (rows.length === 0) continue;
    out.push(`#### ${GROUP_TITLE[g]}`, '', '| metric | A | B | change | verdict | evidence |', '|---|--:|--:|--:|---|---|');
    for (const r of rows) {
      const verdict = r.verdict === 'regressed' || r.verdict === 'improved' ? `**${r.verdict}**` : r.verdict;
      out.push(`| ${md(r.label)} | ${md(formatValue(r.a, r.unit))} | ${md(formatValue(r.b, r.unit))} | ${formatChange(r.changePct)} | ${verdict} | ${md(r.evidence)} |`);
    }
    out.push('');
  }
  out.push(`<sub>${md(settingsLine(c.settings))}</sub>`, '');
  return out.join('\n');
}

export function formatJson(c: Comparison): string {
  const side = (r: ResultFolder) => ({
    dir: r.dir,
    workload: r.manifest.workload.name,
    runId: r.manifest.runId,
    startedAt: r.manifest.startedAt,
    status: r.summary.status,
    kbenchVersion: r.manifest.kbenchVersion,
    target: r.manifest.target,
  });
  return JSON.stringify({ a: side(c.a), b: side(c.b), settings: c.settings, counts: counts(c.rows), warnings: c.warnings, rows: c.rows }, null, 2);
}
