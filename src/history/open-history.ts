import { type Database } from './db/database.js';
import { DEFAULT_HISTORY_DB, openDatabase } from './db/open.js';
import { migrate } from './migrations.js';
import { HistoryStore } from './store.js';

/**
 * Opens the history at a --db value (a SQLite file, or a postgres:// URL) and brings its
 * schema up to date. `create` makes a missing SQLite file; reading commands pass false.
 * The caller closes it (store.db.close()).
 */
export async function openHistory(url: string = DEFAULT_HISTORY_DB, options: { create: boolean }): Promise<HistoryStore> {
  const db: Database = await openDatabase(url, options);
  try {
    await migrate(db);
  } catch (e) {
    await db.close().catch(() => {});
    throw e;
  }
  return new HistoryStore(db);
}
