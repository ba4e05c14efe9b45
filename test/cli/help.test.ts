import { execFileSync } from 'node:child_process';
import type { Argv, CommandModule } from 'yargs';
import { describe, expect, it } from 'vitest';
import { COMMAND_LIST } from '../../src/cli/command-list.js';
import { COMMANDS } from '../../src/cli/commands.js';
import { CLI, kbench } from '../helpers/cli.js';

describe('kbench --help, printed without yargs', () => {
  it('lists exactly the commands yargs knows, with their descriptions', async () => {
    // What each entry of COMMANDS gives yargs.
    const known: string[] = [];
    const recorder = { command: (c: CommandModule) => (known.push(String(c.command)), recorder) } as unknown as Argv;
    for (const add of COMMANDS) add(recorder);
    expect(known.sort()).toEqual(Object.values(COMMAND_LIST).map((c) => c.command).sort());
    const help = await kbench(['--help']);
    expect(help.code).toBe(0);
    const flat = help.stdout.replace(/\s+/g, ' ');
    for (const c of Object.values(COMMAND_LIST)) {
      expect(flat).toContain(`kbench ${c.command}`);
      expect(flat).toContain(c.describe);
    }
  });

  it('says to name a command, on stderr with exit 2, when none is given', async () => {
    const none = await kbench([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/Name a command: kbench <command> --help/);
  });

  it('leaves a command\'s own help to yargs', async () => {
    const run = await kbench(['run', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^kbench run <workload>/);
    expect(run.stdout).toMatch(/--kubeconfig/);
  });

  it('runs as the package bin itself (executable, with its shebang), as `npx kbench` starts it', () => {
    // Executed directly, not through `node`: a build that leaves it mode 644 fails here.
    expect(execFileSync(CLI, ['--version'], { encoding: 'utf8' }).trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
