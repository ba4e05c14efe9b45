import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderInChromium } from '../helpers/browser.js';
import { kbench } from '../helpers/cli.js';
import { baselineRun, day } from './fixtures.js';
import { makeScenarioInputs } from './scenario.js';

/** `kbench history` as a user runs it (the built CLI, a SQLite file). */

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kbench-history-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const db = path.join(tmp, 'history.db');
const inputs = makeScenarioInputs(path.join(tmp, 'in'));

/**
 * Each kbench process takes seconds to start on a loaded 2-core machine: the tests that
 * run many allow for it (a budget, not a speed claim).
 */
const SLOW = 600_000;

/** One paragraph, no stack trace. */
function cleanError(stderr: string): void {
  expect(stderr.trim().split('\n')).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('kbench history', () => {
  it('refuses bad input with exit 2 before it creates anything', async () => {
    const notAFolder = await kbench(['history', 'add', path.join(tmp, 'nowhere'), '--db', db]);
    expect(notAFolder.code).toBe(2);
    expect(notAFolder.stderr).toMatch(/nowhere is not a folder/);
    cleanError(notAFolder.stderr);
    // One bad folder among good ones: nothing is stored.
    const mixed = await kbench(['history', 'add', inputs.nightly[0]!, path.join(tmp, 'nowhere'), '--db', db]);
    expect(mixed.code).toBe(2);
    expect(existsSync(db)).toBe(false);
    const commit = await kbench(['history', 'add', inputs.nightly[0]!, '--db', db, '--commit', 'not-a-sha']);
    expect(commit.code).toBe(2);
    expect(commit.stderr).toMatch(/--commit not-a-sha: expected a git commit id/);
    const list = await kbench(['history', 'list', '--db', db]);
    expect(list.code).toBe(2);
    expect(list.stderr).toMatch(/there is no history at .*history.db/);
    cleanError(list.stderr);
    const url = await kbench(['history', 'list', '--db', 'mysql://root:pw@db/kbench']);
    expect(url.code).toBe(2);
    expect(url.stderr).not.toContain('pw@');
  }, SLOW);

  it('adds result sets and a series, says what it did, and adding again changes nothing', async () => {
    const add = await kbench(['history', 'add', ...inputs.nightly, inputs.killed, '--db', db, '--commit', 'ABCDEF1234']);
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(add.stdout).toMatch(/smoke-00\s+smoke\s+2026-11-01 06:00 UTC\s+added/);
    expect(add.stdout).toMatch(/smoke-06 .*added \(status interrupted: left out of trends and checks\)/);
    expect(add.stdout).toMatch(/smoke-killed .*added \(status unfinished: left out of trends and checks\)/);
    const series = await kbench(['history', 'add', inputs.series, '--db', db]);
    expect(series.code).toBe(0);
    expect(series.stdout).toMatch(/series nightly-15 \(smoke, 3 runs\)/);
    const again = await kbench(['history', 'add', inputs.nightly[1]!, inputs.series, '--db', db]);
    expect(again.code).toBe(0);
    expect(again.stdout.match(/already there, unchanged/g)).toHaveLength(4);
    const conflict = baselineRun(path.join(tmp, 'conflict'), { runId: 'smoke-01', startedAt: day(1), factor: 2 });
    const fresh = baselineRun(path.join(tmp, 'fresh'), { runId: 'smoke-fresh', startedAt: day(40) });
    const refused = await kbench(['history', 'add', fresh, conflict, '--db', db]);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/run smoke-01 is already in the history .* with other content/);
    cleanError(refused.stderr);
  }, SLOW);

  it('lists and shows runs', async () => {
    const list = await kbench(['history', 'list', '--db', db]);
    expect(list.code).toBe(0);
    // Nothing of the refused add: smoke-fresh came with a conflicting folder.
    expect(list.stdout).not.toContain('smoke-fresh');
    const lines = list.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^run\s+workload\s+started\s+status\s+target\s+kbench\s+commit\s+series\s+SLOs$/);
    expect(lines).toHaveLength(2 + 19);
    expect(list.stdout).toMatch(/smoke-s3\s+smoke\s+2026-11-16 06:06 UTC\s+complete\s+sim v1.32.0-kbench-sim, 20 nodes\s+0.1.0\s+-\s+nightly-15 #3\s+\d+ pass/);
    expect(list.stdout).toMatch(/smoke-00 .* abcdef1234 /);
    const json = JSON.parse((await kbench(['history', 'list', '--db', db, '--format', 'json', '--last', '3'])).stdout) as { runs: { runId: string }[] };
    expect(json.runs.map((r) => r.runId)).toEqual(['smoke-s1', 'smoke-s2', 'smoke-s3']);
    const show = await kbench(['history', 'show', 'smoke-s2', '--db', db]);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^series\s+nightly-15, run 2$/m);
    expect(show.stdout).toMatch(/^kubernetes\s+v1.32.0-kbench-sim$/m);
    expect(show.stdout).toMatch(/^PASS\s+client\s+Pod startup p99/m);
    expect(show.stdout).toMatch(/^pod_startup\.p99\s+\d\.\d\d s\s+300$/m);
    const unknown = await kbench(['history', 'show', 'nope', '--db', db]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/has no run nope/);
  }, SLOW);

  it('prints a trend with sparklines and writes a self-contained plot that draws in a browser', async () => {
    const html = path.join(tmp, 'trend.html');
    const trend = await kbench(['history', 'trend', 'pod_startup.p99', 'server.etcd_*', '--db', db, '--html', html]);
    expect(trend.stderr).toBe('');
    expect(trend.code).toBe(0);
    expect(trend.stdout).toMatch(/^smoke: 17 runs, 2026-11-01 06:00 \.\. 2026-11-16 06:06 UTC$/m);
    expect(trend.stdout).toMatch(/^pod_startup\.p99\s+17\s+[▁▂▃▄▅▆▇█]{17}\s+.* \+\d+% at smoke-s1$/m);
    expect(trend.stdout).toMatch(/^server\.etcd_wal_fsync\.p99\s+17\s+[▁▂▃▄▅▆▇█]{17}\s+.*\s+-$/m);
    const page = readFileSync(html, 'utf8');
    expect(page).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
    const shown = await renderInChromium(html);
    expect(shown.errors).toEqual([]);
    expect(shown.requests).toEqual([]);
    expect(shown.rendered).toBe(true);
    expect(shown.canvases).toHaveLength(3);
    for (const c of shown.canvases) expect(c.inkedPixels).toBeGreaterThan(1000);
    expect(shown.text).toMatch(/from run smoke-s1: \+\d+% regression/);
    const none = await kbench(['history', 'trend', 'no_such.p99', '--db', db]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/has a measurement named no_such.p99; names look like pod_startup.p99/);
  }, SLOW);

  it('check exits 3 on the new regression, names where it began, and 0 once it is acknowledged', async () => {
    const check = await kbench(['history', 'check', '--db', db]);
    expect(check.stderr).toBe('');
    expect(check.code).toBe(3);
    expect(check.stdout).toMatch(/^pod_startup\.p99\s+17\s+\S+\s+REGRESSION\s+\+\d+% regression at smoke-s1 \(2026-11-16 06:02; [\d.]+ s -> [\d.]+ s, p = 0\.00\d\)$/m);
    expect(check.stdout).toMatch(/new regressions?: .*smoke pod_startup\.p99 \+\d+% from smoke-s1/);
    expect(check.stdout).toMatch(/^server\.etcd_wal_fsync\.p99\s+17\s+\S+\s+no new change\s+-$/m);
    const json = JSON.parse((await kbench(['history', 'check', '--db', db, '--format', 'json', '--measurement', 'pod_startup.p99'])).stdout) as {
      regressions: number;
      checks: { measurement: string; status: string; newest: { runId: string; pValue: number; relativeChange: number; direction: string } }[];
    };
    expect(json.regressions).toBe(1);
    expect(json.checks[0]).toMatchObject({ measurement: 'pod_startup.p99', status: 'regression', newest: { runId: 'smoke-s1', direction: 'regression' } });
    // Older than the window: not new.
    expect((await kbench(['history', 'check', '--db', db, '--since', 'smoke-s3'])).code).toBe(0);
    const ack = await kbench(['history', 'ack', 'pod_startup.p99', 'smoke-s1', '--note', 'slower kubelet on purpose', '--db', db]);
    expect(ack.code).toBe(0);
    expect(ack.stdout).toMatch(/acknowledged: smoke pod_startup.p99 from run smoke-s1/);
    const after = await kbench(['history', 'check', '--db', db, '--measurement', 'pod_startup.p99']);
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(/^pod_startup\.p99\s+17\s+\S+\s+acknowledged\s+/m);
    const md = await kbench(['history', 'check', '--db', db, '--measurement', 'pod_startup.*', '--format', 'markdown']);
    expect(md.stdout).toMatch(/^\| measurement \| runs \| trend \| status \| newest change point \|$/m);
  }, SLOW);

  it('check and ack refuse what they cannot do, with exit 2', async () => {
    for (const [args, message] of [
      [['--since', 'nope'], /--since nope: the history has no run with that id/],
      [['--alpha', '2'], /--alpha 2: expected a number between 0 and 1/],
      [['--alpha', '0.001', '--permutations', '99'], /no p-value could be small enough; use at least 999/],
      [['--workload', 'other'], /no runs of workload other \(it has smoke\)/],
      [['--new-within', '0'], /--new-within 0: expected a whole number/],
    ] as const) {
      const r = await kbench(['history', 'check', '--db', db, ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      cleanError(r.stderr);
    }
    const badAck = await kbench(['history', 'ack', 'pod_startup.p98', 'smoke-s1', '--db', db]);
    expect(badAck.code).toBe(2);
    expect(badAck.stderr).toMatch(/run smoke-s1 has no measurement pod_startup.p98/);
  }, SLOW);
});
