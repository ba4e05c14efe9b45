import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ResultFolder, ResultFolderError } from '../../src/results/reader.js';
import { markAbandoned } from '../../src/results/writer.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'kbench-abandoned-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A folder as a run leaves it at some point: its manifest (with `status`), and a summary or not. */
function folder(status: string | undefined, summary: boolean): string {
  const dir = path.join(root, `f${++n}`);
  if (status === undefined) return dir;
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ runId: 'r1', status, startedAt: '2026-12-03T00:00:00.000Z', endedAt: '' }));
  if (summary) writeFileSync(path.join(dir, 'summary.json'), '{}');
  return dir;
}
const manifestOf = (dir: string): Record<string, unknown> => JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;

describe('a run given up at once (a second SIGINT): markAbandoned', () => {
  it('marks a manifest still saying running interrupted, saying the results were not written', () => {
    const dir = folder('running', false);
    expect(markAbandoned(dir, 'SIGINT while stopping')).toBe('no results');
    const m = manifestOf(dir);
    expect(m).toMatchObject({ runId: 'r1', status: 'interrupted', error: 'SIGINT while stopping: kbench exited at once, without writing the results or cleaning up' });
    expect(Date.parse(m.endedAt as string)).not.toBeNaN();
    expect(readdirSync(dir).sort()).toEqual(['manifest.json']);
    // And whoever opens it is told why there is nothing to compare.
    expect(() => ResultFolder.open(dir)).toThrow(ResultFolderError);
    expect(() => ResultFolder.open(dir)).toThrow(/no summary\.json; the result set is incomplete \(manifest\.json: SIGINT while stopping: kbench exited at once, without writing the results/);
  });

  it('says the results were written but not the cleanup when summary.json is there', () => {
    const dir = folder('running', true);
    expect(markAbandoned(dir, 'SIGTERM while stopping')).toBe('no cleanup');
    expect(manifestOf(dir)).toMatchObject({ status: 'interrupted', error: 'SIGTERM while stopping: kbench exited at once, after writing the results, before the cleanup (the namespaces may be left)' });
  });

  it('leaves a finished run\'s manifest as the run wrote it, and a folder not yet made alone', () => {
    for (const status of ['complete', 'interrupted', 'failed']) {
      const dir = folder(status, true);
      const before = readFileSync(path.join(dir, 'manifest.json'), 'utf8');
      expect(markAbandoned(dir, 'SIGINT while stopping')).toBe('finished');
      expect(readFileSync(path.join(dir, 'manifest.json'), 'utf8')).toBe(before);
    }
    const none = folder(undefined, false);
    expect(markAbandoned(none, 'SIGINT while stopping')).toBe('not started');
    expect(existsSync(none)).toBe(false);
  });
});
