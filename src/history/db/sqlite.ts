import { mkdirSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { type Database, DatabaseError, type Row, type SqlValue } from './database.js';

/**
 * The embedded history: one SQLite file through better-sqlite3. WAL journal so a reader
 * (a user's `history trend`) never blocks the nightly writer and the reverse; a busy
 * timeout so two writers wait for each other instead of failing.
 */
export class SqliteDatabase implements Database {
  readonly kind = 'sqlite';
  readonly #db: BetterSqlite3.Database;

  private constructor(
    readonly location: string,
    db: BetterSqlite3.Database,
  ) {
    this.#db = db;
  }

  /** Opens the file (made when missing); with `create` makes its folder too. */
  static open(file: string, create: boolean): SqliteDatabase {
    const abs = path.resolve(file);
    try {
      if (create) mkdirSync(path.dirname(abs), { recursive: true });
      const db = new BetterSqlite3(abs, { timeout: 10_000 });
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
      return new SqliteDatabase(file, db);
    } catch (e) {
      throw new DatabaseError(`cannot open the history database ${file}: ${(e as Error).message}`);
    }
  }

  async all<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.#guard(() => this.#db.prepare(sql).all(...params) as T[]);
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.#guard(() => this.#db.prepare(sql).run(...params).changes);
  }

  /** A failing statement (a locked or full disk, a damaged file) is a failed command, not a crash. */
  #guard<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      throw new DatabaseError(`the history database ${this.location} failed: ${(e as Error).message}`);
    }
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    // IMMEDIATE takes the write lock at once: two writers queue instead of one failing at commit.
    this.#guard(() => this.#db.exec('BEGIN IMMEDIATE'));
    try {
      const out = await fn();
      this.#db.exec('COMMIT');
      return out;
    } catch (e) {
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
      throw e;
    }
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}
