import type { CommandModule } from 'yargs';
import { WORKLOAD_SCHEMA } from '../spec/schema.js';

/** `kbench schema`: the workload JSON Schema (workloads/schema.json is this output). */
export function schemaJson(): string {
  return JSON.stringify(WORKLOAD_SCHEMA, null, 2) + '\n';
}

export const schemaCommand: CommandModule = {
  command: 'schema',
  describe: 'Print the workload JSON Schema (for editors; workloads/schema.json is this)',
  handler: () => {
    process.stdout.write(schemaJson());
  },
};
