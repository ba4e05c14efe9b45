import { describe, expect, it } from 'vitest';
import { verdictTable } from '../../src/cli/verdict-table.js';
import type { SloVerdict } from '../../src/results/format.js';

function verdict(value: number, threshold: number, verdict: 'pass' | 'fail'): SloVerdict {
  return { id: 'x', description: 'etcd WAL fsync p99', side: 'server', threshold, unit: 'ms', comparison: '<=', value, verdict };
}

function valueCell(v: SloVerdict): string {
  const row = verdictTable([v]).split('\n')[2]!;
  return row.split(/\s{2,}/)[3]!;
}

describe('the verdict table', () => {
  it('shows a value that misses its threshold with the digits that tell them apart', () => {
    expect(valueCell(verdict(10.281, 10, 'fail'))).toBe('10.3 ms');
    expect(valueCell(verdict(5000.4, 5000, 'fail'))).toBe('5.0004 s');
    expect(valueCell(verdict(25.04, 25, 'fail'))).toBe('25.04 ms');
  });

  it('keeps the usual digits otherwise, as the report and compare write them', () => {
    expect(valueCell(verdict(31.755, 25, 'fail'))).toBe('31.8 ms');
    expect(valueCell(verdict(10, 10, 'pass'))).toBe('10.0 ms');
    expect(valueCell(verdict(9.604, 10, 'pass'))).toBe('9.60 ms');
    expect(valueCell(verdict(2630, 5000, 'pass'))).toBe('2.63 s');
  });
});
