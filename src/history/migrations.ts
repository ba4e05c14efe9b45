import type { Database } from './db/database.js';
import { DatabaseError } from './db/database.js';

/**
 * The history's schema, as an ordered list of migrations that both backends run the same
 * way. The SQL is the subset SQLite and PostgreSQL agree on: TEXT, INTEGER, DOUBLE
 * PRECISION (SQLite gives it REAL affinity); times are ISO 8601 UTC text with
 * milliseconds, which sorts as time does on both. A migration once released is never
 * edited: a change is a new migration at the end.
 */
export interface Migration {
  version: number;
  name: string;
  statements: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'runs, series, measurements, SLO verdicts',
    statements: [
      `CREATE TABLE kbench_series (
        series_id TEXT PRIMARY KEY,
        workload TEXT NOT NULL,
        workload_sha256 TEXT NOT NULL,
        run_count INTEGER NOT NULL,
        source TEXT NOT NULL,
        added_at TEXT NOT NULL
      )`,
      `CREATE TABLE kbench_runs (
        run_id TEXT PRIMARY KEY,
        workload TEXT NOT NULL,
        workload_sha256 TEXT NOT NULL,
        status TEXT NOT NULL,
        mode TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        duration_s DOUBLE PRECISION,
        target_kind TEXT NOT NULL,
        target_server TEXT NOT NULL,
        target_context TEXT,
        server_version TEXT,
        nodes INTEGER,
        kbench_version TEXT NOT NULL,
        seed INTEGER,
        git_commit TEXT,
        series_id TEXT REFERENCES kbench_series (series_id),
        series_index INTEGER,
        source TEXT NOT NULL,
        content_sha256 TEXT NOT NULL,
        added_at TEXT NOT NULL
      )`,
      'CREATE INDEX kbench_runs_workload_started ON kbench_runs (workload, started_at)',
      `CREATE TABLE kbench_measurements (
        run_id TEXT NOT NULL REFERENCES kbench_runs (run_id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        value DOUBLE PRECISION NOT NULL,
        unit TEXT NOT NULL,
        samples INTEGER,
        PRIMARY KEY (run_id, name)
      )`,
      'CREATE INDEX kbench_measurements_name ON kbench_measurements (name, run_id)',
      `CREATE TABLE kbench_slo_verdicts (
        run_id TEXT NOT NULL REFERENCES kbench_runs (run_id) ON DELETE CASCADE,
        slo_id TEXT NOT NULL,
        side TEXT NOT NULL,
        description TEXT NOT NULL,
        verdict TEXT NOT NULL,
        value DOUBLE PRECISION,
        threshold DOUBLE PRECISION NOT NULL,
        comparison TEXT NOT NULL,
        unit TEXT NOT NULL,
        reason TEXT,
        PRIMARY KEY (run_id, slo_id)
      )`,
    ],
  },
  {
    version: 2,
    name: 'acknowledged change points',
    statements: [
      `CREATE TABLE kbench_acknowledgements (
        workload TEXT NOT NULL,
        measurement TEXT NOT NULL,
        run_id TEXT NOT NULL,
        note TEXT,
        acknowledged_at TEXT NOT NULL,
        PRIMARY KEY (workload, measurement, run_id)
      )`,
    ],
  },
];

const LEDGER = `CREATE TABLE IF NOT EXISTS kbench_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at TEXT NOT NULL
)`;

/**
 * Brings the database to the newest schema: each missing migration in order, each in its
 * own transaction with its ledger row, under one lock so two processes never both apply
 * one. Returns the versions it applied.
 */
export async function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS, now: () => Date = () => new Date()): Promise<number[]> {
  const applied: number[] = [];
  await db.transaction(async () => {
    await db.run(LEDGER);
  }, { lock: 'migrations' });
  const newest = migrations.at(-1)?.version ?? 0;
  for (const m of migrations) {
    const done = await db.transaction(async () => {
      const have = await db.all<{ version: number }>('SELECT version FROM kbench_migrations ORDER BY version');
      const top = have.at(-1)?.version ?? 0;
      if (top > newest) throw new DatabaseError(`the history database ${db.location} is at schema version ${top}, newer than this kbench knows (${newest}); use a newer kbench`);
      if (have.some((h) => h.version === m.version)) return false;
      for (const sql of m.statements) await db.run(sql);
      await db.run('INSERT INTO kbench_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, now().toISOString()]);
      return true;
    }, { lock: 'migrations' });
    if (done) applied.push(m.version);
  }
  return applied;
}

/** The versions a database has, oldest first. */
export async function schemaVersions(db: Database): Promise<number[]> {
  return (await db.all<{ version: number }>('SELECT version FROM kbench_migrations ORDER BY version')).map((r) => r.version);
}
