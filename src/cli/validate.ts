import type { Argv, CommandModule } from 'yargs';
import { formatSpecError, loadWorkload } from '../spec/load.js';
import { resolveWorkload } from '../spec/resolve.js';
import { UsageError } from './errors.js';
import { newRunId } from '../run/run-benchmark.js';
import { MAX_SHARDS, shardProblems } from '../spec/shard.js';
import { formatPlan, formatShares } from './plan.js';

interface ValidateArgs {
  workload: string;
  set: string[];
  seed?: number;
  shards?: number;
}

/** Loads and checks a workload; throws UsageError listing every problem with file:line. */
export function loadOrThrow(file: string, sets: string[], seed?: number): ReturnType<typeof resolveWorkload> & { loaded: ReturnType<typeof loadWorkload> & { ok: true } } {
  const res = loadWorkload(file, sets);
  if (!res.ok) {
    const lines = res.errors.map(formatSpecError);
    throw new UsageError(`${file} is not a valid workload (${lines.length} problem${lines.length === 1 ? '' : 's'}):\n  ${lines.join('\n  ')}`);
  }
  return { ...resolveWorkload(res.workload, seed), loaded: res };
}

export const validateCommand: CommandModule<object, ValidateArgs> = {
  command: 'validate <workload>',
  describe: 'Check a workload spec and its templates; print the resolved plan',
  builder: (y: Argv) =>
    y
      .positional('workload', { type: 'string', demandOption: true, describe: 'Workload YAML file' })
      .option('set', { type: 'string', array: true, default: [], describe: 'Override a field: --set phases[0].create.count=10' })
      .option('seed', { type: 'number', describe: 'Seed (overrides the workload seed)' })
      .option('shards', { type: 'number', describe: "Also print each shard's share of a run in N shards (docs/shards.md)" }) as unknown as Argv<ValidateArgs>,
  handler: (args) => {
    const w = loadOrThrow(args.workload, args.set, args.seed);
    const n = args.shards;
    if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > MAX_SHARDS)) throw new UsageError(`--shards ${String(n)}: expected a whole number, 1 to ${MAX_SHARDS}`);
    const problems = n === undefined ? [] : shardProblems(w, n);
    if (problems.length > 0) throw new UsageError(`${args.workload} cannot be split into ${n} shards: ${problems.join('; ')}`);
    console.log(formatPlan(w));
    if (n !== undefined) {
      console.log(`\n${formatShares(w, n)}`);
      console.log(`\nstart shard i (0 to ${n - 1}) with: kbench run ${args.workload} --shard i/${n} --run-id ${newRunId()}${args.set.map((x) => ` --set ${x}`).join('')}${args.seed !== undefined ? ` --seed ${args.seed}` : ''} --kubeconfig ...`);
    }
    console.log('\nvalid');
  },
};
