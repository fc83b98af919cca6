/**
 * `ctx.storage.sql` for the Node host, over node:sqlite, shaped like workerd's SqlStorage:
 * https://developers.cloudflare.com/durable-objects/api/sqlite-storage-api/
 * Like workerd, transaction control statements are refused (use transactionSync) and `_cf_` tables
 * are reserved for the host.
 */
import type { DatabaseSync } from 'node:sqlite';
import { splitStatements, StatementCache, toSqliteValue } from './sqlite.ts';

type Value = string | number | null | ArrayBuffer;
type Row = Record<string, Value>;

const TX_CONTROL = /^\s*(BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE)\b/i;

/** Results of one `exec`, computed eagerly (the cursor API is kept). */
export class SqlCursor<T extends Row = Row> implements Iterable<T> {
  readonly columnNames: string[];
  readonly rowsRead: number;
  readonly rowsWritten: number;
  readonly #rows: T[];
  #pos = 0;

  constructor(columnNames: string[], rows: T[], rowsWritten: number) {
    this.columnNames = columnNames;
    this.#rows = rows;
    this.rowsRead = rows.length;
    this.rowsWritten = rowsWritten;
  }

  /** Remaining rows as objects. */
  toArray(): T[] {
    const rest = this.#rows.slice(this.#pos);
    this.#pos = this.#rows.length;
    return rest;
  }

  /** The only row; throws unless exactly one row remains (as workerd does). */
  one(): T {
    const rest = this.toArray();
    if (rest.length !== 1) throw new Error(`Expected exactly one result from SQL query, but got ${rest.length === 0 ? 'no results' : 'multiple results'}.`);
    return rest[0]!;
  }

  /** Next row, iterator-style. */
  next(): IteratorResult<T> {
    if (this.#pos >= this.#rows.length) return { done: true, value: undefined };
    return { done: false, value: this.#rows[this.#pos++]! };
  }

  /** Remaining rows as arrays of values in column order. */
  *raw(): IterableIterator<Value[]> {
    for (const row of this.toArray()) yield this.columnNames.map((c) => row[c]!);
  }

  [Symbol.iterator](): Iterator<T> {
    return this;
  }
}

function fromSqlite(value: unknown): Value {
  if (value instanceof Uint8Array) return value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength) as ArrayBuffer;
  if (typeof value === 'bigint') return Number(value);
  return value as Value;
}

/** workerd-compatible SqlStorage over one SQLite connection. */
export class NodeSqlStorage {
  readonly #db: DatabaseSync;
  readonly #cache: StatementCache;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#cache = new StatementCache(db);
  }

  /** Runs one or more `;`-separated statements; bindings apply to a single statement only. */
  exec<T extends Row = Row>(query: string, ...bindings: unknown[]): SqlCursor<T> {
    const statements = splitStatements(query);
    if (statements.length === 0) return new SqlCursor<T>([], [], 0);
    if (statements.length > 1 && bindings.length > 0) {
      throw new Error('SQL bindings are supported only for a single statement');
    }
    let last = new SqlCursor<T>([], [], 0);
    let written = 0;
    for (const sql of statements) {
      if (TX_CONTROL.test(sql)) {
        throw new Error('To execute a transaction, please use the state.storage.transactionSync() API instead of the SQL BEGIN TRANSACTION or SAVEPOINT statements.');
      }
      if (/\b_cf_\w+/i.test(sql) && !/^\s*SELECT\b/i.test(sql)) throw new Error('access to _cf_ tables is not authorized');
      const stmt = this.#cache.get(sql);
      const params = bindings.map(toSqliteValue);
      const columns = stmt.columns().map((c) => c.name);
      if (columns.length > 0) {
        const rows = stmt.all(...params).map((r) => {
          const row: Row = {};
          for (const [k, v] of Object.entries(r as Record<string, unknown>)) row[k] = fromSqlite(v);
          return row as T;
        });
        const changes = this.#cache.get('SELECT changes() AS c').get() as { c: number };
        written += /^\s*(INSERT|UPDATE|DELETE|REPLACE)\b/i.test(sql) ? Number(changes.c) : 0;
        last = new SqlCursor<T>(columns, rows, written);
      } else {
        const info = stmt.run(...params);
        written += Number(info.changes);
        last = new SqlCursor<T>([], [], written);
      }
    }
    return last;
  }

  /** Database size in bytes. */
  get databaseSize(): number {
    const row = this.#db.prepare('SELECT page_count * page_size AS size FROM pragma_page_count(), pragma_page_size()').get() as { size: number };
    return Number(row.size);
  }
}
