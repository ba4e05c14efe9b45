import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;
const FILES = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** The anchor GitHub gives a heading. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, '')
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');
}

function anchors(file: string): Set<string> {
  const out = new Set<string>();
  let fenced = false;
  for (const line of readFileSync(path.join(ROOT, file), 'utf8').split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    if (!fenced && /^#+ /.test(line)) out.add(slug(line.replace(/^#+ /, '')));
  }
  return out;
}

describe('the documentation', () => {
  it('has no broken link between README and docs/ (files and headings)', () => {
    const broken: string[] = [];
    for (const file of FILES) {
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/.test(target)) continue;
        const [rel, anchor] = target.split('#');
        const to = rel ? path.normalize(path.join(path.dirname(file), rel)) : file;
        if (!existsSync(path.join(ROOT, to))) broken.push(`${file}: ${target} (no ${to})`);
        else if (anchor && to.endsWith('.md') && !anchors(to).has(anchor)) broken.push(`${file}: ${target} (no heading #${anchor} in ${to})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('has the generated schemas and references up to date with their definitions', () => {
    // Exits 1 naming the stale files when src/spec/schema.ts or src/results/format.ts changed without `npm run schema`.
    execFileSync(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(ROOT, 'scripts/generate.ts'), '--check'], { cwd: ROOT, stdio: 'pipe' });
  }, 120_000);

  it('keeps README the front door: the two commands at the top, references in docs/', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(readme.indexOf('npx kbench run workloads/smoke.yaml --sim')).toBeLessThan(readme.indexOf('<!-- test-command -->'));
    expect(readme.indexOf('<!-- test-command -->')).toBeLessThan(2500);
    expect(readme.length).toBeLessThan(20_000);
  });
});
