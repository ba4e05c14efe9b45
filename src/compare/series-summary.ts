import { SERIES_FORMAT_VERSION, type SeriesFile, type SeriesSummary } from '../results/format.js';
import type { ResultFolder } from '../results/reader.js';
import { medianOfSorted, standardDeviation } from './rank-test.js';
import { valuesByMeasurement } from './series-compare.js';

/** series-summary.json of a series: each measurement's value in every complete run, and the spread between runs. */
export function seriesSummary(file: SeriesFile, runs: readonly { folder: string; result: ResultFolder }[], planned: number): SeriesSummary {
  const complete = runs.filter((r) => r.result.summary.status === 'complete');
  const measurements = [...valuesByMeasurement(complete.map((r) => r.result))].map(([id, e]) => {
    const v = e.values.filter((x): x is number => x !== null);
    const sorted = Float64Array.from(v).sort();
    const mean = v.reduce((x, y) => x + y, 0) / v.length;
    return {
      id,
      label: e.info.label,
      unit: e.info.unit,
      better: e.info.better,
      values: e.values,
      median: medianOfSorted(sorted),
      min: sorted[0]!,
      max: sorted[sorted.length - 1]!,
      cvPct: mean === 0 ? 0 : Math.round((1000 * standardDeviation(v)) / Math.abs(mean)) / 10,
    };
  });
  const whole = runs.length === planned && complete.length === planned;
  const missing = planned - runs.length;
  const notComplete = runs.length - complete.length;
  const note = whole
    ? undefined
    : [missing > 0 ? `${missing} of the ${planned} runs planned did not run` : '', notComplete > 0 ? `${notComplete} run${notComplete === 1 ? '' : 's'} did not complete and ${notComplete === 1 ? 'is' : 'are'} left out of the measurements` : ''].filter(Boolean).join('; ');
  return {
    formatVersion: SERIES_FORMAT_VERSION,
    kind: 'series-summary',
    id: file.id ?? '',
    workload: file.workload.name,
    runs: complete.map((r) => ({ folder: r.folder, runId: r.result.manifest.runId, status: r.result.summary.status })),
    status: whole ? 'complete' : 'incomplete',
    ...(note ? { note } : {}),
    measurements,
  };
}
