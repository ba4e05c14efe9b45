import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Database } from './database.js';
import { BadInputError } from '../../util/errors.js';

/** Where the history is when --db is not given. */
export const DEFAULT_HISTORY_DB = 'results/history.db';

/** A --db value that names no database kbench can use: bad input (exit 2). */
export class DatabaseUrlError extends BadInputError {}

/**
 * `postgres://` or `postgresql://` URLs are PostgreSQL; anything else without a scheme is
 * a SQLite file. `create` makes a missing SQLite file (for `add`); reading commands leave
 * a missing file missing and say so.
 */
export async function openDatabase(url: string, options: { create: boolean }): Promise<Database> {
  // Each driver is loaded only when used: the pg client and the native SQLite module are heavy.
  if (/^postgres(ql)?:\/\//i.test(url)) return (await import('./postgres.js')).PostgresDatabase.open(url);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw new DatabaseUrlError(`--db ${url.replace(/\/\/[^@/]*@/, '//***@')}: kbench keeps history in a SQLite file (a path such as results/history.db) or in PostgreSQL (postgres://user@host:5432/db); no other kind of URL`);
  }
  if (url.trim() === '') throw new DatabaseUrlError('--db is empty: name a SQLite file or a postgres:// URL');
  if (!options.create && !existsSync(path.resolve(url))) throw new DatabaseUrlError(`there is no history at ${url} (kbench history add creates it; --db or KBENCH_HISTORY_DB names another)`);
  let sqlite: typeof import('./sqlite.js');
  try {
    sqlite = await import('./sqlite.js');
  } catch (e) {
    // better-sqlite3 is optional: its native module is built at install time and a machine without a C++ toolchain has none.
    throw new DatabaseUrlError(`the SQLite history needs the better-sqlite3 module, which is not installed or not built here (${(e as Error).message.split('\n')[0]}); install a C++ toolchain and run \`npm rebuild better-sqlite3\`, or keep the history in PostgreSQL with --db postgres://...`);
  }
  return sqlite.SqliteDatabase.open(url, options.create);
}

