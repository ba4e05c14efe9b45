import pg from 'pg';
import { type Database, DatabaseError, numberedPlaceholders, type Row, type SqlValue } from './database.js';

// PostgreSQL returns bigint and numeric as strings (they may not fit a double); the
// history's counts and values do, so they come back as numbers as SQLite returns them.
const INT8 = 20;
const NUMERIC = 1700;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8 || oid === NUMERIC ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser,
};

/** A team's shared history in PostgreSQL, through one connection (node-postgres). */
export class PostgresDatabase implements Database {
  readonly kind = 'postgres';
  readonly #client: pg.Client;

  private constructor(
    readonly location: string,
    client: pg.Client,
  ) {
    this.#client = client;
  }

  static async open(url: string): Promise<PostgresDatabase> {
    const location = redactUrl(url);
    const client = new pg.Client({ connectionString: url, types, connectionTimeoutMillis: 15_000, application_name: 'kbench history' });
    // A connection error after connect (the server going away) must not crash the process.
    client.on('error', () => {});
    try {
      await client.connect();
    } catch (e) {
      await client.end().catch(() => {});
      throw new DatabaseError(`cannot connect to the history database ${location}: ${redactText((e as Error).message, url)}`);
    }
    return new PostgresDatabase(location, client);
  }

  async all<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return (await this.#query(sql, params)).rows as T[];
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return (await this.#query(sql, params)).rowCount ?? 0;
  }

  async #query(sql: string, params: readonly SqlValue[]): Promise<pg.QueryResult> {
    try {
      return await this.#client.query(numberedPlaceholders(sql), params as SqlValue[]);
    } catch (e) {
      throw new DatabaseError(`the history database ${this.location} failed: ${(e as Error).message}`);
    }
  }

  async transaction<T>(fn: () => Promise<T>, options: { lock?: string } = {}): Promise<T> {
    await this.#client.query('BEGIN');
    try {
      // Held until COMMIT or ROLLBACK: two kbench processes migrating at once take turns.
      if (options.lock) await this.#client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`kbench:${options.lock}`]);
      const out = await fn();
      await this.#client.query('COMMIT');
      return out;
    } catch (e) {
      await this.#client.query('ROLLBACK').catch(() => {});
      throw e;
    }
  }

  async close(): Promise<void> {
    await this.#client.end();
  }
}

/** The URL as it may be printed: the password replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const k of [...u.searchParams.keys()]) if (/pass|secret|key|token/i.test(k)) u.searchParams.set(k, '***');
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  }
}

/** A driver's message may quote the URL: never let it carry the password out. */
function redactText(text: string, url: string): string {
  let out = text;
  try {
    const pw = decodeURIComponent(new URL(url).password);
    if (pw) out = out.split(pw).join('***');
  } catch {
    // Not a URL: nothing of it to hide.
  }
  return out;
}
