import { readFileSync } from 'node:fs';

/** kbench's version, from package.json (recorded in every result set). */
export const KBENCH_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
