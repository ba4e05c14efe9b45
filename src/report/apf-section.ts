import { type FlowControlLevel, known } from '../results/format.js';
import type { ResultFolder } from '../results/reader.js';
import { esc } from './inline.js';

/** API Priority and Fairness over time, per priority level, as the report draws it. */
export interface ApfSeries {
  levels: string[];
  t: number[];
  /** Per level, aligned with t; null where the interval has no value. */
  inqueue: Record<string, (number | null)[]>;
  rejectedPerS: Record<string, (number | null)[]>;
  waitP99Ms: Record<string, (number | null)[]>;
}

const SERIES_POINTS = 1500;

/**
 * The APF series of a run from apf-timeseries.csv: only the priority levels that saw any
 * traffic, queueing or rejection (an idle level is noise on the chart).
 */
export function apfSeries(r: ResultFolder): ApfSeries | null {
  const rows = r.csv('apf-timeseries.csv');
  if (rows.length === 0) return null;
  const times = [...new Set(rows.map((x) => x.elapsed_s!))];
  const every = Math.max(1, Math.ceil(times.length / SERIES_POINTS));
  const kept = times.filter((_, i) => i % every === 0 || i === times.length - 1);
  const index = new Map(kept.map((t, i) => [t, i]));
  const num = (v: string | undefined): number | null => (v === undefined || v === '' ? null : Number(v));
  const active = new Set<string>();
  const out: ApfSeries = { levels: [], t: kept.map(Number), inqueue: {}, rejectedPerS: {}, waitP99Ms: {} };
  for (const x of rows) {
    const level = x.priority_level!;
    if (!out.inqueue[level]) {
      out.inqueue[level] = kept.map(() => null);
      out.rejectedPerS[level] = kept.map(() => null);
      out.waitP99Ms[level] = kept.map(() => null);
    }
    if (Number(x.dispatched_per_s || 0) > 0 || Number(x.inqueue || 0) > 0 || Number(x.rejected_per_s || 0) > 0) active.add(level);
    const i = index.get(x.elapsed_s!);
    if (i === undefined) continue;
    out.inqueue[level]![i] = num(x.inqueue);
    out.rejectedPerS[level]![i] = num(x.rejected_per_s);
    out.waitP99Ms[level]![i] = num(x.wait_p99_ms);
  }
  out.levels = [...active].sort();
  for (const m of [out.inqueue, out.rejectedPerS, out.waitP99Ms]) for (const level of Object.keys(m)) if (!active.has(level)) delete m[level];
  return out.levels.length > 0 ? out : null;
}

/** Why a run has no APF data, for the report. */
export function apfMissing(r: ResultFolder): string {
  const c = r.summary.collectors;
  if (!c) return 'collectors were off for this run (--no-collect)';
  const fc = c.run?.apiserver.flowControl;
  if (!fc) return 'this result set has no API Priority and Fairness readings';
  return 'unavailable' in fc ? fc.unavailable : 'no priority level saw any traffic';
}

const fmt = (v: number | undefined): string => (v === undefined ? '–' : v < 10 ? v.toFixed(2) : v.toFixed(0));

/** The run's totals per priority level: which traffic was dispatched, queued, rejected, and how long it waited. */
export function apfTable(r: ResultFolder): string {
  const levels: FlowControlLevel[] = known(r.summary.collectors?.run?.apiserver.flowControl)?.levels ?? [];
  const rows = levels
    .map((v) => ({ v, rejected: Object.values(v.rejected).reduce((a, b) => a + b, 0) }))
    .filter(({ v, rejected }) => v.dispatched > 0 || rejected > 0 || v.inqueueMax > 0)
    .map(({ v, rejected }) => {
      const reasons = Object.entries(v.rejected)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ');
      return `<tr><td>${esc(v.priorityLevel)}</td><td class="num">${v.dispatched}</td><td class="num">${rejected}${reasons ? ` <span class="side">(${esc(reasons)})</span>` : ''}</td><td class="num">${v.inqueueMax}</td><td class="num">${fmt(v.waitMs.meanMs)}</td><td class="num">${fmt(v.waitMs.p99Ms)}</td></tr>`;
    });
  if (rows.length === 0) return '';
  return `<table><thead><tr><th>priority level</th><th class="num">dispatched</th><th class="num">rejected (429)</th><th class="num">max in queue</th><th class="num">wait mean ms</th><th class="num">wait p99 ms</th></tr></thead><tbody>${rows.join('')}</tbody></table>
<p class="caption">From kube-apiserver's apiserver_flowcontrol_* metrics, end minus start of the run; the queue maximum is over every scrape. The wait histogram's first bucket is 5 ms, so a p99 below it reads as up to 5 ms; the mean is exact. kbench's own requests go to the level its user's FlowSchema picks (members of system:masters are exempt and never queue).</p>`;
}

/** Browser script: one line per priority level (and run), on three charts. Runs after the report's main script. */
export const APF_RENDER_SCRIPT = String.raw`
(function () {
  var data = JSON.parse(document.getElementById('kbench-data').textContent);
  var runs = data.runs;
  var PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#a16207', '#be185d', '#475569'];
  var levels = [];
  runs.forEach(function (r) { if (r.apf) r.apf.levels.forEach(function (l) { if (levels.indexOf(l) < 0) levels.push(l); }); });
  function draw(id, field, yTitle) {
    var box = document.getElementById(id);
    if (!box) return;
    if (levels.length === 0) {
      var p = document.createElement('p');
      p.className = 'missing';
      p.textContent = runs[0].missing.apf || 'not measured';
      box.replaceWith(p);
      return;
    }
    var datasets = [];
    runs.forEach(function (r, ri) {
      if (!r.apf) return;
      r.apf.levels.forEach(function (level) {
        var vals = r.apf[field][level];
        datasets.push({
          label: (runs.length > 1 ? r.label + ' ' : '') + level,
          data: r.apf.t.map(function (t, i) { return { x: t, y: vals[i] }; }),
          borderColor: PALETTE[levels.indexOf(level) % PALETTE.length],
          backgroundColor: PALETTE[levels.indexOf(level) % PALETTE.length],
          borderDash: ri > 0 ? [6, 3] : [],
          borderWidth: 2, pointRadius: 0, spanGaps: false, tension: 0
        });
      });
    });
    var c = document.createElement('canvas');
    box.appendChild(c);
    new Chart(c, {
      type: 'line',
      data: { datasets: datasets },
      options: {
        interaction: { mode: 'nearest', intersect: false, axis: 'x' },
        scales: { x: { type: 'linear', title: { display: true, text: 'seconds since the run started' } }, y: { beginAtZero: true, title: { display: true, text: yTitle } } },
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } }, phaseLines: { phases: runs[0].phases } }
      }
    });
  }
  draw('chart-apf-inqueue', 'inqueue', 'requests waiting in queues');
  draw('chart-apf-rejected', 'rejectedPerS', 'rejected per second (429)');
  draw('chart-apf-wait', 'waitP99Ms', 'queue wait p99 per interval (ms)');
})();
`;
