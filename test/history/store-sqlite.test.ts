import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkHistory } from '../../src/history/check.js';
import { DatabaseUrlError, openDatabase } from '../../src/history/db/open.js';
import { SqliteDatabase } from '../../src/history/db/sqlite.js';
import { migrate, MIGRATIONS, schemaVersions } from '../../src/history/migrations.js';
import { openHistory } from '../../src/history/open-history.js';
import { readHistoryInput } from '../../src/history/result-input.js';
import { HistoryConflictError, type HistoryStore } from '../../src/history/store.js';
import { baselineRun, baselineWorkload, day, writeSeriesFile } from './fixtures.js';
import { addScenario, answers, makeScenarioInputs } from './scenario.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kbench-history-sqlite-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function fresh(name: string): Promise<HistoryStore> {
  return openHistory(path.join(tmp, `${name}.db`), { create: true });
}

describe('the SQLite history: schema', () => {
  it('runs the migrations in order once, recording each in the ledger', async () => {
    const file = path.join(tmp, 'migrations.db');
    const db = SqliteDatabase.open(file, true);
    expect(await migrate(db, MIGRATIONS.slice(0, 1))).toEqual([1]);
    expect(await schemaVersions(db)).toEqual([1]);
    expect(await migrate(db)).toEqual([2]);
    expect(await migrate(db)).toEqual([]);
    const ledger = await db.all('SELECT version, name FROM kbench_migrations ORDER BY version');
    expect(ledger).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    // A database from a newer kbench is refused, not written to.
    await db.run("INSERT INTO kbench_migrations (version, name, applied_at) VALUES (99, 'future', '2030-01-01T00:00:00.000Z')");
    await expect(migrate(db)).rejects.toThrow(/schema version 99, newer than this kbench knows \(2\)/);
    await db.close();
  });

  it('does not create a history when reading, and names what it cannot open', async () => {
    const missing = path.join(tmp, 'missing.db');
    await expect(openHistory(missing, { create: false })).rejects.toThrow(DatabaseUrlError);
    await expect(openHistory(missing, { create: false })).rejects.toThrow(/there is no history at .*missing.db/);
    expect(existsSync(missing)).toBe(false);
    await expect(openDatabase('mysql://u:secret@h/db', { create: false })).rejects.toThrow(DatabaseUrlError);
    await expect(openDatabase('mysql://u:secret@h/db', { create: false })).rejects.not.toThrow(/secret/);
  });
});

describe('the SQLite history: runs', () => {
  const inputs = makeScenarioInputs(path.join(tmp, 'scenario'));

  it('stores every run once, and adding again changes nothing', async () => {
    const store = await fresh('scenario');
    const said = await addScenario(store, inputs);
    expect(said.filter((s) => s.endsWith(' added'))).toHaveLength(25);
    expect(said.slice(-4)).toEqual(['smoke-03 already', 'smoke-s1 already', 'smoke-s2 already', 'smoke-s3 already']);
    const a = await answers(store);
    expect(a.workloads).toEqual(['density', 'smoke']);
    const list = a.list as { runId: string; status: string; gitCommit?: string; seriesId?: string; seriesIndex?: number }[];
    expect(list).toHaveLength(25);
    expect(list.find((r) => r.runId === 'smoke-06')?.status).toBe('interrupted');
    expect(list.find((r) => r.runId === 'smoke-killed')?.status).toBe('unfinished');
    expect(list.find((r) => r.runId === 'smoke-s2')).toMatchObject({ seriesId: 'nightly-15', seriesIndex: 2, gitCommit: 'b'.repeat(40) });
    // Complete runs only, oldest first: the interrupted and the killed run are left out.
    expect((a.listComplete as { runId: string }[]).map((r) => r.runId)).toEqual([...Array.from({ length: 15 }, (_, i) => `smoke-${String(i).padStart(2, '0')}`).filter((id) => id !== 'smoke-06'), 'smoke-s1', 'smoke-s2', 'smoke-s3']);
    expect((a.listLast as { runId: string }[]).map((r) => r.runId)).toEqual(['smoke-s2', 'smoke-s3']);
    const show = a.show as { run: { runId: string }; measurements: { name: string }[]; slo: unknown[] };
    expect(show.run.runId).toBe('smoke-s2');
    expect(show.measurements.map((m) => m.name)).toContain('api.POST pods resource.p99');
    expect(show.slo.length).toBeGreaterThan(10);
    expect((a.showKilled as { measurements: unknown[] }).measurements).toEqual([]);
    await store.db.close();
  });

  it('finds the series where latencies went up 40% as a new regression of the key measurements, and not elsewhere', async () => {
    const store = await fresh('scenario-check');
    await addScenario(store, inputs);
    const a = await answers(store);
    const trend = (a.trend as { series: { measurement: string; points: unknown[]; changePoints: { runId: string; relativeChange: number; direction: string }[] }[] }[])[0]!;
    const p99 = trend.series.find((s) => s.measurement === 'pod_startup.p99')!;
    expect(p99.points).toHaveLength(17);
    expect(p99.changePoints).toHaveLength(1);
    expect(p99.changePoints[0]).toMatchObject({ runId: 'smoke-s1', direction: 'regression' });
    expect(p99.changePoints[0]!.relativeChange).toBeGreaterThan(0.3);
    expect(trend.series.find((s) => s.measurement === 'server.etcd_wal_fsync.p99')!.changePoints).toEqual([]);
    // With incomplete runs the interrupted one is a point too (the killed one has no values).
    const all = (a.trendAll as { workload: string; series: { measurement: string; points: unknown[] }[] }[]).find((w) => w.workload === 'smoke')!;
    expect(all.series.find((s) => s.measurement === 'pod_startup.p99')!.points).toHaveLength(18);
    const check = a.check as { workload: string; measurement: string; status: string }[];
    const regressions = check.filter((c) => c.status === 'regression');
    expect(regressions.map((c) => c.measurement)).toContain('pod_startup.p99');
    expect(regressions.map((c) => c.measurement)).toContain('api.POST pods resource.p99');
    expect(regressions.every((c) => c.workload === 'smoke' && !c.measurement.startsWith('server.'))).toBe(true);
    expect(check.filter((c) => c.workload === 'density').every((c) => c.status === 'ok')).toBe(true);
    // --since a run after the change began: the change is not new.
    expect(a.checkSince).toEqual([{ measurement: 'pod_startup.p99', status: 'ok' }]);
    // Acknowledged (naming a run next to where it began is enough): no longer a regression.
    expect(await store.acknowledge({ workload: 'smoke', measurement: 'pod_startup.p99', runId: 'smoke-s2', note: 'kubelet 1.2 s slower on purpose', acknowledgedAt: '2026-12-02T00:00:00.000Z' })).toBe(true);
    expect(await store.acknowledge({ workload: 'smoke', measurement: 'pod_startup.p99', runId: 'smoke-s2', acknowledgedAt: '2026-12-02T00:00:00.000Z' })).toBe(false);
    const after = await checkHistory(store, { newWithin: 5, workload: 'smoke', measurements: ['pod_startup.p99'] });
    expect(after.checks[0]).toMatchObject({ status: 'acknowledged', acknowledgement: { runId: 'smoke-s2', note: 'kubelet 1.2 s slower on purpose' } });
    await store.db.close();
  });

  it('refuses a run id it already has with other content, and stores nothing of that add', async () => {
    const store = await fresh('conflict');
    const dir = path.join(tmp, 'conflict');
    baselineRun(path.join(dir, 'run-1'), { runId: 'c-1', startedAt: day(1) });
    await store.add(readHistoryInput(path.join(dir, 'run-1')));
    // A series whose second run reuses c-1's id with other numbers.
    baselineRun(path.join(dir, 'series/run-1'), { runId: 'c-2', startedAt: day(2) });
    baselineRun(path.join(dir, 'series/run-2'), { runId: 'c-1', startedAt: day(1), factor: 2 });
    writeSeriesFile(path.join(dir, 'series'), baselineWorkload(), ['run-1', 'run-2']);
    await expect(store.add(readHistoryInput(path.join(dir, 'series')))).rejects.toThrow(HistoryConflictError);
    await expect(store.add(readHistoryInput(path.join(dir, 'series')))).rejects.toThrow(/run c-1 is already in the history .* with other content .*Nothing was added/);
    expect((await store.runs({ includeIncomplete: true })).map((r) => r.runId)).toEqual(['c-1']);
    expect(await store.db.all('SELECT series_id FROM kbench_series')).toEqual([]);
    // Another commit for the same run is a conflict too; a commit it lacked is recorded.
    await store.add(readHistoryInput(path.join(dir, 'run-1')), { gitCommit: 'abc1234' });
    expect((await store.run('c-1'))!.run.gitCommit).toBe('abc1234');
    await expect(store.add(readHistoryInput(path.join(dir, 'run-1')), { gitCommit: 'def5678' })).rejects.toThrow(/with commit abc1234, not def5678/);
    await store.db.close();
  });

  it('puts a run added alone into the series it later comes with', async () => {
    const store = await fresh('attach');
    const dir = path.join(tmp, 'attach');
    for (let i = 1; i <= 2; i++) baselineRun(path.join(dir, `run-${i}`), { runId: `a-${i}`, startedAt: day(i) });
    writeSeriesFile(dir, baselineWorkload(), ['run-1', 'run-2'], { id: 'ser-a' });
    expect(await store.add(readHistoryInput(path.join(dir, 'run-1')))).toEqual([{ runId: 'a-1', outcome: 'added' }]);
    expect(await store.add(readHistoryInput(dir))).toEqual([
      { runId: 'a-1', outcome: 'updated' },
      { runId: 'a-2', outcome: 'added' },
    ]);
    expect((await store.runs()).map((r) => [r.runId, r.seriesId, r.seriesIndex])).toEqual([
      ['a-1', 'ser-a', 1],
      ['a-2', 'ser-a', 2],
    ]);
    // Another set of runs under the same series id is refused.
    const other = path.join(tmp, 'attach-other');
    baselineRun(path.join(other, 'run-1'), { runId: 'a-3', startedAt: day(3) });
    writeSeriesFile(other, baselineWorkload(), ['run-1'], { id: 'ser-a' });
    await expect(store.add(readHistoryInput(other))).rejects.toThrow(/series ser-a is already in the history .* with run a-1, which .* does not have; give this series another id/);
    expect(await store.run('a-3')).toBeUndefined();
    // Runs whose manifests name their series join it one at a time.
    const nightly = path.join(tmp, 'attach-nightly');
    for (let i = 1; i <= 2; i++) baselineRun(path.join(nightly, `run-${i}`), { runId: `n-${i}`, startedAt: day(10 + i), series: { id: 'nightly-11', index: i, of: 2 } });
    await store.add(readHistoryInput(path.join(nightly, 'run-2')));
    await store.add(readHistoryInput(path.join(nightly, 'run-1')));
    expect((await store.runs()).filter((r) => r.seriesId === 'nightly-11').map((r) => [r.runId, r.seriesIndex])).toEqual([
      ['n-1', 1],
      ['n-2', 2],
    ]);
    expect(await store.db.all("SELECT run_count FROM kbench_series WHERE series_id = 'nightly-11'")).toEqual([{ run_count: 2 }]);
    await store.db.close();
  });
});
