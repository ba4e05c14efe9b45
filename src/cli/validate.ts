import type { Argv, CommandModule } from 'yargs';
import { formatSpecError, loadWorkload } from '../spec/load.js';
import { resolveWorkload } from '../spec/resolve.js';
import { UsageError } from './errors.js';
import { formatPlan } from './plan.js';

interface ValidateArgs {
  workload: string;
  set: string[];
  seed?: number;
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
      .option('seed', { type: 'number', describe: 'Seed (overrides the workload seed)' }) as unknown as Argv<ValidateArgs>,
  handler: (args) => {
    const w = loadOrThrow(args.workload, args.set, args.seed);
    console.log(formatPlan(w));
    console.log('\nvalid');
  },
};
