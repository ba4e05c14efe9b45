import { type CompareSettings, compareResults, DEFAULT_SETTINGS, type Group, GROUPS } from '../compare/compare.js';
import { comparisonWarnings, workloadMismatch } from '../compare/compatibility.js';
import { type Comparison, formatJson, formatMarkdown, formatTable } from '../compare/format.js';
import { ResultFolder, ResultFolderError } from '../results/reader.js';
import { intervalPossible } from '../compare/rank-test.js';
import { compareSeries } from '../compare/series-compare.js';
import { formatSeriesJson, formatSeriesMarkdown, formatSeriesTable, type SeriesComparison, type SeriesSide } from '../compare/series-format.js';
import { openRunOrSeries, type RunOrSeries } from '../results/series.js';
import { EXIT, UsageError } from './errors.js';
import type { CompareArgs, CompareFlags } from './flags.js';

export type { CompareFlags };

/** `--threshold 10 --threshold api=50`: a default and per-group overrides, in percent. */
export function parseThresholds(values: readonly string[]): Pick<CompareSettings, 'thresholdPct' | 'groupThresholdPct'> {
  let thresholdPct = DEFAULT_SETTINGS.thresholdPct;
  const groupThresholdPct: Partial<Record<Group, number>> = { ...DEFAULT_SETTINGS.groupThresholdPct };
  for (const v of values) {
    const m = /^(?:([a-z]+)=)?(\d+(?:\.\d+)?)%?$/.exec(v.trim());
    if (!m) throw new UsageError(`--threshold ${v}: expected a percentage (10) or a group and a percentage (api=50); groups: ${GROUPS.join(', ')}`);
    const pct = Number(m[2]);
    // A plain percentage sets every group: the per-group defaults give way to it.
    if (m[1] === undefined) {
      thresholdPct = pct;
      for (const g of Object.keys(groupThresholdPct)) delete groupThresholdPct[g as Group];
    }
    else if ((GROUPS as readonly string[]).includes(m[1])) groupThresholdPct[m[1] as Group] = pct;
    else throw new UsageError(`--threshold ${v}: there is no group "${m[1]}"; groups: ${GROUPS.join(', ')}`);
  }
  return { thresholdPct, groupThresholdPct };
}

export function settingsFrom(f: CompareFlags): CompareSettings {
  if (!(f.noiseFloorMs >= 0)) throw new UsageError(`--noise-floor-ms ${f.noiseFloorMs}: expected a number of milliseconds, 0 or more`);
  if (!(f.noiseFloorPods >= 0)) throw new UsageError(`--noise-floor-pods ${f.noiseFloorPods}: expected a number of pods, 0 or more`);
  if (!(Number.isInteger(f.minSamples) && f.minSamples >= 1)) throw new UsageError(`--min-samples ${f.minSamples}: expected a whole number, 1 or more`);
  return { ...DEFAULT_SETTINGS, ...parseThresholds(f.threshold), noiseFloorMs: f.noiseFloorMs, noiseFloorPods: f.noiseFloorPods, minSamples: f.minSamples };
}

export function openResult(dir: string, role: string): ResultFolder {
  try {
    return ResultFolder.open(dir);
  } catch (e) {
    if (e instanceof ResultFolderError) throw new UsageError(`${role}: ${e.message}`);
    throw e;
  }
}

/** Refuses two runs of different workloads unless forced (then it is a warning). */
export function checkSameWorkload(a: ResultFolder, b: ResultFolder, force: boolean, warnings: string[]): void {
  const mismatch = workloadMismatch(a.manifest, b.manifest);
  if (!mismatch) return;
  if (!force) throw new UsageError(`cannot compare ${a.dir} with ${b.dir}: ${mismatch}. Results of different workloads differ for reasons other than the cluster; compare runs of the same workload, or pass --force to compare anyway.`);
  warnings.push(`compared with --force: ${mismatch}`);
}

export function compareFolders(a: ResultFolder, b: ResultFolder, f: CompareFlags): Comparison {
  const settings = settingsFrom(f);
  const warnings: string[] = [];
  checkSameWorkload(a, b, f.force, warnings);
  warnings.push(...comparisonWarnings(a, b));
  return { a, b, settings, rows: compareResults(a, b, settings), warnings };
}

export function openRunOrSeriesArg(dir: string, role: string): RunOrSeries {
  try {
    return openRunOrSeries(dir);
  } catch (e) {
    if (e instanceof ResultFolderError) throw new UsageError(`${role}: ${e.message}`);
    throw e;
  }
}

function sideOf(x: RunOrSeries, dir: string, role: string): SeriesSide {
  if (x.kind === 'run') return { dir, kind: 'run', runs: x.run.summary.status === 'complete' ? [x.run] : [], left: x.run.summary.status === 'complete' ? [] : [`${x.run.name}: ${x.run.summary.status}`] };
  const s = x.series;
  const left = [...s.runs.filter((r) => r.summary.status !== 'complete').map((r) => `${r.name}: ${r.summary.status}`), ...s.unreadable.map((u) => `${u.folder}: ${u.why}`)];
  const side: SeriesSide = { dir, kind: 'series', runs: s.complete, left };
  if (side.runs.length === 0) throw new UsageError(`${role}: the series ${dir} has no complete run to compare${left.length ? ` (${left.join('; ')})` : ''}`);
  return side;
}

/** Series against series (a single run on one side is a series of one): the between-run comparison. */
export function compareSeriesFolders(a: RunOrSeries, b: RunOrSeries, dirs: { a: string; b: string }, f: CompareFlags): SeriesComparison {
  const settings = settingsFrom(f);
  const sa = sideOf(a, dirs.a, 'A');
  const sb = sideOf(b, dirs.b, 'B');
  if (sa.runs.length === 0 || sb.runs.length === 0) throw new UsageError(`${sa.runs.length === 0 ? 'A' : 'B'}: the run did not complete (${[...sa.left, ...sb.left].join('; ')}); compare complete runs`);
  const warnings: string[] = [];
  checkSameWorkload(sa.runs[0]!, sb.runs[0]!, f.force, warnings);
  warnings.push(...comparisonWarnings(sa.runs[0]!, sb.runs[0]!).filter((w) => !/did not complete|bottleneck/.test(w)));
  for (const [name, side] of [['A', sa], ['B', sb]] as const) {
    for (const l of side.left) warnings.push(`${name}: left out ${l}`);
    const bottleneck = side.runs.filter((r) => r.summary.harness?.bottleneck).length;
    if (bottleneck) warnings.push(`${name}: kbench itself was the bottleneck in ${bottleneck} of its runs; their latencies measure kbench as much as the cluster`);
    if (side.runs.length < 4 && !intervalPossible(sa.runs.length, sb.runs.length)) warnings.push(`${name} has ${side.runs.length} complete run${side.runs.length === 1 ? '' : 's'}: a verdict on runs needs at least 4 a side (or 3 and 5); \`kbench run --repeat 5\` makes a series`);
  }
  return { a: sa, b: sb, settings, rows: compareSeries(sa.runs, sb.runs, settings), warnings };
}

export async function compareHandler(args: CompareArgs): Promise<void> {
  const a = openRunOrSeriesArg(args.a, 'A');
  const b = openRunOrSeriesArg(args.b, 'B');
  let text: string;
  let regressed: boolean;
  if (a.kind === 'run' && b.kind === 'run') {
    const c = compareFolders(a.run, b.run, args);
    text = args.format === 'json' ? formatJson(c) : args.format === 'markdown' ? formatMarkdown(c) : formatTable(c);
    regressed = c.rows.some((r) => r.verdict === 'regressed');
  } else {
    const c = compareSeriesFolders(a, b, { a: args.a, b: args.b }, args);
    text = args.format === 'json' ? formatSeriesJson(c) : args.format === 'markdown' ? formatSeriesMarkdown(c) : formatSeriesTable(c);
    regressed = c.rows.some((r) => r.verdict === 'regressed');
  }
  console.log(text);
  if (args.failOnRegression && regressed) process.exitCode = EXIT.sloViolated;
}

