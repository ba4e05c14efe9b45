import { formatValue, formatVerdictValue, type Unit } from '../compare/display.js';
import type { SloVerdict } from '../results/format.js';

const fmt = (v: number | undefined, unit: Unit): string => (v === undefined ? '-' : formatValue(v, unit));

/** The SLO verdicts as a plain-text table (a pure function of the verdicts). */
export function verdictTable(verdicts: SloVerdict[]): string {
  // Reasons are long (a URL and an error): numbered notes under the table keep it readable.
  const notes: string[] = [];
  const rows = verdicts.map((v) => {
    let value = v.value === undefined ? '-' : formatVerdictValue(v.value, v.threshold, v.unit);
    if (v.verdict === 'unavailable') {
      const reason = v.reason ?? 'no reason given';
      let n = notes.indexOf(reason);
      if (n < 0) n = notes.push(reason) - 1;
      value = `unavailable [${n + 1}]`;
    }
    return [v.verdict === 'pass' ? 'PASS' : v.verdict === 'fail' ? 'FAIL' : 'N/A', v.side, v.description, value, `${v.comparison} ${fmt(v.threshold, v.unit)}`];
  });
  const head = ['verdict', 'side', 'slo', 'value', 'threshold'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const table = [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  if (notes.length > 0) table.push('', ...notes.map((n, i) => `[${i + 1}] ${n}`));
  return table.join('\n');
}
