/**
 * The report's own browser script (runs after the inlined Chart.js): reads the data block
 * and draws every chart. Kept as plain browser JavaScript in a string because it runs in
 * the report, not in Node. Animations are off so a chart is complete when it is drawn.
 */
export const RENDER_SCRIPT = String.raw`
(function () {
  var data = JSON.parse(document.getElementById('kbench-data').textContent);
  var runs = data.runs;
  var COLORS = ['#2563eb', '#ea580c'];
  var FILL = ['rgba(37,99,235,0.10)', 'rgba(234,88,12,0.10)'];
  Chart.defaults.animation = false;
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  Chart.defaults.color = '#334155';
  Chart.defaults.borderColor = '#e2e8f0';
  Chart.defaults.maintainAspectRatio = false;

  // Dashed vertical lines where the phases of the first run start, labelled with their names.
  var phaseLines = {
    id: 'phaseLines',
    afterDatasetsDraw: function (chart, _args, opts) {
      if (!opts || !opts.phases) return;
      var x = chart.scales.x, area = chart.chartArea, ctx = chart.ctx;
      ctx.save();
      ctx.font = '10px ' + Chart.defaults.font.family;
      ctx.fillStyle = '#94a3b8';
      ctx.strokeStyle = '#cbd5e1';
      ctx.setLineDash([3, 3]);
      var lastLabel = -Infinity;
      opts.phases.forEach(function (p) {
        var px = x.getPixelForValue(p.start);
        if (px < area.left || px > area.right) return;
        ctx.beginPath(); ctx.moveTo(px, area.top); ctx.lineTo(px, area.bottom); ctx.stroke();
        // Phases shorter than a label's height keep their line but not their name.
        if (px - lastLabel < 14) return;
        lastLabel = px;
        ctx.save(); ctx.translate(px + 3, area.top + 2); ctx.rotate(Math.PI / 2); ctx.fillText(p.name, 0, 0); ctx.restore();
      });
      ctx.restore();
    }
  };
  Chart.register(phaseLines);

  function note(el, text) {
    var p = document.createElement('p');
    p.className = 'missing';
    p.textContent = text;
    el.replaceWith(p);
  }

  function canvasIn(id) {
    var box = document.getElementById(id);
    var c = document.createElement('canvas');
    box.appendChild(c);
    return c;
  }

  function timeChart(id, pick, lines, yTitle) {
    var box = document.getElementById(id);
    var present = runs.filter(function (r) { return pick(r); });
    if (present.length === 0) {
      note(box, runs[0].missing[id.replace('chart-', '')] || 'not measured');
      return;
    }
    var datasets = [];
    runs.forEach(function (r, ri) {
      var s = pick(r);
      if (!s) return;
      lines.forEach(function (l, li) {
        if (ri > 0 && l.firstRunOnly) return;
        var vals = s.values[l.key];
        datasets.push({
          label: (runs.length > 1 ? r.label + ' ' : '') + l.label,
          data: s.t.map(function (t, i) { return { x: t, y: vals[i] }; }),
          borderColor: runs.length > 1 ? COLORS[ri] : l.color,
          backgroundColor: runs.length > 1 ? FILL[ri] : l.color,
          borderWidth: l.width || 2,
          borderDash: l.dash || [],
          pointRadius: 0,
          spanGaps: false,
          tension: 0
        });
      });
    });
    new Chart(canvasIn(id), {
      type: 'line',
      data: { datasets: datasets },
      options: {
        parsing: true,
        interaction: { mode: 'nearest', intersect: false, axis: 'x' },
        scales: {
          x: { type: 'linear', title: { display: true, text: 'seconds since the run started' } },
          y: { beginAtZero: true, title: { display: true, text: yTitle } }
        },
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } }, phaseLines: { phases: runs[0].phases } }
      }
    });
  }

  // Pod startup: one small CDF per phase, A and B overlaid.
  var grid = document.getElementById('chart-cdf');
  var phases = Object.keys(runs[0].cdf);
  if (phases.every(function (p) { return runs[0].cdf[p].length === 0; })) {
    note(grid, runs[0].missing.cdf || 'no pods');
  } else {
    phases.forEach(function (phase) {
      var cell = document.createElement('div');
      cell.className = 'cdf-cell';
      var h = document.createElement('h4');
      h.textContent = phase.replace(/_/g, ' ');
      cell.appendChild(h);
      var box = document.createElement('div');
      box.className = 'chart small';
      cell.appendChild(box);
      grid.appendChild(cell);
      var c = document.createElement('canvas');
      box.appendChild(c);
      var datasets = runs.map(function (r, ri) {
        return {
          label: r.label,
          data: (r.cdf[phase] || []).map(function (p) { return { x: Math.max(p[0], 0.1), y: p[1] * 100 }; }),
          borderColor: COLORS[ri], backgroundColor: FILL[ri], borderWidth: 2, pointRadius: 0, stepped: true, fill: false
        };
      });
      new Chart(c, {
        type: 'line',
        data: { datasets: datasets },
        options: {
          scales: {
            x: { type: 'logarithmic', title: { display: true, text: 'ms (log)' } },
            y: { min: 0, max: 100, ticks: { callback: function (v) { return v + '%'; } } }
          },
          plugins: { legend: { display: runs.length > 1, position: 'bottom', labels: { boxWidth: 12 } } }
        }
      });
    });
  }

  timeChart('chart-pods', function (r) { return r.pods; }, [
    { key: 'seen', label: 'created (seen)', color: '#94a3b8' },
    { key: 'scheduled', label: 'scheduled', color: '#8b5cf6', dash: [6, 3] },
    { key: 'running', label: 'running', color: '#16a34a', dash: [2, 2] }
  ], 'pods');
  timeChart('chart-pending', function (r) { return r.pending; }, [
    { key: 'total', label: 'pending (all queues)', color: '#dc2626', width: 2.5 },
    { key: 'active', label: 'activeQ', color: '#f59e0b', width: 1, firstRunOnly: true },
    { key: 'backoff', label: 'backoffQ', color: '#8b5cf6', width: 1, firstRunOnly: true },
    { key: 'unschedulable', label: 'unschedulable', color: '#64748b', width: 1, firstRunOnly: true }
  ], 'pods waiting in the scheduler');
  timeChart('chart-etcd', function (r) { return r.etcd; }, [
    { key: 'walFsyncP99', label: 'WAL fsync p99', color: '#0891b2' },
    { key: 'backendCommitP99', label: 'backend commit p99', color: '#be185d', dash: [6, 3] }
  ], 'ms (p99 of each interval)');
  timeChart('chart-harness', function (r) { return r.harness; }, [
    { key: 'lagP99', label: 'event-loop lag p99 (ms)', color: '#0f766e' },
    { key: 'cpuPct', label: 'CPU % of one core', color: '#a16207', dash: [6, 3] }
  ], 'ms / %');

  // API latency p99 per key, A and B side by side.
  var apiBox = document.getElementById('chart-api');
  var keys = [];
  runs.forEach(function (r) { r.apiP99.forEach(function (k) { if (keys.indexOf(k.key) < 0) keys.push(k.key); }); });
  if (keys.length === 0) {
    note(apiBox, runs[0].missing.api || 'no API calls');
  } else {
    apiBox.style.height = Math.max(160, keys.length * (runs.length > 1 ? 34 : 24) + 70) + 'px';
    new Chart(canvasIn('chart-api'), {
      type: 'bar',
      data: {
        labels: keys,
        datasets: runs.map(function (r, ri) {
          return {
            label: r.label + ' p99',
            data: keys.map(function (k) { var f = r.apiP99.filter(function (x) { return x.key === k; })[0]; return f ? f.p99 : null; }),
            backgroundColor: COLORS[ri], borderRadius: 3
          };
        })
      },
      options: {
        indexAxis: 'y',
        scales: { x: { beginAtZero: true, title: { display: true, text: 'ms' } } },
        plugins: { legend: { display: runs.length > 1, position: 'bottom' } }
      }
    });
  }
  document.body.setAttribute('data-rendered', 'true');
})();
`;
