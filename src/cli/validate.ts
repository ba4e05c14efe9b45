import { formatSpecError, loadWorkload } from '../spec/load.js';
import { resolveWorkload } from '../spec/resolve.js';
import { UsageError } from './errors.js';
import type { ValidateArgs } from './flags.js';
import { formatPlan } from './plan.js';

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
  const w = loadOrThrow(args.workload, args.set, seedFlag(args.seed));
  console.log(formatPlan(w));
  console.log('\nvalid');
}

/** The seed flag: a whole number, or bad input (never NaN in a manifest). */
export function seedFlag(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`--seed ${String(v)}: expected a whole number, 0 or more`);
  return n;
}
