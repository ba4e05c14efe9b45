import { formatSpecError, loadWorkload } from '../spec/load.js';
import { resolveWorkload } from '../spec/resolve.js';
import { UsageError } from './errors.js';
import { newRunId } from '../load/labels.js';
import { MAX_SHARDS, shardProblems } from '../spec/shard.js';
import type { ValidateArgs } from './flags.js';
import { formatPlan, formatShares } from './plan.js';

/** Loads and checks a workload; throws UsageError listing every problem with file:line. */
export function loadOrThrow(file: string, sets: string[], seed?: number): ReturnType<typeof resolveWorkload> & { loaded: ReturnType<typeof loadWorkload> & { ok: true } } {
  const res = loadWorkload(file, sets);
  if (!res.ok) {
    const lines = res.errors.map(formatSpecError);
    throw new UsageError(`${file} is not a valid workload (${lines.length} problem${lines.length === 1 ? '' : 's'}):\n  ${lines.join('\n  ')}`);
  }
  return { ...resolveWorkload(res.workload, seed), loaded: res };
}

export function validateHandler(args: ValidateArgs): void {
  const seed = seedFlag(args.seed);
  const w = loadOrThrow(args.workload, args.set, seed);
  const n = args.shards;
  if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > MAX_SHARDS)) throw new UsageError(`--shards ${String(n)}: expected a whole number, 1 to ${MAX_SHARDS}`);
  const problems = n === undefined ? [] : shardProblems(w, n);
  if (problems.length > 0) throw new UsageError(`${args.workload} cannot be split into ${n} shards: ${problems.join('; ')}`);
  console.log(formatPlan(w));
  if (n !== undefined) {
    console.log(`\n${formatShares(w, n)}`);
    console.log(`\nstart shard i (0 to ${n - 1}) with: kbench run ${args.workload} --shard i/${n} --run-id ${newRunId()}${args.set.map((x) => ` --set ${x}`).join('')}${seed !== undefined ? ` --seed ${seed}` : ''} --kubeconfig ...`);
  }
  console.log('\nvalid');
}

/** The seed flag: a whole number, or bad input (never NaN in a manifest). */
export function seedFlag(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`--seed ${String(v)}: expected a whole number, 0 or more`);
  return n;
}
