import type { ChangePoint } from './change-points.js';
import type { CheckStatus, MeasurementCheck, WorkloadSeries } from './check.js';
import type { MeasurementUnit, MeasurementValue } from './measurements.js';
import type { SloRecord, StoredRun } from './records.js';
import { sparkline } from './sparkline.js';

/** Plain-text and markdown forms of the history's answers (pure functions: src/cli prints them). */

export type TextFormat = 'table' | 'markdown';

export function formatMeasurement(v: number, unit: MeasurementUnit | string): string {
  switch (unit) {
    case 'ms':
      return Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(2)} s` : Math.abs(v) >= 100 ? `${v.toFixed(0)} ms` : Math.abs(v) >= 10 ? `${v.toFixed(1)} ms` : `${v.toFixed(2)} ms`;
    case 'per_s':
      return `${Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1)}/s`;
    default:
      return Number.isInteger(v) ? String(v) : v.toFixed(1);
  }
}

export function formatRelative(rel: number | null): string {
  if (rel === null) return 'from 0';
  const pct = rel * 100;
  return `${pct >= 0 ? '+' : '-'}${Math.abs(pct) >= 10 ? Math.abs(pct).toFixed(0) : Math.abs(pct).toFixed(1)}%`;
}

export function formatPValue(p: number): string {
  return p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`;
}

/** Aligned columns (numbers right-aligned), or a GitHub markdown table. */
export function renderTable(head: readonly string[], rows: readonly string[][], format: TextFormat, right: readonly boolean[] = []): string {
  if (format === 'markdown') {
    const cell = (s: string): string => s.replace(/\|/g, '\\|');
    return [`| ${head.map(cell).join(' | ')} |`, `|${head.map((_, i) => (right[i] ? ' ---: ' : ' --- ')).join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
  }
  // Sparkline blocks and other BMP symbols are one column each; length counts them right.
  const width = head.map((h, i) => Math.max([...h].length, ...rows.map((r) => [...(r[i] ?? '')].length)));
  const pad = (s: string, i: number): string => {
    const fill = ' '.repeat(width[i]! - [...s].length);
    return right[i] ? fill + s : s + fill;
  };
  const line = (r: readonly string[]): string => r.map(pad).join('  ').trimEnd();
  return [line(head), line(width.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const time = (iso: string): string => `${iso.slice(0, 16).replace('T', ' ')}`;

function target(r: StoredRun): string {
  const where = r.targetKind === 'sim' ? 'sim' : r.targetServer;
  return `${where}${r.serverVersion ? ` ${r.serverVersion}` : ''}${r.nodes !== undefined ? `, ${r.nodes} nodes` : ''}`;
}

export function formatRunList(runs: readonly StoredRun[], slo: ReadonlyMap<string, { pass: number; fail: number; unavailable: number }>): string {
  if (runs.length === 0) return 'no runs in the history';
  const rows = runs.map((r) => {
    const c = slo.get(r.runId);
    const verdicts = c ? (c.fail > 0 ? `${c.fail} FAIL` : `${c.pass} pass`) : '-';
    return [r.runId, r.workload, `${time(r.startedAt)} UTC`, r.status, target(r), r.kbenchVersion, r.gitCommit?.slice(0, 12) ?? '-', r.seriesId ? `${r.seriesId} #${r.seriesIndex}` : '-', verdicts];
  });
  return renderTable(['run', 'workload', 'started', 'status', 'target', 'kbench', 'commit', 'series', 'SLOs'], rows, 'table');
}

export function formatRunDetail(d: { run: StoredRun; measurements: MeasurementValue[]; slo: SloRecord[] }): string {
  const r = d.run;
  const facts: [string, string][] = [
    ['run', r.runId],
    ['workload', `${r.workload} (sha256 ${r.workloadSha256.slice(0, 12)})`],
    ['status', r.status],
    ['mode', r.mode],
    ['started', `${r.startedAt}${r.endedAt ? `, ended ${r.endedAt}` : ''}${r.durationS !== undefined ? ` (${r.durationS.toFixed(1)} s)` : ''}`],
    ['target', `${r.targetKind} ${r.targetServer}${r.targetContext ? ` (context ${r.targetContext})` : ''}`],
    ['kubernetes', r.serverVersion ?? 'unknown'],
    ['nodes', r.nodes !== undefined ? String(r.nodes) : 'unknown'],
    ['kbench', r.kbenchVersion],
    ['git commit', r.gitCommit ?? '-'],
    ['seed', r.seed !== undefined ? String(r.seed) : '-'],
    ['series', r.seriesId ? `${r.seriesId}, run ${r.seriesIndex}` : '-'],
    ['source', r.source],
    ['added', r.addedAt],
  ];
  const w = Math.max(...facts.map(([k]) => k.length));
  const out = facts.map(([k, v]) => `${k.padEnd(w)}  ${v}`);
  if (d.slo.length > 0) {
    out.push('', 'SLO verdicts:');
    out.push(renderTable(['verdict', 'side', 'slo', 'value', 'threshold'], d.slo.map((v) => [v.verdict.toUpperCase(), v.side, v.description, v.value !== undefined ? formatMeasurement(v.value, v.unit) : (v.reason ?? '-'), `${v.comparison} ${formatMeasurement(v.threshold, v.unit)}`]), 'table', [false, false, false, true, true]));
  }
  if (d.measurements.length > 0) {
    out.push('', 'Measurements:');
    out.push(renderTable(['measurement', 'value', 'samples'], d.measurements.map((m) => [m.name, formatMeasurement(m.value, m.unit), m.samples !== undefined ? String(m.samples) : '']), 'table', [false, true, true]));
  } else out.push('', 'No measurements: the run has no summary.');
  return out.join('\n');
}

function describeChange(c: ChangePoint, unit: string): string {
  return `${formatRelative(c.relativeChange)} ${c.direction} at ${c.runId} (${time(c.startedAt)}; ${formatMeasurement(c.before.mean, unit)} -> ${formatMeasurement(c.after.mean, unit)}, ${formatPValue(c.pValue)})`;
}

export function formatTrend(workloads: readonly WorkloadSeries[], format: TextFormat): string {
  const out: string[] = [];
  for (const w of workloads) {
    out.push(format === 'markdown' ? `### ${w.workload} (${w.runs.length} runs)` : `${w.workload}: ${w.runs.length} runs, ${w.runs.length ? `${time(w.runs[0]!.startedAt)} .. ${time(w.runs.at(-1)!.startedAt)} UTC` : 'none'}`);
    const rows = w.series.map((s) => {
      const v = s.points.map((p) => p.value);
      return [
        s.measurement,
        String(v.length),
        sparkline(v),
        formatMeasurement(Math.min(...v), s.unit),
        formatMeasurement(Math.max(...v), s.unit),
        formatMeasurement(v.at(-1)!, s.unit),
        s.changePoints.length === 0 ? '-' : s.changePoints.map((c) => `${formatRelative(c.relativeChange)} at ${c.runId}`).join('; '),
      ];
    });
    out.push(rows.length ? renderTable(['measurement', 'runs', 'trend', 'min', 'max', 'last', 'change points'], rows, format, [false, true, false, true, true, true, false]) : 'no values');
    for (const warn of w.warnings) out.push(`warning: ${warn}`);
    out.push('');
  }
  return out.join('\n').trimEnd();
}

const STATUS_TEXT: Record<CheckStatus, string> = {
  regression: 'REGRESSION',
  acknowledged: 'acknowledged',
  improvement: 'improvement',
  ok: 'no new change',
  'too few runs': 'too few runs',
};

export function formatCheck(r: { workloads: readonly WorkloadSeries[]; checks: readonly MeasurementCheck[] }, settings: string, format: TextFormat): string {
  const out: string[] = [];
  const regressions = r.checks.filter((c) => c.status === 'regression');
  for (const w of r.workloads) {
    const checks = r.checks.filter((c) => c.workload === w.workload);
    out.push(format === 'markdown' ? `### ${w.workload}: ${w.runs.length} runs` : `${w.workload}: ${w.runs.length} complete runs analysed`);
    const order: CheckStatus[] = ['regression', 'acknowledged', 'improvement', 'ok', 'too few runs'];
    const sorted = [...checks].sort((a, b) => order.indexOf(a.status) - order.indexOf(b.status) || (a.measurement < b.measurement ? -1 : 1));
    const rows = sorted.map((c) => [
      c.measurement,
      String(c.points.length),
      sparkline(c.points.map((p) => p.value)),
      STATUS_TEXT[c.status],
      c.newest ? describeChange(c.newest, c.unit) : c.changePoints.length ? `last: ${describeChange(c.changePoints.at(-1)!, c.unit)}` : '-',
    ]);
    out.push(rows.length ? renderTable(['measurement', 'runs', 'trend', 'status', 'newest change point'], rows, format, [false, true]) : 'no values');
    for (const warn of w.warnings) out.push(`warning: ${warn}`);
    out.push('');
  }
  out.push(
    regressions.length === 0
      ? 'No new regression.'
      : `${regressions.length} new regression${regressions.length === 1 ? '' : 's'}: ${regressions.map((c) => `${c.workload} ${c.measurement} ${formatRelative(c.newest!.relativeChange)} from ${c.newest!.runId}`).join('; ')}. When expected, acknowledge with kbench history ack <measurement> <run id>.`,
  );
  out.push(settings);
  return out.join('\n');
}
