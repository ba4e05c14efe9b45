import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as yamlParse, stringify } from 'yaml';
import { loadWorkload } from '../../src/spec/load.js';
import { resolveWorkload } from '../../src/spec/resolve.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(path.join(os.tmpdir(), 'kbench-fuzz-spec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SMOKE = readFileSync(path.join(ROOT, 'workloads/smoke.yaml'), 'utf8').replaceAll('templates/', `${path.join(ROOT, 'workloads/templates')}/`);

/** Fixed seed and count: the same cases every run, in bounded time. */
const RUNS = { seed: 20261201, numRuns: 300 };

/** Whatever the input, the loader answers a valid workload or errors that each name where; it never throws. */
function checkOne(text: string, sets: string[] = []): void {
  const file = path.join(dir, 'w.yaml');
  writeFileSync(file, text);
  const r = loadWorkload(file, sets);
  if (r.ok) {
    const w = resolveWorkload(r.workload);
    expect(w.phases.length).toBeGreaterThan(0);
    return;
  }
  expect(r.errors.length).toBeGreaterThan(0);
  for (const e of r.errors) {
    expect(typeof e.message).toBe('string');
    expect(e.message.length).toBeGreaterThan(0);
    // Errors in the workload file carry a line and column; --set and template errors name theirs.
    if (e.file === file && e.line !== undefined) expect(e.col).toBeGreaterThanOrEqual(1);
    expect(e.message).not.toMatch(/\n\s+at /);
  }
}

describe('fuzzing the workload loader', () => {
  it('random text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), (t) => checkOne(t)), RUNS);
  });

  it('the smoke workload with bytes cut, repeated and replaced', () => {
    const mutation = fc.tuple(fc.nat({ max: SMOKE.length }), fc.nat({ max: 40 }), fc.string({ maxLength: 20 }));
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (muts) => {
        let t = SMOKE;
        for (const [at, cut, insert] of muts) t = t.slice(0, at) + insert + t.slice(at + cut);
        checkOne(t);
      }),
      RUNS,
    );
  });

  it('structurally wrong values in every field (JSON values of any type)', () => {
    const base = yamlParse(SMOKE) as Record<string, unknown>;
    const paths = ['name', 'seed', 'timeout', 'defaults', 'sim', 'slo', 'collect', 'measurements', 'phases', 'namespaces'];
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.jsonValue({ maxDepth: 3 }), (key, value) => {
        checkOne(stringify({ ...base, [key]: value }));
      }),
      RUNS,
    );
  });

  it('--set overrides of any path and value', () => {
    const seg = fc.oneof(fc.constantFrom('phases', 'sim', 'slo', 'create', 'count', 'nodes', 'timeout', 'x'), fc.nat({ max: 200 }).map((n) => `[${n}]`));
    const expr = fc.tuple(fc.array(seg, { minLength: 1, maxLength: 5 }), fc.string({ maxLength: 15 })).map(([p, v]) => `${p.join('.').replace(/\.\[/g, '[')}=${v}`);
    fc.assert(fc.property(fc.array(expr, { maxLength: 3 }), (sets) => checkOne(SMOKE, sets)), RUNS);
  });
});
