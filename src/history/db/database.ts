/**
 * The history's view of a SQL database: the same SQL (written with `?` placeholders) runs
 * on SQLite and on PostgreSQL; each backend adapts placeholders, value types and locking
 * in its own small module (sqlite.ts, postgres.ts) and nowhere else.
 */

export type SqlValue = string | number | null;
export type Row = Record<string, SqlValue>;

export interface Database {
  readonly kind: 'sqlite' | 'postgres';
  /** Where the history is, for messages: a file path, or the URL without its password. */
  readonly location: string;
  /** Rows of a query. Integers and doubles come back as numbers on both backends. */
  all<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** A statement without rows; returns how many rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /**
   * Runs fn in one transaction: committed when it resolves, rolled back when it throws.
   * Writers are serialised (SQLite: BEGIN IMMEDIATE; PostgreSQL: with `lock`, an advisory
   * lock held until the end of the transaction).
   */
  transaction<T>(fn: () => Promise<T>, options?: { lock?: string }): Promise<T>;
  close(): Promise<void>;
}

/** The database could not be opened or answered: the command failed (exit 1). */
export class DatabaseError extends Error {}

/** `?` placeholders to PostgreSQL's `$1, $2, ...`, leaving quoted text alone. */
export function numberedPlaceholders(sql: string): string {
  let n = 0;
  let out = '';
  let quote: string | undefined;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = undefined;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else out += ch === '?' ? `$${++n}` : ch;
  }
  return out;
}
