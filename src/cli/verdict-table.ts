import type { SloVerdict } from '../results/slo.js';

function fmt(v: number | undefined, unit: string): string {
  if (v === undefined) return '-';
  if (unit === 'ms') return v >= 1000 ? `${(v / 1000).toFixed(2)} s` : v >= 10 ? `${v.toFixed(0)} ms` : `${v.toFixed(2)} ms`;
  return String(v);
}

/** The SLO verdicts as a plain-text table (a pure function of the verdicts). */
export function verdictTable(verdicts: SloVerdict[]): string {
  const rows = verdicts.map((v) => [
    v.verdict === 'pass' ? 'PASS' : v.verdict === 'fail' ? 'FAIL' : 'N/A',
    v.side,
    v.description,
    v.verdict === 'unavailable' ? `unavailable: ${v.reason ?? ''}` : fmt(v.value, v.unit),
    `${v.comparison} ${fmt(v.threshold, v.unit)}`,
  ]);
  const head = ['verdict', 'side', 'slo', 'value', 'threshold'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
