import { formatValue, type Unit } from '../compare/display.js';
import type { SeriesSummary } from '../results/format.js';
import { esc } from './inline.js';

/** Shown per run: the pod phases' p50 and p99, throughput and errors (every measurement is in series-summary.json). */
function shown(id: string): boolean {
  return (/^pods\./.test(id) && !id.endsWith('.p90')) || id.startsWith('throughput.') || id.startsWith('errors.');
}

/**
 * A series' section of the report: every run's value of the key measurements, their median
 * and spread, and which run the charts below show (the typical run: the median pod startup p50).
 */
export function seriesSection(sides: { label: string; dir: string; summary: SeriesSummary; shownRun: string }[]): string {
  const tables = sides.map(({ label, dir, summary, shownRun }) => {
    const head = summary.runs.map((r) => `<th class="num"${r.folder === shownRun ? ' title="shown in the charts"' : ''}>${esc(r.folder)}${r.folder === shownRun ? ' *' : ''}</th>`).join('');
    const rows = summary.measurements
      .filter((m) => shown(m.id))
      .map((m) => {
        const f = (v: number | null): string => (v === null ? '–' : esc(formatValue(v, m.unit as Unit)));
        return `<tr><td>${esc(m.label)}</td>${m.values.map((v) => `<td class="num">${f(v)}</td>`).join('')}<td class="num">${f(m.median)}</td><td class="num">±${m.cvPct.toFixed(1)}%</td></tr>`;
      })
      .join('');
    const note = summary.note ? `<p class="caption">${esc(summary.note)}</p>` : '';
    return `<h4>${esc(label)}${esc(dir)}: ${summary.runs.length} complete run${summary.runs.length === 1 ? '' : 's'}; the charts show ${esc(shownRun)} (*), the run with the median pod startup p50</h4>${note}<table class="slo"><thead><tr><th>measurement</th>${head}<th class="num">median</th><th class="num">spread (sd/mean)</th></tr></thead><tbody>${rows}</tbody></table>`;
  });
  return `<section><h2>Runs of the series</h2>${tables.join('')}<p class="caption">Every measurement of every run: series-summary.json.</p></section>`;
}
