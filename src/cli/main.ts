#!/usr/bin/env node
import { BadInputError } from '../util/errors.js';
import { KBENCH_VERSION } from '../version.js';
import { EXIT, RunError, UsageError } from './errors.js';
import { tuneV8ForCommand } from './v8-tuning.js';

/** The kbench command line: the only place that prints and chooses exit codes. */
async function main(argv: string[]): Promise<number> {
  // The version needs nothing else loaded.
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
    console.log(KBENCH_VERSION);
    return EXIT.ok;
  }
  // So does the list of commands.
  if (argv.length === 0 || (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h'))) {
    const { topLevelHelp } = await import('./command-list.js');
    (argv.length === 0 ? console.error : console.log)(topLevelHelp(process.stdout.columns || 100));
    if (argv.length === 0) console.error('\nName a command: kbench <command> --help');
    return argv.length === 0 ? EXIT.badInput : EXIT.ok;
  }
  tuneV8ForCommand(argv[0]);
  const [{ default: yargs }, { COMMANDS }] = await Promise.all([import('yargs'), import('./commands.js')]);
  let cli = yargs(argv).scriptName('kbench').version(KBENCH_VERSION);
  for (const add of COMMANDS) cli = add(cli);
  cli = cli
    .demandCommand(1, 'Name a command: kbench <command> --help')
    .strict()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .exitProcess(false)
    // Throwing stops yargs: returning would let it run the command with the bad value.
    .fail((msg, err) => {
      throw err ?? new UsageError(`${msg}\nRun \`kbench <command> --help\` for the commands and their flags.`);
    });
  skipHelpCache(cli);
  try {
    await cli.parseAsync();
  } catch (e) {
    if (e instanceof BadInputError) {
      console.error(`kbench: ${e.message}`);
      return EXIT.badInput;
    }
    if (e instanceof RunError) {
      console.error(`kbench: ${e.message}`);
      return EXIT.failed;
    }
    console.error(`kbench: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return EXIT.failed;
  }
  return process.exitCode === undefined ? EXIT.ok : Number(process.exitCode);
}

/**
 * yargs renders a command's whole help text each time the command runs, to keep it for a
 * failure (about 0.1 CPU-s for `run`'s flags); kbench's fail() never prints help, so the
 * cache is switched off. The hook is internal to yargs: if it is not there, nothing changes.
 */
function skipHelpCache(cli: object): void {
  const internal = (cli as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } }).getInternalMethods?.();
  const usage = internal?.getUsageInstance?.();
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => undefined;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e);
    process.exitCode = EXIT.failed;
  },
);
