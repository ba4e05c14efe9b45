import type { WorkloadSeries } from './check.js';
import { formatMeasurement, formatPValue, formatRelative } from './format.js';
import { chartLibrary, esc } from '../report/inline.js';

/**
 * `history trend --html`: one self-contained page (data, styles and Chart.js inline, as
 * the run report does) with a chart per measurement: every run's value, the mean of each
 * segment between change points, and each change point marked where it began.
 */

interface ChartData {
  id: string;
  title: string;
  unit: string;
  runs: { runId: string; startedAt: string; value: number }[];
  /** Segment means: [from index, to index (exclusive), mean]. */
  segments: [number, number, number][];
  changes: { index: number; label: string; regression: boolean }[];
}

function chartsOf(workloads: readonly WorkloadSeries[]): ChartData[] {
  const out: ChartData[] = [];
  for (const w of workloads) {
    for (const s of w.series) {
      const edges = [0, ...s.changePoints.map((c) => c.index), s.points.length];
      const segments: [number, number, number][] = [];
      for (let i = 0; i + 1 < edges.length; i++) {
        const part = s.points.slice(edges[i], edges[i + 1]);
        segments.push([edges[i]!, edges[i + 1]!, part.reduce((x, p) => x + p.value, 0) / part.length]);
      }
      out.push({
        id: `chart-${out.length}`,
        title: `${w.workload} · ${s.measurement}`,
        unit: s.unit,
        runs: s.points.map((p) => ({ runId: p.runId, startedAt: p.startedAt, value: p.value })),
        segments,
        changes: s.changePoints.map((c) => ({
          index: c.index,
          label: `${formatRelative(c.relativeChange)} ${c.direction} (${formatMeasurement(c.before.mean, s.unit)} → ${formatMeasurement(c.after.mean, s.unit)}, ${formatPValue(c.pValue)})`,
          regression: c.direction === 'regression',
        })),
      });
    }
  }
  return out;
}

const SCRIPT = String.raw`
(function () {
  var charts = JSON.parse(document.getElementById('kbench-trend').textContent);
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  var changeLines = {
    id: 'changeLines',
    afterDatasetsDraw: function (chart, _a, opts) {
      var x = chart.scales.x, area = chart.chartArea, ctx = chart.ctx;
      (opts.changes || []).forEach(function (c) {
        // The change begins between the last run before it and the first run after it.
        var px = (x.getPixelForValue(c.index - 1) + x.getPixelForValue(c.index)) / 2;
        ctx.save();
        ctx.strokeStyle = c.regression ? '#dc2626' : '#16a34a';
        ctx.setLineDash([5, 4]);
        ctx.lineWidth = 1.5;
        ctx.beginPath(); ctx.moveTo(px, area.top); ctx.lineTo(px, area.bottom); ctx.stroke();
        ctx.fillStyle = ctx.strokeStyle;
        ctx.font = '11px ' + Chart.defaults.font.family;
        ctx.fillText(c.label, Math.min(px + 4, area.right - ctx.measureText(c.label).width), area.top + 12);
        ctx.restore();
      });
    }
  };
  Chart.register(changeLines);
  charts.forEach(function (c) {
    var canvas = document.createElement('canvas');
    document.getElementById(c.id).appendChild(canvas);
    var labels = c.runs.map(function (r) { return r.startedAt.slice(0, 16).replace('T', ' '); });
    var means = c.runs.map(function () { return null; });
    c.segments.forEach(function (s) { for (var i = s[0]; i < s[1]; i++) means[i] = s[2]; });
    new Chart(canvas, {
      type: 'line',
      data: {
        labels: labels,
        datasets: [
          { label: 'run', data: c.runs.map(function (r) { return r.value; }), borderColor: '#2563eb', backgroundColor: '#2563eb', pointRadius: 3, borderWidth: 1 },
          { label: 'segment mean', data: means, borderColor: '#94a3b8', borderDash: [2, 2], pointRadius: 0, borderWidth: 2, stepped: false, segment: { borderColor: function (ctx) { return means[ctx.p0DataIndex] === means[ctx.p1DataIndex] ? '#94a3b8' : 'transparent'; } } }
        ]
      },
      options: {
        plugins: {
          changeLines: { changes: c.changes },
          tooltip: { callbacks: { title: function (items) { var r = c.runs[items[0].dataIndex]; return r.runId + ' · ' + r.startedAt; } } },
          legend: { position: 'bottom' }
        },
        scales: { y: { title: { display: true, text: c.unit } }, x: { ticks: { maxRotation: 0, autoSkip: true } } }
      }
    });
  });
  document.body.setAttribute('data-rendered', 'true');
})();
`;

export function renderTrendHtml(workloads: readonly WorkloadSeries[], generatedAt: Date): string {
  const charts = chartsOf(workloads);
  const sections = charts
    .map((c) => `<section><h2>${esc(c.title)}</h2><div class="chart" id="${c.id}"></div>${c.changes.length ? `<ul>${c.changes.map((x) => `<li class="${x.regression ? 'reg' : 'imp'}">from run ${esc(c.runs[x.index]!.runId)}: ${esc(x.label)}</li>`).join('')}</ul>` : '<p class="none">no change point</p>'}</section>`)
    .join('\n');
  const warnings = workloads.flatMap((w) => w.warnings);
  const json = JSON.stringify(charts).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kbench history trend</title>
<style>
body { margin:0; font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:#0f172a; background:#f8fafc; }
header { background:#0f172a; color:#f8fafc; padding:20px 32px; } header h1 { margin:0; font-size:20px; } header p { margin:4px 0 0; color:#cbd5e1; }
main { max-width:1180px; margin:0 auto; padding:24px 32px; }
section { background:#fff; border:1px solid #e2e8f0; border-radius:10px; padding:16px 20px; margin:0 0 18px; }
h2 { font-size:15px; margin:0 0 8px; } .chart { position:relative; height:260px; }
li.reg { color:#991b1b; } li.imp { color:#166534; } .none, .warn { color:#64748b; }
</style>
</head>
<body>
<header><h1>kbench history trend</h1><p>${charts.length} measurement${charts.length === 1 ? '' : 's'} · generated ${esc(generatedAt.toISOString())} · dashed lines mark change points (E-Divisive means)</p></header>
<main>
${warnings.map((w) => `<p class="warn">warning: ${esc(w)}</p>`).join('\n')}
${sections || '<p class="none">no values</p>'}
</main>
<script id="kbench-trend" type="application/json">${json}</script>
<script>${chartLibrary()}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
