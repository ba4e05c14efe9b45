import path from 'node:path';
import type { Row } from '../compare/compare.js';
import { formatChange, formatValue, formatVerdictValue } from '../compare/display.js';
import { GROUPS } from '../compare/settings.js';
import type { Comparison } from '../compare/format.js';
import { countLine } from '../compare/format.js';
import { apiErrorLine, apiErrorTotals } from '../results/api-errors.js';
import type { ResultFolder } from '../results/reader.js';
import type { SloVerdict } from '../results/format.js';
import { APF_RENDER_SCRIPT, apfTable } from './apf-section.js';
import { RENDER_SCRIPT } from './render-script.js';
import { runSeries } from './report-data.js';
import { chartLibrary, esc } from './inline.js';

function pill(verdict: string): string {
  return `<span class="pill ${esc(verdict)}">${esc(verdict)}</span>`;
}

function ms(v: number | undefined, unit: string): string {
  if (v === undefined) return '–';
  return unit === 'ms' ? formatValue(v, 'ms') : `${Math.round(v)} ${unit}`;
}

function sloTable(runs: ResultFolder[]): string {
  const ids = [...new Set(runs.flatMap((r) => r.summary.slo.map((v) => v.id)))];
  const byId = runs.map((r) => new Map(r.summary.slo.map((v) => [v.id, v])));
  const head = runs.length > 1 ? '<th>A</th><th></th><th>B</th><th></th>' : '<th>value</th><th>verdict</th>';
  const rows = ids.map((id) => {
    const first = byId.map((m) => m.get(id)).find((v): v is SloVerdict => v !== undefined)!;
    const cells = byId
      .map((m) => {
        const v = m.get(id);
        if (!v) return '<td class="num">–</td><td></td>';
        const why = v.reason ? ` title="${esc(v.reason)}"` : '';
        const value = v.value === undefined ? '–' : v.unit === 'ms' ? formatVerdictValue(v.value, v.threshold, 'ms') : ms(v.value, v.unit);
        return `<td class="num"${why}>${value}</td><td>${pill(v.verdict)}</td>`;
      })
      .join('');
    return `<tr><td><span class="side">${first.side}</span> ${esc(first.description)}</td><td class="num">${esc(first.comparison)} ${ms(first.threshold, first.unit)}</td>${cells}</tr>`;
  });
  return `<table class="slo"><thead><tr><th>SLO</th><th>threshold</th>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function comparisonRows(rows: readonly Row[]): string {
  return GROUPS.map((g) => {
    const inGroup = rows.filter((r) => r.group === g);
    if (inGroup.length === 0) return '';
    const body = inGroup
      .map(
        (r) =>
          `<tr><td>${esc(r.label)}</td><td class="num">${esc(formatValue(r.a, r.unit))}</td><td class="num">${esc(formatValue(r.b, r.unit))}</td><td class="num">${esc(formatChange(r.changePct))}</td><td>${pill(r.verdict)}</td><td class="evidence">${esc(r.evidence)}</td></tr>`,
      )
      .join('');
    return `<tbody><tr class="group"><th colspan="6">${esc(g)}</th></tr>${body}</tbody>`;
  }).join('');
}

/** Findings first; the unchanged rows folded away, since they are most of a comparison. */
function comparisonTable(c: Pick<Comparison, 'rows'>): string {
  const head = '<thead><tr><th>metric</th><th class="num">A</th><th class="num">B</th><th class="num">change</th><th>verdict</th><th>evidence</th></tr></thead>';
  const order = ['regressed', 'improved', 'inconclusive'];
  const findings = c.rows.filter((r) => r.verdict !== 'unchanged').sort((x, y) => order.indexOf(x.verdict) - order.indexOf(y.verdict));
  const unchanged = c.rows.filter((r) => r.verdict === 'unchanged');
  return `<p class="counts">${esc(countLine(c.rows))}</p>${findings.length ? `<table class="compare">${head}${comparisonRows(findings)}</table>` : ''}${
    unchanged.length ? `<details${findings.length ? '' : ' open'}><summary>${unchanged.length} unchanged</summary><table class="compare">${head}${comparisonRows(unchanged)}</table></details>` : ''
  }`;
}

/** API errors, retries and failures per key, so a throttled run does not look clean. */
function apiErrorsTable(runs: ResultFolder[]): string {
  const rows = runs.flatMap((r, i) =>
    (r.summary.api ?? [])
      .filter((k) => k.retries > 0 || Object.keys(k.failed).length > 0 || Object.keys(k.errors).length > 0)
      .map((k) => {
        const codes = (m: Record<string, number>): string => Object.entries(m).map(([c, n]) => `${c}: ${n}`).join(', ') || '–';
        return `<tr>${runs.length > 1 ? `<td>${i === 0 ? 'A' : 'B'}</td>` : ''}<td>${esc(k.key)}</td><td class="num">${k.count + Object.values(k.failed).reduce((a, b) => a + b, 0)}</td><td class="num">${k.retries}</td><td>${esc(codes(k.errors))}</td><td>${esc(codes(k.failed))}</td></tr>`;
      }),
  );
  const lines = runs.map((r, i) => `<p class="caption">${runs.length > 1 ? `${i === 0 ? 'A' : 'B'}: ` : ''}${esc(r.summary.api ? apiErrorLine(apiErrorTotals(r.summary.api)) : 'client-side API calls were not measured (the api measurement was off)')}</p>`).join('');
  if (rows.length === 0) return `${lines}<p>No API call was refused, throttled or retried.</p>`;
  return `${lines}<table class="slo"><thead><tr>${runs.length > 1 ? '<th>run</th>' : ''}<th>request</th><th class="num">calls</th><th class="num">retries</th><th>failed attempts by code</th><th>failed after retries</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function facts(r: ResultFolder, label?: string): string {
  const s = r.summary;
  const t = r.manifest.target;
  const failed = s.slo.filter((v) => v.verdict === 'fail').length;
  const items: [string, string][] = [
    ['result set', r.name],
    ['workload', `${r.manifest.workload.name} (${path.basename(r.manifest.workload.file)})`],
    ['status', s.status],
    ['started', `${r.manifest.startedAt.replace('T', ' ').slice(0, 19)} UTC`],
    ['duration', `${s.durationS.toFixed(1)} s`],
    ['target', t.kind === 'sim' ? `kbench sim${t.nodes ? `, ${t.nodes} nodes` : ''}${t.sim && typeof t.sim.storage === 'string' ? `, ${t.sim.storage} storage` : ''}` : `${t.server}${t.serverVersion ? ` (${t.serverVersion})` : ''}`],
    ['pods', s.pods ? `${s.pods.running} running of ${s.pods.expected} expected` : 'not measured (the pods measurement was off)'],
    ['SLOs', failed === 0 ? `all ${s.slo.filter((v) => v.verdict === 'pass').length} met` : `${failed} violated`],
    ['cleanup', r.manifest.cleanup?.message ?? 'not recorded (the run did not end)'],
    ['kbench', r.manifest.kbenchVersion],
  ];
  return `<div class="facts">${label ? `<div class="run-label">${esc(label)}</div>` : ''}<dl>${items.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl></div>`;
}

function harnessNote(r: ResultFolder): string {
  const h = r.summary.harness;
  if (!h) return '';
  return `<p class="caption">kbench process: event-loop lag p99 ${h.lagP99Ms.toFixed(1)} ms, CPU mean ${h.cpuMeanPct.toFixed(0)}% (max ${h.cpuMaxPct.toFixed(0)}%), peak memory ${h.peakRssMiB?.toFixed(0) ?? '?'} MiB. ${
    h.bottleneck ? `<strong>kbench was the bottleneck: ${esc(h.reason ?? '')}</strong>` : 'Not a bottleneck: the latencies measure the cluster.'
  }</p>`;
}

const STYLE = `
:root { --ink:#0f172a; --muted:#64748b; --line:#e2e8f0; --bg:#f8fafc; --card:#fff; --a:#2563eb; --b:#ea580c; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--ink); background:var(--bg); }
header { background:#0f172a; color:#f8fafc; padding:22px 32px; }
header h1 { margin:0; font-size:22px; font-weight:600; }
header p { margin:4px 0 0; color:#cbd5e1; }
main { max-width:1180px; margin:0 auto; padding:24px 32px 48px; }
section { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:18px 22px; margin:0 0 20px; }
h2 { font-size:16px; margin:0 0 12px; }
h4 { margin:0 0 4px; font-size:12px; font-weight:600; color:var(--muted); text-transform:capitalize; }
.runs { display:flex; gap:20px; flex-wrap:wrap; }
.facts { flex:1 1 380px; }
.run-label { font-weight:700; margin-bottom:6px; }
.runs .facts:nth-child(1) .run-label { color:var(--a); } .runs .facts:nth-child(2) .run-label { color:var(--b); }
dl { display:grid; grid-template-columns:max-content 1fr; gap:3px 16px; margin:0; }
dt { color:var(--muted); } dd { margin:0; overflow-wrap:anywhere; }
table { border-collapse:collapse; width:100%; }
th, td { text-align:left; padding:6px 10px; border-bottom:1px solid var(--line); vertical-align:top; }
thead th { font-size:12px; color:var(--muted); font-weight:600; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
tr.group th { background:var(--bg); font-size:12px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); }
td.evidence { color:var(--muted); font-size:12px; }
.side { display:inline-block; min-width:44px; font-size:11px; color:var(--muted); }
.pill { display:inline-block; padding:1px 9px; border-radius:999px; font-size:12px; font-weight:600; }
.pill.pass, .pill.improved { background:#dcfce7; color:#166534; }
.pill.fail, .pill.regressed { background:#fee2e2; color:#991b1b; }
.pill.unavailable, .pill.inconclusive { background:#fef3c7; color:#92400e; }
.pill.unchanged { background:#f1f5f9; color:#475569; }
.counts { font-weight:600; margin:0 0 8px; }
.chart { position:relative; height:300px; }
.chart.small { height:190px; }
.cdf-grid { display:grid; grid-template-columns:repeat(auto-fill, minmax(340px, 1fr)); gap:14px 20px; }
.two { display:grid; grid-template-columns:1fr 1fr; gap:20px; }
@media (max-width:900px) { .two { grid-template-columns:1fr; } }
.missing { color:var(--muted); font-style:italic; padding:24px 0; margin:0; }
.caption { color:var(--muted); font-size:12px; margin:8px 0 0; }
.warnings li { color:#92400e; }
details summary { cursor:pointer; color:var(--muted); margin:10px 0 4px; }
details pre { background:var(--bg); padding:12px; border-radius:6px; overflow:auto; max-height:480px; font-size:12px; }
footer { color:var(--muted); font-size:12px; text-align:center; padding-bottom:24px; }
`;

export interface ReportInput {
  run: ResultFolder;
  /** --compare: the run is B (after), this is A (before). */
  baseline?: ResultFolder;
  /** The comparison's rows (of two runs, or of two series' runs). */
  comparison?: Pick<Comparison, 'rows' | 'warnings'>;
  /** A series' report: its section (each run's values, which run the charts show), from report/series-section.ts. */
  seriesSection?: string;
}

/** The whole report: one HTML file with its data, styles, chart library and script inline. */
export function renderReport(input: ReportInput): string {
  const runs = input.baseline ? [input.baseline, input.run] : [input.run];
  const labels = input.baseline ? ['A', 'B'] : [''];
  const data = { runs: runs.map((r, i) => runSeries(r, labels[i] || r.name)) };
  const r = input.run;
  const failed = r.summary.slo.filter((v) => v.verdict === 'fail').length;
  const headline = input.comparison
    ? `A ${input.baseline!.name} vs B ${r.name}: ${countLine(input.comparison.rows)}`
    : `${r.summary.status}; ${failed === 0 ? 'all SLOs met' : `${failed} SLO${failed === 1 ? '' : 's'} violated`}`;
  const warnings = [...(input.comparison?.warnings ?? []), ...r.summary.warnings];
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  const chart = (id: string, cls = 'chart'): string => `<div class="${cls}" id="${id}"></div>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kbench report: ${esc(r.manifest.workload.name)} ${esc(r.name)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>kbench ${input.comparison ? 'comparison' : 'report'}: ${esc(r.manifest.workload.name)}</h1><p>${esc(headline)}</p></header>
<main>
<section><div class="runs">${runs.map((x, i) => facts(x, input.baseline ? `${labels[i]} ${i === 0 ? '(before)' : '(after)'}` : undefined)).join('')}</div></section>
${input.seriesSection ?? ''}
${input.comparison ? `<section><h2>Comparison</h2>${comparisonTable(input.comparison)}</section>` : ''}
<section><h2>SLO verdicts</h2>${sloTable(runs)}</section>
<section><h2>API errors and retries</h2>${apiErrorsTable(runs)}</section>
${warnings.length ? `<section class="warnings"><h2>Warnings</h2><ul>${warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></section>` : ''}
<section><h2>Pod startup, per phase (share of pods done within a latency)</h2><div class="cdf-grid" id="chart-cdf"></div>
<p class="caption">${esc(r.summary.pods?.phases.pod_startup?.source ?? '')}</p></section>
<section><h2>Pods over time</h2>${chart('chart-pods')}</section>
<div class="two">
<section><h2>Scheduler pending queue</h2>${chart('chart-pending')}</section>
<section><h2>etcd WAL fsync and backend commit</h2>${chart('chart-etcd')}</section>
</div>
<section><h2>API Priority and Fairness, per priority level</h2><div class="two"><div>${chart('chart-apf-inqueue')}</div><div>${chart('chart-apf-rejected')}</div></div>${chart('chart-apf-wait')}${apfTable(r)}</section>
<section><h2>API call latency p99, per key (client side)</h2>${chart('chart-api')}</section>
<section><h2>Harness health</h2>${chart('chart-harness')}${runs.map(harnessNote).join('')}</section>
<section><h2>Manifest</h2><details><summary>${esc(r.manifest.workload.file)} (sha256 ${esc(r.manifest.workload.sha256.slice(0, 12))}), as run</summary><pre>${esc(JSON.stringify(r.manifest, null, 2))}</pre></details></section>
</main>
<footer>kbench ${esc(r.manifest.kbenchVersion)} · self-contained: data, Chart.js and styles are inside this file</footer>
<script id="kbench-data" type="application/json">${json}</script>
<script>${chartLibrary()}</script>
<script>${RENDER_SCRIPT}</script>
<script>${APF_RENDER_SCRIPT}</script>
</body>
</html>
`;
}
