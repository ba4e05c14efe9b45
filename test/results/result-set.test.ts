import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { POD_COLUMNS, podRow } from '../../src/measure/pods.js';
import type { PodRecord } from '../../src/measure/pod-phases.js';
import { FORMAT_VERSION, type SloVerdict } from '../../src/results/format.js';
import { writeJunit } from '../../src/results/junit.js';
import { ResultFolder, ResultFolderError } from '../../src/results/reader.js';
import { checkOutDir, ResultFolderUnusable, ResultWriter } from '../../src/results/writer.js';
import { writeSyntheticResult } from '../helpers/synthetic-result.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const GOLDEN = path.join(ROOT, 'test/fixtures/golden');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'kbench-rs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Compares with a golden file; UPDATE_GOLDEN=1 rewrites it. */
function golden(name: string, actual: string): void {
  const file = path.join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN) writeFileSync(file, actual);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

const t = Date.parse('2026-12-01T10:00:00Z');
const pod: PodRecord = {
  uid: 'u1', namespace: 'kbench-r-0', name: 'deploys-0-abcde', phase: 'deploys', node: 'node-3',
  createSent: 0, created: t, scheduledServer: t + 1000, startedServer: t + 2000, readyServer: t + 2000,
  firstSeen: t + 250.5, firstSeenLive: true, scheduledSeen: t + 266.25, runningSeen: t + 1180.75, readySeen: t + 1181, deletedSeen: 0, late: 0,
};

describe('the result-set writer', () => {
  it('writes a pods.csv row as the golden file has it (the watch start of a Deployment pod, a clamped phase)', async () => {
    const w = await ResultWriter.create(path.join(tmp, 'pods'));
    await w.writeCsv('pods.csv', POD_COLUMNS, [podRow(pod), podRow({ ...pod, uid: 'u2', name: 'bare-0', createSent: t - 3.5, firstSeenLive: false })]);
    golden('pods.csv', readFileSync(w.file('pods.csv'), 'utf8'));
  });

  it('writes junit.xml as the golden file has it', async () => {
    const w = await ResultWriter.create(path.join(tmp, 'junit'));
    const verdicts: SloVerdict[] = [
      { id: 'pod_startup_p99', description: 'Pod startup p99', side: 'client', threshold: 5000, unit: 'ms', comparison: '<=', value: 6000.5, verdict: 'fail' },
      { id: 'etcd_wal_fsync_p99', description: 'etcd <WAL> fsync p99', side: 'server', threshold: 10, unit: 'ms', comparison: '<=', verdict: 'unavailable', reason: 'storage is memory' },
      { id: 'api_p99 POST pods resource', description: 'Mutating API call p99', side: 'client', threshold: 1000, unit: 'ms', comparison: '<=', value: 12, verdict: 'pass' },
    ];
    await writeJunit(w, 'kbench-smoke', verdicts, 61.25);
    golden('junit.xml', readFileSync(w.file('junit.xml'), 'utf8'));
  });

  it('refuses a folder that exists and is not empty, a file, or a place it cannot write, before anything runs', async () => {
    const full = path.join(tmp, 'full');
    writeSyntheticResult(full, { pods: 3, seed: 1 });
    await expect(checkOutDir(full)).rejects.toThrow(/already exists and is not empty/);
    const file = path.join(tmp, 'a-file');
    writeFileSync(file, 'x');
    await expect(checkOutDir(file)).rejects.toThrow(/is a file, not a folder/);
    await expect(checkOutDir(path.join(file, 'below'))).rejects.toThrow(ResultFolderUnusable);
    await expect(checkOutDir(path.join(tmp, 'new', 'deeper'))).resolves.toBeUndefined();
    expect(existsSync(path.join(tmp, 'new'))).toBe(false);
  });
});

describe('the result-set reader', () => {
  it('reads what the writer wrote, checked against the format', () => {
    const dir = writeSyntheticResult(path.join(tmp, 'v2'), { pods: 50, seed: 3 });
    const r = ResultFolder.open(dir);
    expect(r.manifest.formatVersion).toBe(FORMAT_VERSION);
    expect(r.summary.pods?.phases.pod_startup?.count).toBe(50);
    expect(r.podSamples('pod_startup')).toHaveLength(50);
    expect(r.apiDistribution('POST pods resource')?.n).toBe(50);
  });

  it('reads each numeric and time column of pods.csv as csv-parse reads it, when asked for', () => {
    const dir = writeSyntheticResult(path.join(tmp, 'columns'), { pods: 3000, seed: 5 });
    const rows = parse(readFileSync(path.join(dir, 'pods.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    const r = ResultFolder.open(dir);
    const header = r.podHeader();
    expect(header).toEqual(POD_COLUMNS);
    const numbers = header.filter((c) => c.endsWith('_ms'));
    const times = ['create_sent', 'created', 'first_seen', 'scheduled_server', 'running_seen'];
    expect(numbers.length).toBeGreaterThan(3);
    for (const c of numbers) expect(Array.from(r.podColumn(c)), c).toEqual(rows.map((row) => (row[c] === '' ? NaN : Number(row[c]))));
    for (const c of times) expect(Array.from(r.podColumn(c)), c).toEqual(rows.map((row) => (row[c] === '' ? NaN : Date.parse(row[c]!))));
    expect(r.podSamples('pod_startup')).toEqual(rows.filter((row) => row.pod_startup_ms !== '').map((row) => Number(row.pod_startup_ms)));
    expect(() => r.podColumn('name')).toThrow(/pods\.csv has no column name/);
  });

  it('reads a pods.csv with quoted cells and a quoted header as it reads its own', () => {
    const src = writeSyntheticResult(path.join(tmp, 'quoted-src'), { pods: 40, seed: 6 });
    const dir = path.join(tmp, 'quoted');
    cpSync(src, dir, { recursive: true });
    const lines = readFileSync(path.join(dir, 'pods.csv'), 'utf8').trimEnd().split('\n');
    // Every cell quoted, as another CSV writer would: the same values.
    writeFileSync(path.join(dir, 'pods.csv'), lines.map((l) => l.split(',').map((c) => `"${c}"`).join(',')).join('\r\n') + '\r\n');
    const plain = ResultFolder.open(src);
    const quoted = ResultFolder.open(dir);
    expect(quoted.podHeader()).toEqual(plain.podHeader());
    expect(Array.from(quoted.podColumn('created'))).toEqual(Array.from(plain.podColumn('created')));
    expect(quoted.podSamples('pod_startup')).toEqual(plain.podSamples('pod_startup'));
  });

  it('names the row and column of a cell that is not a number', () => {
    const dir = path.join(tmp, 'bad-cell');
    cpSync(writeSyntheticResult(path.join(tmp, 'bad-cell-src'), { pods: 10, seed: 7 }), dir, { recursive: true });
    const lines = readFileSync(path.join(dir, 'pods.csv'), 'utf8').split('\n');
    const col = lines[0]!.split(',').indexOf('pod_startup_ms');
    const cells = lines[4]!.split(',');
    cells[col] = 'soon';
    lines[4] = cells.join(',');
    writeFileSync(path.join(dir, 'pods.csv'), lines.join('\n'));
    expect(() => ResultFolder.open(dir).podSamples('pod_startup')).toThrow(/pods\.csv is damaged \("soon" in column pod_startup_ms, row 5, is not a number\)/);
    lines[4] = cells.slice(1).join(',');
    writeFileSync(path.join(dir, 'pods.csv'), lines.join('\n'));
    expect(() => ResultFolder.open(dir).podColumn('created')).toThrow(/row 5 has \d+ cells, the header \d+/);
  });

  it('reads format 1 (kbench 0.1, the committed baseline), upgraded', () => {
    const r = ResultFolder.open(path.join(ROOT, 'results/baseline/smoke'));
    expect(r.manifest.formatVersion).toBe(2);
    expect(r.manifest.measurements).toEqual(['pods', 'api', 'harness', 'control-plane']);
    expect(r.manifest.cleanup?.action).toBe('discard');
    expect(r.summary.pods?.starts).toEqual({});
    expect(r.podSamples('pod_startup').length).toBe(300);
  });

  it('refuses a newer format, naming it and what to do', () => {
    const dir = writeSyntheticResult(path.join(tmp, 'v9'), { pods: 3, seed: 1 });
    const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ ...m, formatVersion: 9 }));
    expect(() => ResultFolder.open(dir)).toThrow(/written by a newer kbench \(result-set format 9\); this kbench reads formats 1 to 2/);
  });

  it('names the file and the field when a summary has the wrong shape', () => {
    const dir = writeSyntheticResult(path.join(tmp, 'shape'), { pods: 3, seed: 1 });
    const s = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8'));
    writeFileSync(path.join(dir, 'summary.json'), JSON.stringify({ ...s, pods: { ...s.pods, seen: 'many' } }));
    expect(() => ResultFolder.open(dir)).toThrow(/summary\.json does not match the result-set format \(\/pods\/seen: must be number\)/);
  });

  it('turns a damaged pods.csv or histogram into a ResultFolderError naming the file', () => {
    const dir = path.join(tmp, 'damaged');
    cpSync(writeSyntheticResult(path.join(tmp, 'damaged-src'), { pods: 20, seed: 2 }), dir, { recursive: true });
    const csv = readFileSync(path.join(dir, 'pods.csv'), 'utf8');
    writeFileSync(path.join(dir, 'pods.csv'), csv.slice(0, csv.length / 2) + '"unterminated');
    expect(() => ResultFolder.open(dir).podSamples('pod_startup')).toThrow(ResultFolderError);
    writeFileSync(path.join(dir, 'histograms/api-post-pods-resource.hdr'), 'bm90IGEgaGlzdG9ncmFt\n');
    expect(() => ResultFolder.open(dir).apiDistribution('POST pods resource')).toThrow(/histograms\/api-post-pods-resource\.hdr is not a readable HDR histogram/);
  });
});
