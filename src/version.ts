import { existsSync, readFileSync } from 'node:fs';

/** The package.json of kbench: the nearest above this module (dist/ from tsc, dist/cli/ from the bundle). */
function packageJson(): URL {
  for (let up = '../'; up.length < 16; up += '../') {
    const candidate = new URL(`${up}package.json`, import.meta.url);
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`kbench's package.json is not above ${import.meta.url}`);
}

/** kbench's version, from package.json (recorded in every result set). */
export const KBENCH_VERSION: string = (JSON.parse(readFileSync(packageJson(), 'utf8')) as { version: string }).version;
