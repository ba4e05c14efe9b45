import { WORKLOAD_SCHEMA } from '../spec/schema.js';

/** `kbench schema`: the workload JSON Schema (workloads/schema.json is this output). */
export function schemaJson(): string {
  return JSON.stringify(WORKLOAD_SCHEMA, null, 2) + '\n';
}

export function schemaHandler(): void {
  process.stdout.write(schemaJson());
}
