import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { eachCsvRecord, eachCsvRecordPick, recordPieces } from '../../src/results/reader.js';
import { csvText } from '../../src/results/writer.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'kbench-pieces-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reading a CSV in pieces of whole records', () => {
  const rows = [['a', 'b', 'note']];
  for (let i = 0; i < 500; i++) rows.push([`ns-${i}`, String(i * 1.5), i % 7 === 0 ? `two\nlines, "quoted" é ${i}` : i % 5 === 0 ? 'naïve ✓' : '']);
  const text = rows.map((r) => r.map((c) => (/[",\n]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c)).join(',')).join('\n');

  for (const [what, content] of [
    ['with a final line break', `${text}\n`],
    ['without one', text],
  ] as const) {
    it(`gives the records of the whole file, ${what}, for any piece size`, () => {
      const file = path.join(dir, `f-${what.length}.csv`);
      writeFileSync(file, content);
      const whole = parse(content) as string[][];
      expect(whole).toHaveLength(501);
      for (const size of [7, 64, 1000, 1 << 20]) {
        const pieces = [...recordPieces(file, size)];
        if (size < 1000) expect(pieces.length).toBeGreaterThan(10);
        // Each piece parses on its own: no record (nor quoted line break, nor UTF-8 character) is cut.
        expect(pieces.flatMap((p) => parse(p) as string[][])).toEqual(whole);
      }
    });
  }
});

describe('splitting whole records into cells', () => {
  const records = (text: string): string[][] => {
    const out: string[][] = [];
    eachCsvRecord(text, (cells) => out.push(cells));
    return out;
  };
  const asCsvParse = (text: string): string[][] => parse(text, { skip_empty_lines: true }) as string[][];

  it.each([
    ['plain, with a final line break', 'a,b,c\n1,,2026-12-03T12:46:21.000Z\n3,4.5,\n'],
    ['plain, without one', 'a,b,c\n1,,x\n3,4.5,'],
    ['CRLF line breaks', 'a,b,c\r\n1,,x\r\n3,4.5,\r\n'],
    ['empty lines between records', 'a,b\n\n1,2\n\n\n3,4\n'],
    ['one column', 'a\n1\n2\n'],
    ['quoted cells (csv-parse)', 'a,b\n"x, y","say ""hi"""\n"two\nlines",z\n'],
    ['lone carriage returns (csv-parse)', 'a,b\r1,2\r3,4\r'],
  ])('%s: the same cells as csv-parse gives', (_what, text) => {
    expect(records(text)).toEqual(asCsvParse(text));
  });

  it.each([
    ['plain', 'a,b,c,d\n1,,2026-12-03T12:46:21.000Z,x\n3,4.5,,\n'],
    ['CRLF, no final break', 'a,b,c,d\r\n1,2,3,4\r\n5,6,7,8'],
    ['a short row', 'a,b,c,d\n1,2\n'],
    ['empty lines', 'a,b,c,d\n\n1,2,3,4\n\n'],
    ['quoted cells (csv-parse)', 'a,b,c,d\n"x, y",2,"3",4\n'],
  ])('picks the cells asked for and gives the width (%s)', (_what, text) => {
    for (const wanted of [[], [0], [1, 3], [0, 1, 2, 3], [2, 7]]) {
      const picked: [string[], number][] = [];
      eachCsvRecordPick(text, wanted, (cells, width) => picked.push([[...cells], width]));
      expect(picked, JSON.stringify(wanted)).toEqual(records(text).map((r) => [wanted.map((i) => r[i] ?? ''), r.length]));
    }
  });

  it('keeps a row of the wrong width as it is, for the caller to call damaged', () => {
    expect(records('a,b,c\n1,2\n')).toEqual([
      ['a', 'b', 'c'],
      ['1', '2'],
    ]);
  });
});

describe('writing CSV text', () => {
  it('gives exactly what csv-stringify gives, on rows it joins itself and rows it hands over', () => {
    const cases: unknown[][][] = [
      [['ns-0', 'pod-a', '2026-12-03T10:00:00.000Z', '', 12.5, 0, -3, 1e21, 0.1 + 0.2, ' padded ', 'tab\there', 'naïve ✓', '#', "it's"]],
      [[''], ['a'], ['', '']],
      [['one'], ['two', 'cells']],
      [[undefined, null, 'x']],
      [['a,b', 'c']],
      [['say "hi"']],
      [['two\nlines'], ['cr\rhere'], ['crlf\r\n']],
      [[true, false, 'x']],
      [[new Date(0), 'x']],
      [[{ a: 1 }]],
      [[Number.NaN, Number.POSITIVE_INFINITY]],
      [[-0]],
    ];
    for (const rows of cases) expect(csvText(rows), JSON.stringify(rows)).toBe(stringify(rows as unknown[][]));
  });
});
