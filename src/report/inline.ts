import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Chart.js's UMD build, inlined so a report opens with no network at all. */
export function chartLibrary(): string {
  const require = createRequire(import.meta.url);
  // The package exports only its entry points; the UMD file sits next to the CommonJS one.
  const file = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');
  return readFileSync(file, 'utf8').replace(/<\/script/gi, '<\\/script');
}

/** Text made safe for HTML content and attribute values. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
