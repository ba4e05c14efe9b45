import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseError } from '../../src/history/db/database.js';
import { openDatabase } from '../../src/history/db/open.js';
import { redactUrl } from '../../src/history/db/postgres.js';
import { migrate, MIGRATIONS, schemaVersions } from '../../src/history/migrations.js';
import { openHistory } from '../../src/history/open-history.js';
import { readHistoryInput } from '../../src/history/result-input.js';
import { HistoryConflictError } from '../../src/history/store.js';
import { kbench } from '../helpers/cli.js';
import { baselineRun, day } from './fixtures.js';
import { createDatabase, findPostgres, type PostgresServer, startPostgres } from './postgres-server.js';
import { addScenario, answers, makeScenarioInputs } from './scenario.js';

/**
 * The PostgreSQL backend against a real PostgreSQL server that this file starts and stops:
 * the same migrations, and the same answers as SQLite for the same adds. In CI a missing
 * PostgreSQL fails the file; elsewhere it is skipped with the reason printed.
 */

const found = findPostgres();
const missing = 'missing' in found ? found.missing : undefined;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'kbench-history-pg-'));
let server: PostgresServer | undefined;

beforeAll(async () => {
  if ('bin' in found) server = await startPostgres(found.bin);
});
afterAll(async () => {
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

if (missing && process.env.CI === 'true') {
  it('has PostgreSQL to test against (CI)', () => {
    throw new Error(missing);
  });
} else if (missing) {
  console.warn(`skipping the PostgreSQL history tests: ${missing}`);
}

describe.skipIf(missing !== undefined)('the PostgreSQL history', () => {
  it('runs the same migrations as SQLite, once, under a lock, and refuses a newer schema', async () => {
    const url = await createDatabase(server!.url, 'migrations');
    const db = await openDatabase(url, { create: false });
    expect(db.kind).toBe('postgres');
    expect(await migrate(db, MIGRATIONS.slice(0, 1))).toEqual([1]);
    // Two processes migrating at once: one applies, the other finds it done.
    const other = await openDatabase(url, { create: false });
    const both = await Promise.all([migrate(db), migrate(other)]);
    expect(both.flat()).toEqual([2]);
    expect(await schemaVersions(db)).toEqual([1, 2]);
    const tables = await db.all("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name");
    expect(tables.map((t) => t.table_name)).toEqual(['kbench_acknowledgements', 'kbench_measurements', 'kbench_migrations', 'kbench_runs', 'kbench_series', 'kbench_slo_verdicts']);
    await db.run("INSERT INTO kbench_migrations (version, name, applied_at) VALUES (99, 'future', '2030-01-01T00:00:00.000Z')");
    await expect(migrate(other)).rejects.toThrow(/schema version 99, newer than this kbench knows/);
    await Promise.all([db.close(), other.close()]);
  });

  it('answers list, show, trend and check exactly as SQLite does after the same adds', async () => {
    const inputs = makeScenarioInputs(path.join(tmp, 'scenario'));
    const sqlite = await openHistory(path.join(tmp, 'same.db'), { create: true });
    const postgres = await openHistory(await createDatabase(server!.url, 'same'), { create: true });
    try {
      const saidSqlite = await addScenario(sqlite, inputs);
      const saidPostgres = await addScenario(postgres, inputs);
      expect(saidPostgres).toEqual(saidSqlite);
      const a = await answers(sqlite);
      const b = await answers(postgres);
      expect(b).toEqual(a);
      // Not trivially equal: there is a history in both, with a change point in it.
      expect((a.list as unknown[]).length).toBe(25);
      expect((a.check as { status: string }[]).some((c) => c.status === 'regression')).toBe(true);
      const ledger = async (s: typeof sqlite) => (await s.db.all('SELECT version, name FROM kbench_migrations ORDER BY version')).map((r) => [Number(r.version), r.name]);
      expect(await ledger(postgres)).toEqual(await ledger(sqlite));
    } finally {
      await Promise.all([sqlite.db.close(), postgres.db.close()]);
    }
  });

  it('refuses a conflicting run in one transaction, leaving nothing of it', async () => {
    const store = await openHistory(await createDatabase(server!.url, 'conflict'), { create: true });
    try {
      const dir = path.join(tmp, 'conflict');
      await store.add(readHistoryInput(baselineRun(path.join(dir, 'a'), { runId: 'p-1', startedAt: day(1) })));
      const changed = baselineRun(path.join(dir, 'b'), { runId: 'p-1', startedAt: day(1), factor: 3 });
      await expect(store.add(readHistoryInput(changed))).rejects.toThrow(HistoryConflictError);
      expect(Number((await store.db.all('SELECT COUNT(*) AS n FROM kbench_runs'))[0]!.n)).toBe(1);
      // The connection is still usable after the rollback.
      expect((await store.run('p-1'))!.measurements.length).toBeGreaterThan(50);
    } finally {
      await store.db.close();
    }
  });

  it('kbench history works with --db postgres://, and never prints the password', async () => {
    const url = new URL(await createDatabase(server!.url, 'cli'));
    url.password = 'hunter2-secret'; // trust authentication ignores it; the point is where it shows up
    const dir = baselineRun(path.join(tmp, 'cli-run'), { runId: 'cli-1', startedAt: day(1) });
    const add = await kbench(['history', 'add', dir, '--db', url.toString()]);
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(add.stdout).toContain('cli-1');
    expect(add.stdout).toContain(redactUrl(url.toString()));
    const list = await kbench(['history', 'list'], { env: { KBENCH_HISTORY_DB: url.toString() } });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/cli-1\s+smoke/);
    const unreachable = new URL(url.toString());
    unreachable.port = '1';
    const bad = await kbench(['history', 'list', '--db', unreachable.toString()]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/cannot connect to the history database postgres:\/\/postgres:\*\*\*@127.0.0.1:1\/cli/);
    for (const r of [add, list, bad]) expect(r.stdout + r.stderr).not.toContain('hunter2-secret');
    await expect(openDatabase(unreachable.toString(), { create: false })).rejects.toThrow(DatabaseError);
  });
});
