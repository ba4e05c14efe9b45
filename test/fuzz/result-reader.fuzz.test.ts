import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { compareResults } from '../../src/compare/compare.js';
import { ResultFolder, ResultFolderError } from '../../src/results/reader.js';
import { runSeries } from '../../src/report/report-data.js';
import { writeSyntheticResult } from '../helpers/synthetic-result.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'kbench-fuzz-rs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const good = writeSyntheticResult(path.join(dir, 'good'), { pods: 30, seed: 1 });
const RUNS = { seed: 20261201, numRuns: 200 };
let n = 0;

/** A copy of the good result set with one file replaced. */
function variant(file: string, content: string): string {
  const d = path.join(dir, `v${n++}`);
  cpSync(good, d, { recursive: true });
  writeFileSync(path.join(d, file), content);
  return d;
}

/**
 * Whatever is in the folder, reading it, comparing it and drawing its report either work
 * or end in a ResultFolderError (exit 2, one line); never another error.
 */
function readsOrRefuses(d: string): void {
  try {
    const r = ResultFolder.open(d);
    compareResults(r, r);
    runSeries(r, 'A');
  } catch (e) {
    if (!(e instanceof ResultFolderError)) throw e;
    expect(e.message.split('\n')).toHaveLength(1);
  }
}

/** Every path to a value inside a JSON document. */
function pathsOf(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof v !== 'object' || v === null) return [prefix];
  const keys = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
  return [prefix, ...keys.flatMap((k) => pathsOf((v as Record<string | number, unknown>)[k], [...prefix, k]))];
}

function setAt(doc: unknown, p: (string | number)[], value: unknown): unknown {
  if (p.length === 0) return value;
  const copy = (Array.isArray(doc) ? [...doc] : { ...(doc as object) }) as Record<string | number, unknown>;
  copy[p[0]!] = setAt(copy[p[0]!], p.slice(1), value);
  return copy;
}

describe('fuzzing the result-set reader', () => {
  for (const file of ['summary.json', 'manifest.json']) {
    const doc = JSON.parse(readFileSync(path.join(good, file), 'utf8')) as unknown;
    const paths = pathsOf(doc);
    it(`${file}: any field replaced by any JSON value`, () => {
      fc.assert(
        fc.property(fc.constantFrom(...paths), fc.jsonValue({ maxDepth: 2 }), (p, value) => readsOrRefuses(variant(file, JSON.stringify(setAt(doc, p, value))))),
        RUNS,
      );
    });
    it(`${file}: cut short or garbled`, () => {
      const text = readFileSync(path.join(good, file), 'utf8');
      fc.assert(fc.property(fc.nat({ max: text.length }), fc.string({ maxLength: 10 }), (at, s) => readsOrRefuses(variant(file, text.slice(0, at) + s))), RUNS);
    });
  }

  it('pods.csv: cut short, garbled or with any value in a cell', () => {
    const text = readFileSync(path.join(good, 'pods.csv'), 'utf8');
    fc.assert(fc.property(fc.nat({ max: text.length }), fc.string({ maxLength: 12 }), fc.nat({ max: text.length }), (at, s, cut) => readsOrRefuses(variant('pods.csv', text.slice(0, at) + s + text.slice(Math.max(at, cut))))), RUNS);
  });

  it('histograms: any bytes in an HDR file and in its index', () => {
    fc.assert(
      fc.property(fc.oneof(fc.base64String({ maxLength: 200 }), fc.string({ maxLength: 100 })), fc.jsonValue({ maxDepth: 2 }), (hdr, index) => {
        readsOrRefuses(variant('histograms/api-post-pods-resource.hdr', hdr));
        readsOrRefuses(variant('histograms/index.json', JSON.stringify(index)));
      }),
      { seed: RUNS.seed, numRuns: 100 },
    );
  });
});
