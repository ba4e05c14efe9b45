import type { CsvRow } from './reader.js';

/**
 * How each timeseries.csv column of the shards combines into the merged run's: behaviour
 * that is data. First match wins.
 */
const COLUMN_RULES: { match: RegExp; how: 'rate' | 'max' | 'state' }[] = [
  // Per-second rates: each row's count (rate x its interval) goes to the second it ends in; summed.
  { match: /_per_s$/, how: 'rate' },
  // Each shard process's own health: the worst shard's.
  { match: /^harness_/, how: 'max' },
  // States (pods seen, running, pending, ...): each shard's latest row, summed.
  { match: /./, how: 'state' },
];

const FIXED = ['time', 'elapsed_s', 'phase'];

function ruleOf(column: string): 'rate' | 'max' | 'state' {
  return COLUMN_RULES.find((r) => r.match.test(column))!.how;
}

interface Row {
  at: number;
  intervalS: number;
  phase: string;
  values: Record<string, number | undefined>;
}

function parse(rows: CsvRow[], columns: string[]): Row[] {
  const out: Row[] = [];
  let prevElapsed = 0;
  for (const r of rows) {
    const elapsed = Number(r.elapsed_s);
    const values: Record<string, number | undefined> = {};
    for (const c of columns) values[c] = r[c] === undefined || r[c] === '' ? undefined : Number(r[c]);
    out.push({ at: Date.parse(r.time ?? ''), intervalS: Math.max(0, elapsed - prevElapsed), phase: r.phase ?? '', values });
    prevElapsed = elapsed;
  }
  return out.filter((r) => Number.isFinite(r.at));
}

/**
 * The shards' timeseries.csv as one: one row per second from `originMs` (the wall clock
 * the merged run's elapsed seconds count from), each column combined by COLUMN_RULES.
 * The phase is the first shard's (the shards start every phase together).
 */
export function mergeTimeseries(shards: CsvRow[][], originMs: number): { columns: string[]; rows: (string | number)[][] } {
  const columns: string[] = [];
  for (const rows of shards) for (const c of Object.keys(rows[0] ?? {})) if (!FIXED.includes(c) && !columns.includes(c)) columns.push(c);
  const parsed = shards.map((rows) => parse(rows, columns));
  const last = Math.max(originMs, ...parsed.flatMap((p) => p.map((r) => r.at)));
  const buckets = Math.max(1, Math.ceil((last - originMs) / 1000));
  const bucketOf = (at: number): number => Math.min(buckets - 1, Math.max(0, Math.ceil((at - originMs) / 1000) - 1));
  const out: (string | number)[][] = [];
  const cursor = parsed.map(() => 0);
  const latest: (Row | undefined)[] = parsed.map(() => undefined);
  for (let b = 0; b < buckets; b++) {
    const rates: Record<string, number> = {};
    const maxes: Record<string, number | undefined> = {};
    let phase = '';
    parsed.forEach((rows, s) => {
      while (cursor[s]! < rows.length && bucketOf(rows[cursor[s]!]!.at) === b) {
        const row = rows[cursor[s]!]!;
        for (const c of columns) {
          const v = row.values[c];
          if (v === undefined) continue;
          const how = ruleOf(c);
          if (how === 'rate') rates[c] = (rates[c] ?? 0) + v * row.intervalS;
          else if (how === 'max') maxes[c] = Math.max(maxes[c] ?? -Infinity, v);
        }
        latest[s] = row;
        cursor[s]!++;
      }
      if (s === 0 || !phase) phase = latest[s]?.phase ?? phase;
    });
    const cells = columns.map((c) => {
      const how = ruleOf(c);
      if (how === 'rate') return Math.round((rates[c] ?? 0) * 10) / 10;
      if (how === 'max') return maxes[c] === undefined ? '' : maxes[c]!;
      let sum = 0;
      for (const row of latest) sum += row?.values[c] ?? 0;
      return sum;
    });
    out.push([new Date(originMs + (b + 1) * 1000).toISOString(), b + 1, phase, ...cells]);
  }
  return { columns: [...FIXED, ...columns], rows: out };
}
