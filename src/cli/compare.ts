import { type CompareSettings, compareResults, DEFAULT_SETTINGS, type Group, GROUPS } from '../compare/compare.js';
import { comparisonWarnings, workloadMismatch } from '../compare/compatibility.js';
import { type Comparison, formatJson, formatMarkdown, formatTable } from '../compare/format.js';
import { ResultFolder, ResultFolderError } from '../results/reader.js';
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

export async function compareHandler(args: CompareArgs): Promise<void> {
  const a = openResult(args.a, 'A');
  const b = openResult(args.b, 'B');
  const c = compareFolders(a, b, args);
  const text = args.format === 'json' ? formatJson(c) : args.format === 'markdown' ? formatMarkdown(c) : formatTable(c);
  console.log(text);
  if (args.failOnRegression && c.rows.some((r) => r.verdict === 'regressed')) process.exitCode = EXIT.sloViolated;
}

