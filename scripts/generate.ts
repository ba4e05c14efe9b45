/**
 * Writes every generated file from its one definition, or with --check says which are
 * out of date (exit 1). `npm run schema` writes; a test runs the check.
 *   workloads/schema.json               <- src/spec/schema.ts (WORKLOAD_SCHEMA)
 *   src/results/result-set.schema.json  <- src/results/format.ts (Manifest, Summary)
 *   docs/workload-reference.md          <- the workload schema
 *   docs/result-set-reference.md        <- the result-set schema
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGenerator } from 'ts-json-schema-generator';
import { WORKLOAD_SCHEMA } from '../src/spec/schema.js';
import { schemaReference } from './reference.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function resultSetSchema(): object {
  const generator = createGenerator({ path: path.join(root, 'src/results/format.ts'), tsconfig: path.join(root, 'tsconfig.json'), type: '*', expose: 'export', topRef: true, jsDoc: 'extended', skipTypeCheck: true, additionalProperties: false, sortProps: false });
  const s = generator.createSchema('*') as { definitions: Record<string, unknown> };
  return { $schema: 'http://json-schema.org/draft-07/schema#', $id: 'https://kbench.io/schemas/result-set.json', title: 'kbench result set (manifest.json, summary.json)', definitions: s.definitions };
}

const resultSet = resultSetSchema();
const outputs: Record<string, string> = {
  'workloads/schema.json': JSON.stringify(WORKLOAD_SCHEMA, null, 2) + '\n',
  'src/results/result-set.schema.json': JSON.stringify(resultSet, null, 2) + '\n',
  'docs/workload-reference.md': schemaReference('Workload reference', 'Every field of a workload file, generated from src/spec/schema.ts (`npm run schema`). See [workloads.md](workloads.md) for how to write one.', WORKLOAD_SCHEMA as unknown as Record<string, unknown>, 'kbench workload'),
  'docs/result-set-reference.md': schemaReference('Result-set reference', 'Every field of `manifest.json` and `summary.json`, generated from src/results/format.ts (`npm run schema`). See [result-set.md](result-set.md) for the files of a result folder.', resultSet as Record<string, unknown>, ['Manifest', 'Summary']),
};

const check = process.argv.includes('--check');
const stale: string[] = [];
for (const [file, text] of Object.entries(outputs)) {
  const full = path.join(root, file);
  let current = '';
  try {
    current = readFileSync(full, 'utf8');
  } catch {
    // missing: stale
  }
  if (current === text) continue;
  if (check) stale.push(file);
  else writeFileSync(full, text);
}
if (check && stale.length > 0) {
  console.error(`out of date (run \`npm run schema\`): ${stale.join(', ')}`);
  process.exit(1);
}
