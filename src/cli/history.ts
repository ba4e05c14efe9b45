import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { checkHistory, analyseSeries, DEFAULT_LAST, DEFAULT_NEW_WITHIN, HistoryQueryError } from '../history/check.js';
import { DEFAULT_CHANGE_OPTIONS, type ChangePointOptions } from '../history/change-points.js';
import { DatabaseError } from '../history/db/database.js';
import { DEFAULT_HISTORY_DB } from '../history/db/open.js';
import { formatCheck, formatRunDetail, formatRunList, formatTrend, type TextFormat } from '../history/format.js';
import { COMPLETE, type HistoryInput } from '../history/records.js';
import type { HistoryStore } from '../history/store.js';
import { EXIT, RunError, UsageError } from './errors.js';

interface DbArgs {
  db: string;
}

/** Opens the history, runs the command, closes it; the history's errors become exit codes. */
async function withHistory<T>(args: DbArgs, create: boolean, fn: (store: HistoryStore) => Promise<T>): Promise<T> {
  let store: HistoryStore | undefined;
  try {
    const { openHistory } = await import('../history/open-history.js');
    store = await openHistory(args.db, { create });
    return await fn(store);
  } catch (e) {
    // Bad input (a folder, a conflict, a query, a --db value) is a BadInputError and exits 2 as it is.
    if (e instanceof DatabaseError) throw new RunError(e.message);
    throw e;
  } finally {
    await store?.db.close().catch(() => {});
  }
}

function dbOption<T>(y: Argv<T>): Argv<T & DbArgs> {
  return y.option('db', {
    type: 'string',
    default: process.env.KBENCH_HISTORY_DB ?? DEFAULT_HISTORY_DB,
    defaultDescription: `$KBENCH_HISTORY_DB, else ${DEFAULT_HISTORY_DB}`,
    describe: 'The history: a SQLite file, or postgres://user@host:5432/db (the password from PGPASSWORD or ~/.pgpass keeps it off the command line)',
  }) as Argv<T & DbArgs>;
}

function positiveInt(v: number | undefined, flag: string): void {
  if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new UsageError(`${flag} ${v}: expected a whole number, 1 or more`);
}

// --- add -----------------------------------------------------------------------------

interface AddArgs extends DbArgs {
  dirs: string[];
  commit?: string;
}

async function addHandler(args: AddArgs): Promise<void> {
  if (args.commit !== undefined && !/^[0-9a-f]{7,40}$/i.test(args.commit)) throw new UsageError(`--commit ${args.commit}: expected a git commit id (7 to 40 hex digits)`);
  // Read every folder first, then store them in one transaction: a bad or conflicting one stores nothing.
  const { readHistoryInput } = await import('../history/result-input.js');
  const inputs: HistoryInput[] = args.dirs.map((d) => readHistoryInput(d));
  await withHistory(args, true, async (store) => {
    const results = await store.add(inputs, { ...(args.commit ? { gitCommit: args.commit.toLowerCase() } : {}) });
    let at = 0;
    for (const input of inputs) {
      const whole = input.series?.whole === true;
      if (whole) console.log(`series ${input.series!.id} (${input.series!.workload}, ${input.runs.length} runs) from ${input.source}`);
      for (const r of input.runs) {
        const run = r.identity;
        const outcome = results[at++]!.outcome;
        const what = outcome === 'added' ? 'added' : outcome === 'updated' ? 'already there; recorded its commit or series' : 'already there, unchanged';
        const member = input.series && !whole ? ` (series ${input.series.id}, run ${r.seriesIndex} of ${input.series.size})` : '';
        const note = run.status !== COMPLETE ? ` (status ${run.status}: left out of trends and checks)` : '';
        console.log(`${whole ? '  ' : ''}${run.runId}  ${run.workload}  ${run.startedAt.slice(0, 16).replace('T', ' ')} UTC  ${what}${member}${note}`);
      }
    }
    console.log(`history: ${store.db.location}`);
  });
}

const addCommand: CommandModule<object, AddArgs> = {
  command: 'add <dirs..>',
  describe: 'Store result sets or series (folders with series.json) in the history',
  builder: (y: Argv) =>
    dbOption(y)
      .positional('dirs', { type: 'string', array: true, demandOption: true, describe: 'Result folders or series folders' })
      .option('commit', { type: 'string', describe: 'The git commit the runs measured (recorded with each run)' }) as unknown as Argv<AddArgs>,
  handler: addHandler,
};

// --- list / show ----------------------------------------------------------------------

interface ListArgs extends DbArgs {
  workload?: string;
  last?: number;
  format: 'table' | 'json';
}

const listCommand: CommandModule<object, ListArgs> = {
  command: 'list',
  describe: 'The runs in the history, oldest first (every status)',
  builder: (y: Argv) =>
    dbOption(y)
      .option('workload', { type: 'string', describe: 'Only runs of this workload' })
      .option('last', { type: 'number', describe: 'Only the newest N runs' })
      .option('format', { choices: ['table', 'json'] as const, default: 'table' as const }) as unknown as Argv<ListArgs>,
  handler: async (args) => {
    positiveInt(args.last, '--last');
    await withHistory(args, false, async (store) => {
      const runs = await store.runs({ includeIncomplete: true, ...(args.workload !== undefined ? { workload: args.workload } : {}), ...(args.last !== undefined ? { last: args.last } : {}) });
      if (args.format === 'json') console.log(JSON.stringify({ runs }, null, 2));
      else console.log(formatRunList(runs, await store.sloCounts()));
    });
  },
};

interface ShowArgs extends DbArgs {
  run: string;
  format: 'table' | 'json';
}

const showCommand: CommandModule<object, ShowArgs> = {
  command: 'show <run>',
  describe: "One run: its identity, SLO verdicts and every measurement's value",
  builder: (y: Argv) =>
    dbOption(y)
      .positional('run', { type: 'string', demandOption: true, describe: 'Run id (kbench history list shows them)' })
      .option('format', { choices: ['table', 'json'] as const, default: 'table' as const }) as unknown as Argv<ShowArgs>,
  handler: async (args) => {
    await withHistory(args, false, async (store) => {
      const detail = await store.run(args.run);
      if (!detail) throw new HistoryQueryError(`the history ${store.db.location} has no run ${args.run} (kbench history list shows them)`);
      console.log(args.format === 'json' ? JSON.stringify(detail, null, 2) : formatRunDetail(detail));
    });
  },
};

// --- trend / check --------------------------------------------------------------------

interface DetectArgs {
  alpha: number;
  permutations: number;
  minChange: number;
  seed: number;
  searchEnd: boolean;
}

function withDetectOptions<T>(y: Argv<T>): Argv<T & DetectArgs> {
  return y
    .option('alpha', { type: 'number', default: DEFAULT_CHANGE_OPTIONS.alpha, describe: 'Significance level of the permutation test' })
    .option('permutations', { type: 'number', default: DEFAULT_CHANGE_OPTIONS.permutations, describe: 'Permutations per test' })
    .option('min-change', { type: 'number', default: DEFAULT_CHANGE_OPTIONS.minChangePct, describe: 'Change points smaller than this (percent of the mean before) are not reported' })
    .option('seed', { type: 'number', default: DEFAULT_CHANGE_OPTIONS.seed, describe: 'Seed of the permutations' })
    .option('search-end', {
      type: 'boolean',
      default: DEFAULT_CHANGE_OPTIONS.searchEnd,
      describe: 'Also search where the changed stretch ends (finds a regression that was later fixed; less power for the newest change)',
    }) as unknown as Argv<T & DetectArgs>;
}

function detectOptions(a: DetectArgs): Partial<ChangePointOptions> {
  if (!(a.alpha > 0 && a.alpha < 1)) throw new UsageError(`--alpha ${a.alpha}: expected a number between 0 and 1`);
  positiveInt(a.permutations, '--permutations');
  const needed = Math.ceil(1 / a.alpha) - 1;
  if (a.permutations < needed) throw new UsageError(`--permutations ${a.permutations}: with --alpha ${a.alpha} no p-value could be small enough; use at least ${needed}`);
  if (!(a.minChange >= 0)) throw new UsageError(`--min-change ${a.minChange}: expected a percentage, 0 or more`);
  if (!Number.isInteger(a.seed)) throw new UsageError(`--seed ${a.seed}: expected a whole number`);
  return { alpha: a.alpha, permutations: a.permutations, minChangePct: a.minChange, seed: a.seed, searchEnd: a.searchEnd };
}

function settingsLine(o: Partial<ChangePointOptions>): string {
  const c = { ...DEFAULT_CHANGE_OPTIONS, ...o };
  return `E-Divisive means${c.searchEnd ? ' with the end searched' : ''}, permutation test (${c.permutations} permutations, alpha ${c.alpha}, seed ${c.seed}), segments of at least ${c.minSize} runs, changes under ${c.minChangePct}% not reported; complete runs only unless --include-incomplete`;
}

interface TrendArgs extends DbArgs, DetectArgs {
  measurements: string[];
  workload?: string;
  last: number;
  html?: string;
  includeIncomplete: boolean;
  format: 'table' | 'markdown' | 'json';
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, file);
  } catch (e) {
    throw new UsageError(`--html ${file}: cannot write it (${(e as Error).message})`);
  }
}

const trendCommand: CommandModule<object, TrendArgs> = {
  command: 'trend <measurements..>',
  describe: 'Each measurement over the runs: a sparkline table, change points marked; --html writes a plot',
  builder: (y: Argv) =>
    withDetectOptions(dbOption(y))
      .positional('measurements', { type: 'string', array: true, demandOption: true, describe: 'Measurement names, * for any text: pod_startup.p99, "api.*.p99", "server.*"' })
      .option('workload', { type: 'string', describe: 'Only this workload (default: each workload in the history)' })
      .option('last', { type: 'number', default: DEFAULT_LAST, describe: 'The newest N runs of each workload' })
      .option('html', { type: 'string', describe: 'Also write a self-contained HTML plot to this file' })
      .option('include-incomplete', { type: 'boolean', default: false, describe: 'Include runs that did not complete' })
      .option('format', { choices: ['table', 'markdown', 'json'] as const, default: 'table' as const }) as unknown as Argv<TrendArgs>,
  handler: async (args) => {
    positiveInt(args.last, '--last');
    const detect = detectOptions(args);
    await withHistory(args, false, async (store) => {
      const workloads = await analyseSeries(store, { measurements: args.measurements, last: args.last, includeIncomplete: args.includeIncomplete, ...(args.workload !== undefined ? { workload: args.workload } : {}) }, detect);
      if (args.format === 'json') console.log(JSON.stringify({ workloads }, null, 2));
      else console.log(formatTrend(workloads, args.format as TextFormat));
      if (args.html) {
        const out = path.resolve(args.html);
        const { renderTrendHtml } = await import('../history/trend-html.js');
        await writeAtomically(out, renderTrendHtml(workloads, new Date()));
        console.log(`plot: ${path.relative(process.cwd(), out) || out}`);
      }
    });
  },
};

interface CheckArgs extends DbArgs, DetectArgs {
  workload?: string;
  measurement: string[];
  since?: string;
  newWithin: number;
  last: number;
  includeIncomplete: boolean;
  format: 'table' | 'markdown' | 'json';
}

const checkCommand: CommandModule<object, CheckArgs> = {
  command: 'check',
  describe: 'Change-point detection over each key measurement; exit 3 on a new, unacknowledged regression',
  builder: (y: Argv) =>
    withDetectOptions(dbOption(y))
      .option('workload', { type: 'string', describe: 'Only this workload (default: each workload in the history)' })
      .option('measurement', { type: 'string', array: true, default: [], describe: 'Measurements to check, * for any text (repeatable; default: the key measurements)' })
      .option('new-within', { type: 'number', default: DEFAULT_NEW_WITHIN, describe: 'A change point is new when it begins within the newest K runs' })
      .option('since', { type: 'string', describe: 'A change point is new when it begins at or after this run (instead of --new-within)' })
      .option('last', { type: 'number', default: DEFAULT_LAST, describe: 'Analyse the newest N runs of each workload' })
      .option('include-incomplete', { type: 'boolean', default: false, describe: 'Include runs that did not complete' })
      .option('format', { choices: ['table', 'markdown', 'json'] as const, default: 'table' as const }) as unknown as Argv<CheckArgs>,
  handler: async (args) => {
    positiveInt(args.last, '--last');
    positiveInt(args.newWithin, '--new-within');
    const detect = detectOptions(args);
    await withHistory(args, false, async (store) => {
      const result = await checkHistory(store, {
        changePoints: detect,
        newWithin: args.newWithin,
        last: args.last,
        includeIncomplete: args.includeIncomplete,
        ...(args.measurement.length ? { measurements: args.measurement } : {}),
        ...(args.workload !== undefined ? { workload: args.workload } : {}),
        ...(args.since !== undefined ? { since: args.since } : {}),
      });
      const regressions = result.checks.filter((c) => c.status === 'regression');
      if (args.format === 'json') console.log(JSON.stringify({ settings: { ...DEFAULT_CHANGE_OPTIONS, ...detect, newWithin: args.newWithin, since: args.since ?? null }, regressions: regressions.length, checks: result.checks, warnings: result.workloads.flatMap((w) => w.warnings) }, null, 2));
      else console.log(formatCheck(result, settingsLine(detect), args.format as TextFormat));
      if (regressions.length > 0) process.exitCode = EXIT.sloViolated;
    });
  },
};

// --- ack ------------------------------------------------------------------------------

interface AckArgs extends DbArgs {
  measurement: string;
  run: string;
  note?: string;
}

const ackCommand: CommandModule<object, AckArgs> = {
  command: 'ack <measurement> <run>',
  describe: 'Acknowledge the change point of a measurement that began at a run: check no longer fails on it',
  builder: (y: Argv) =>
    dbOption(y)
      .positional('measurement', { type: 'string', demandOption: true, describe: 'Measurement name, as check prints it' })
      .positional('run', { type: 'string', demandOption: true, describe: 'The run where the change began, as check prints it' })
      .option('note', { type: 'string', describe: 'Why it is expected (kept with the acknowledgement)' }) as unknown as Argv<AckArgs>,
  handler: async (args) => {
    await withHistory(args, false, async (store) => {
      const detail = await store.run(args.run);
      if (!detail) throw new HistoryQueryError(`the history ${store.db.location} has no run ${args.run} (kbench history list shows them)`);
      if (!detail.measurements.some((m) => m.name === args.measurement)) throw new HistoryQueryError(`run ${args.run} has no measurement ${args.measurement} (kbench history show ${args.run} lists its measurements)`);
      const added = await store.acknowledge({ workload: detail.run.workload, measurement: args.measurement, runId: args.run, ...(args.note ? { note: args.note } : {}), acknowledgedAt: new Date().toISOString() });
      console.log(`${added ? 'acknowledged' : 'already acknowledged'}: ${detail.run.workload} ${args.measurement} from run ${args.run}`);
    });
  },
};

/** `kbench history <command>`'s subcommands (light: each loads its database driver when it runs). */
export function historyCommands(y: Argv): Argv {
  return y.command(addCommand).command(listCommand).command(showCommand).command(trendCommand).command(checkCommand).command(ackCommand).demandCommand(1, 'Name a history command: kbench history <add|list|show|trend|check|ack> --help');
}
