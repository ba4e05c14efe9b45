#!/usr/bin/env node
import { BadInputError } from '../util/errors.js';
import { KBENCH_VERSION } from '../version.js';
import { EXIT, RunError, UsageError } from './errors.js';

/** The kbench command line: the only place that prints and chooses exit codes. */
async function main(argv: string[]): Promise<number> {
  // The version needs nothing else loaded.
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
    console.log(KBENCH_VERSION);
    return EXIT.ok;
  }
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

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e);
    process.exitCode = EXIT.failed;
  },
);
