/**
 * npm run bench:detection: how often each regression-detection method raises a false alarm
 * (no change: A against A) and how often it catches a known regression injected with the
 * sim's knobs, and what each costs in wall time.
 *
 * 1. Collect (skipped with --evaluate): rounds of smoke runs on fresh sims, the conditions
 *    interleaved in every round (base, startup delay, scheduler QPS, base, controller QPS,
 *    API latency) so that the machine's drift falls on all of them; each condition a series
 *    folder under --pool (default results/detection-pool), so `kbench compare` reads them
 *    too. A pool that exists is added to.
 * 2. Evaluate: trials drawn from the pools (seeded), for each method:
 *    - single run: `kbench compare` of one run against one run (every ordered pair), with the
 *      default thresholds and with `npm run regression`'s;
 *    - series: 5 runs against 5 runs (`kbench compare` of two series);
 *    - history: 8 runs of history, then 5 new runs (one nightly series), `history check`'s
 *      rule (E-Divisive means over each key measurement; a new regression among the newest 5).
 *    An alarm is what fails a gate: at least one measurement judged a regression.
 *
 *   npm run bench:detection -- --rounds 6            # collect 6 rounds (36 runs), then evaluate
 *   npm run bench:detection -- --evaluate            # evaluate the pool as it is
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareResults } from '../../src/compare/compare.js';
import { DEFAULT_SETTINGS, type CompareSettings } from '../../src/compare/settings.js';
import { compareSeries } from '../../src/compare/series-compare.js';
import { findChangePoints } from '../../src/history/change-points.js';
import { betterOf, isKeyMeasurement } from '../../src/history/measurements.js';
import { readHistoryInput } from '../../src/history/result-input.js';
import { ResultFolder } from '../../src/results/reader.js';
import { SERIES_FORMAT_VERSION, type SeriesFile } from '../../src/results/format.js';
import { Random } from '../../src/util/random.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The injected changes, as `--set` overrides of the smoke workload (its sim: podStartupDelay 800ms, schedulerQps 200/400, controllerQps 200/400). */
const CONDITIONS = [
  { key: 'base', label: 'no change (A/A)', set: [] as string[] },
  { key: 'startup-delay', label: 'pod startup delay +25% (800 -> 1000 ms)', set: ['sim.podStartupDelay=1000ms'] },
  { key: 'scheduler-qps', label: 'scheduler QPS and burst halved (200/400 -> 100/200)', set: ['sim.schedulerQps=100', 'sim.schedulerBurst=200'] },
  { key: 'controller-qps', label: 'controller QPS and burst halved (200/400 -> 100/200)', set: ['sim.controllerQps=100', 'sim.controllerBurst=200'] },
  { key: 'api-latency', label: 'apiserver latency +10 ms a request', set: ['sim.apiLatency=10ms'] },
] as const;
type Key = (typeof CONDITIONS)[number]['key'];
/** One round: A twice, so A/A trials have twice the runs. */
const ROUND: Key[] = ['base', 'startup-delay', 'scheduler-qps', 'base', 'controller-qps', 'api-latency'];

/** `npm run regression`'s thresholds (test/regression.sh). */
const REGRESSION_SETTINGS: CompareSettings = { ...DEFAULT_SETTINGS, thresholdPct: 50, groupThresholdPct: { api: 400, server: 400 }, noiseFloorMs: 50, noiseFloorPods: 100 };

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const pool = path.resolve(arg('pool') ?? path.join(root, 'results/detection-pool'));
const rounds = Number(arg('rounds') ?? 6);
const trials = Number(arg('trials') ?? 200);
const SERIES_RUNS = Number(arg('series-runs') ?? 5);
const HISTORY_RUNS = Number(arg('history-runs') ?? 8);

interface PoolRun {
  dir: string;
  wallS: number;
}

function poolRuns(key: Key): PoolRun[] {
  const dir = path.join(pool, key);
  if (!existsSync(path.join(dir, 'series.json'))) return [];
  const s = JSON.parse(readFileSync(path.join(dir, 'series.json'), 'utf8')) as SeriesFile;
  const walls = existsSync(path.join(dir, 'wall.json')) ? (JSON.parse(readFileSync(path.join(dir, 'wall.json'), 'utf8')) as Record<string, number>) : {};
  return s.runs.map((r) => ({ dir: path.join(dir, r), wallS: walls[r] ?? NaN }));
}

function collect(): void {
  const cli = path.join(root, 'dist/cli/main.js');
  for (let round = 1; round <= rounds; round++) {
    for (const key of ROUND) {
      const c = CONDITIONS.find((x) => x.key === key)!;
      const dir = path.join(pool, key);
      const file = path.join(dir, 'series.json');
      const s: SeriesFile = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as SeriesFile) : { formatVersion: SERIES_FORMAT_VERSION, kind: 'series', id: `detection-${key}`, workload: { name: 'smoke', sha256: '' }, runs: [] };
      const used = new Set(existsSync(dir) ? readdirSync(dir) : []);
      let i = s.runs.length + 1;
      while (used.has(`run-${i}`)) i++;
      const name = `run-${i}`;
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [cli, 'run', path.join(root, 'workloads/smoke.yaml'), '--sim', '--out', path.join(dir, name), ...c.set.flatMap((x) => ['--set', x])], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
      const wallS = (performance.now() - t0) / 1000;
      // 3 is an SLO missed on a busy machine: the run is complete and counts.
      if (r.status !== 0 && r.status !== 3) {
        console.log(`round ${round} ${key}: the run failed (exit ${r.status}): ${r.stderr.trim().split('\n').pop() ?? ''}; left out`);
        continue;
      }
      const m = JSON.parse(readFileSync(path.join(dir, name, 'manifest.json'), 'utf8')) as { workload: { sha256: string } };
      s.workload.sha256 = m.workload.sha256;
      s.runs.push(name);
      writeFileSync(file, JSON.stringify(s, null, 2) + '\n');
      const wallFile = path.join(dir, 'wall.json');
      const walls = existsSync(wallFile) ? (JSON.parse(readFileSync(wallFile, 'utf8')) as Record<string, number>) : {};
      walls[name] = Math.round(wallS * 10) / 10;
      writeFileSync(wallFile, JSON.stringify(walls, null, 2) + '\n');
      console.log(`round ${round}/${rounds} ${key.padEnd(15)} ${name}  ${wallS.toFixed(0)} s`);
    }
  }
}

function pick<T>(rnd: Random, from: readonly T[], n: number): T[] {
  const a = [...from];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd.next() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, n);
}

interface Outcome {
  alarms: number;
  trials: number;
  /** Measurements that raised the alarms, and how often. */
  by: Map<string, number>;
  ms: number;
}

function rate(o: Outcome | undefined): string {
  return o && o.trials > 0 ? `${((100 * o.alarms) / o.trials).toFixed(0)}% (${o.alarms}/${o.trials})` : 'n/a';
}

function note(o: Outcome, ids: string[], ms: number): void {
  o.trials++;
  o.ms += ms;
  if (ids.length === 0) return;
  o.alarms++;
  for (const id of ids) o.by.set(id, (o.by.get(id) ?? 0) + 1);
}

const fresh = (): Outcome => ({ alarms: 0, trials: 0, by: new Map(), ms: 0 });

function evaluate(): void {
  const runs = Object.fromEntries(CONDITIONS.map((c) => [c.key, poolRuns(c.key)])) as Record<Key, PoolRun[]>;
  const folders = new Map<string, ResultFolder>();
  const open = (r: PoolRun): ResultFolder => {
    let f = folders.get(r.dir);
    if (!f) folders.set(r.dir, (f = ResultFolder.open(r.dir)));
    return f;
  };
  const complete = (rs: PoolRun[]): PoolRun[] => rs.filter((r) => open(r).summary.status === 'complete');
  for (const c of CONDITIONS) runs[c.key] = complete(runs[c.key]);
  const base = runs.base;
  console.log(`pool ${pool}: ${CONDITIONS.map((c) => `${c.key} ${runs[c.key].length}`).join(', ')} complete runs`);
  const allWalls = Object.values(runs).flat().map((r) => r.wallS).filter(Number.isFinite);
  const wall = allWalls.reduce((x, y) => x + y, 0) / Math.max(1, allWalls.length);
  const ps = (rs: PoolRun[]): number[] => rs.map((r) => open(r).summary.pods?.phases.pod_startup?.p50 ?? NaN);
  const spread = (v: number[]): string => {
    const m = v.reduce((x, y) => x + y, 0) / v.length;
    const sd = Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / Math.max(1, v.length - 1));
    return `mean ${m.toFixed(0)} ms, sd ${sd.toFixed(0)} ms (${((100 * sd) / m).toFixed(1)}%)`;
  };
  for (const c of CONDITIONS) if (runs[c.key].length) console.log(`  pod_startup p50, ${c.key}: ${spread(ps(runs[c.key]))}`);

  const SERIES = [
    { label: `series, ${SERIES_RUNS} runs against ${SERIES_RUNS}, default thresholds`, nA: SERIES_RUNS, nB: SERIES_RUNS, settings: DEFAULT_SETTINGS },
    { label: `series, 3 new runs against ${SERIES_RUNS}, npm run regression's thresholds`, nA: SERIES_RUNS, nB: 3, settings: REGRESSION_SETTINGS },
  ];
  const methods = ['single run, default thresholds', "single run, npm run regression's thresholds", ...SERIES.map((x) => x.label), `history, ${HISTORY_RUNS} runs then ${SERIES_RUNS} new`];
  const results = new Map<string, Map<Key, Outcome>>(methods.map((m) => [m, new Map()]));
  const rnd = new Random(1);
  const regressed = (rows: { id: string; verdict: string }[]): string[] => rows.filter((r) => r.verdict === 'regressed').map((r) => r.id);

  // History values: each run's measurements as the history stores them.
  const historyValues = new Map<string, Map<string, number>>();
  const hv = (r: PoolRun): Map<string, number> => {
    let m = historyValues.get(r.dir);
    if (!m) {
      m = new Map(readHistoryInput(r.dir).runs[0]!.measurements.filter((x) => isKeyMeasurement(x.name)).map((x) => [x.name, x.value]));
      historyValues.set(r.dir, m);
    }
    return m;
  };

  for (const c of CONDITIONS) {
    const other = runs[c.key];
    if (other.length === 0) continue;
    const aa = c.key === 'base';
    // Single runs: every ordered pair (A/A: two different base runs).
    for (const [mi, settings] of [[0, DEFAULT_SETTINGS], [1, REGRESSION_SETTINGS]] as const) {
      const o = fresh();
      for (const a of base) {
        for (const b of other) {
          if (a === b) continue;
          const t0 = performance.now();
          const rows = compareResults(open(a), open(b), settings);
          note(o, regressed(rows), performance.now() - t0);
        }
      }
      results.get(methods[mi])!.set(c.key, o);
    }
    // Series: nB runs against nA, disjoint in A/A.
    for (const sm of SERIES) {
      if (base.length < (aa ? sm.nA + sm.nB : sm.nA) || other.length < sm.nB) continue;
      const o = fresh();
      for (let t = 0; t < trials; t++) {
        const a = pick(rnd, base, aa ? sm.nA + sm.nB : sm.nA);
        const b = aa ? a.splice(sm.nA) : pick(rnd, other, sm.nB);
        const t0 = performance.now();
        const rows = compareSeries(a.map(open), b.map(open), sm.settings);
        note(o, regressed(rows), performance.now() - t0);
      }
      results.get(sm.label)!.set(c.key, o);
    }
    // History: HISTORY_RUNS base runs, then SERIES_RUNS new runs; check's rule on every key measurement.
    if (base.length >= HISTORY_RUNS + (aa ? SERIES_RUNS : 0) && other.length >= SERIES_RUNS) {
      const o = fresh();
      for (let t = 0; t < trials; t++) {
        const h = pick(rnd, base, HISTORY_RUNS + (aa ? SERIES_RUNS : 0));
        const seq = aa ? h : [...h, ...pick(rnd, other, SERIES_RUNS)];
        const t0 = performance.now();
        const names = new Set(seq.flatMap((r) => [...hv(r).keys()]));
        const alarms: string[] = [];
        for (const name of names) {
          const points = seq.flatMap((r, i) => {
            const v = hv(r).get(name);
            return v === undefined ? [] : [{ runId: `r${i}`, startedAt: new Date(i * 86_400_000).toISOString(), value: v }];
          });
          if (points.length < 6) continue;
          const cps = findChangePoints(points, betterOf(name));
          const newest = cps.at(-1);
          // New: begins within the newest SERIES_RUNS runs, as `history check --new-within 5`.
          if (newest && newest.direction === 'regression' && newest.index >= points.length - SERIES_RUNS) alarms.push(name);
        }
        note(o, alarms, performance.now() - t0);
      }
      results.get(methods[methods.length - 1]!)!.set(c.key, o);
    }
  }

  const runsPer = [1, 1, ...SERIES.map((x) => x.nB), SERIES_RUNS];
  console.log(`\nAlarm rate (at least one measurement judged a regression). Mean wall time of one smoke run: ${wall.toFixed(0)} s.\n`);
  const header = ['method', ...CONDITIONS.map((c) => c.label), 'wall time a night'];
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  methods.forEach((m, i) => {
    const r = results.get(m)!;
    const analysis = [...r.values()].reduce((s, o) => s + o.ms, 0) / Math.max(1, [...r.values()].reduce((s, o) => s + o.trials, 0));
    console.log(`| ${m} | ${CONDITIONS.map((c) => rate(r.get(c.key))).join(' | ')} | ${runsPer[i]} run${runsPer[i] === 1 ? '' : 's'}, ~${((runsPer[i]! * wall) / 60).toFixed(1)} min + ${analysis < 1000 ? `${analysis.toFixed(0)} ms` : `${(analysis / 1000).toFixed(1)} s`} |`);
  });
  console.log('\nWhich measurements raised the alarms (the three most frequent):');
  for (const m of methods) {
    for (const c of CONDITIONS) {
      const o = results.get(m)!.get(c.key);
      if (!o || o.alarms === 0) continue;
      const top = [...o.by.entries()].sort((x, y) => y[1] - x[1]).slice(0, 3).map(([id, n]) => `${id} ${n}`);
      console.log(`  ${m} / ${c.key}: ${top.join(', ')}`);
    }
  }
}

if (!process.argv.includes('--evaluate')) collect();
evaluate();
