#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EXIT, RunError, UsageError } from './errors.js';
import { cleanupCommand } from './cleanup.js';
import { clusterCommand } from './cluster.js';
import { collectCommand } from './collect.js';
import { compareCommand } from './compare.js';
import { reportCommand } from './report.js';
import { runCommand } from './run.js';
import { schemaCommand } from './schema.js';
import { simCommand } from './sim.js';
import { validateCommand } from './validate.js';

/** The kbench command line: the only place that prints and chooses exit codes. */
async function main(argv: string[]): Promise<number> {
  const cli = yargs(argv)
    .scriptName('kbench')
    .command(runCommand)
    .command(validateCommand)
    .command(collectCommand)
    .command(compareCommand)
    .command(reportCommand)
    .command(cleanupCommand)
    .command(simCommand)
    .command(clusterCommand)
    .command(schemaCommand)
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
    if (e instanceof UsageError) {
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

main(hideBin(process.argv)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e);
    process.exitCode = EXIT.failed;
  },
);
