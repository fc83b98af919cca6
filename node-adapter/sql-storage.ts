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
/** workerd's refusal, word for word (src/workerd/api/sql.c++), so code matching on it behaves the same. */
const TX_MESSAGE =
  'To execute a transaction, please use the state.storage.transaction() or state.storage.transactionSync() APIs ' +
  'instead of the SQL BEGIN TRANSACTION or SAVEPOINT statements. The JavaScript API is safer because it will ' +
  "automatically roll back on exceptions, and because it interacts correctly with Durable Objects' automatic " +
  'atomic write coalescing.';

/** Results of one `exec`, computed eagerly (the cursor API is kept). */
export class SqlCursor<T extends Row = Row> implements Iterable<T> {
  readonly columnNames: string[];
  readonly rowsRead: number;
  readonly rowsWritten: number;
  /** Rows as arrays: a join may repeat a column name, and raw() must keep every value (as workerd does). */
  readonly #rows: Value[][];
  #pos = 0;

  constructor(columnNames: string[], rows: Value[][], rowsWritten: number) {
    this.columnNames = columnNames;
    this.#rows = rows;
    this.rowsRead = rows.length;
    this.rowsWritten = rowsWritten;
  }

  /** Remaining rows as objects (a repeated column name keeps its last value, as in workerd). */
  toArray(): T[] {
    return this.#rest().map((values) => this.#object(values));
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
    return { done: false, value: this.#object(this.#rows[this.#pos++]!) };
  }

  /** Remaining rows as arrays of values in column order. */
  *raw(): IterableIterator<Value[]> {
    yield* this.#rest();
  }

  [Symbol.iterator](): Iterator<T> {
    return this;
  }

  #rest(): Value[][] {
    const rest = this.#rows.slice(this.#pos);
    this.#pos = this.#rows.length;
    return rest;
  }

  #object(values: Value[]): T {
    const row: Row = {};
    this.columnNames.forEach((name, i) => (row[name] = values[i]!));
    return row as T;
  }
}

function fromSqlite(value: unknown): Value {
  if (value instanceof Uint8Array) return value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength) as ArrayBuffer;
  if (typeof value === 'bigint') return Number(value);
  return value as Value;
}

/** Distinct query texts whose split is remembered per connection (oldest forgotten first). */
const PLAN_CACHE_MAX = 256;

/** One statement of a query, classified once. */
interface StatementPlan {
  readonly sql: string;
  readonly write: boolean;
  /** Why the host refuses it (transaction control, `_cf_` tables), or null. */
  readonly refused: string | null;
}

/** workerd-compatible SqlStorage over one SQLite connection. */
export class NodeSqlStorage {
  readonly #db: DatabaseSync;
  readonly #cache: StatementCache;
  readonly #plans = new Map<string, StatementPlan[]>();

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#cache = new StatementCache(db, 128, (stmt) => stmt.setReturnArrays(true));
  }

  /** Runs one or more `;`-separated statements; bindings apply to a single statement only. */
  exec<T extends Row = Row>(query: string, ...bindings: unknown[]): SqlCursor<T> {
    const statements = this.#plan(query);
    if (statements.length === 0) return new SqlCursor<T>([], [], 0);
    if (statements.length > 1 && bindings.length > 0) {
      throw new Error('SQL bindings are supported only for a single statement');
    }
    let last = new SqlCursor<T>([], [], 0);
    let written = 0;
    for (const plan of statements) {
      if (plan.refused) throw new Error(plan.refused);
      const stmt = this.#cache.get(plan.sql);
      const params = bindings.map(toSqliteValue);
      const columns = stmt.columns().map((c) => c.name);
      if (columns.length > 0) {
        const rows = (stmt.all(...params) as unknown as unknown[][]).map((r) => r.map(fromSqlite));
        // Only a write with RETURNING changes rows here; a plain SELECT needs no extra statement.
        if (plan.write) written += Number((this.#cache.get('SELECT changes()').get() as unknown as [number])[0]);
        last = new SqlCursor<T>(columns, rows, written);
      } else {
        const info = stmt.run(...params);
        written += Number(info.changes);
        last = new SqlCursor<T>([], [], written);
      }
    }
    return last;
  }

  /**
   * The statements of `query`, split and classified once per distinct query text (the same few queries
   * run on every message, so re-splitting them was a measurable share of the host's CPU).
   */
  #plan(query: string): StatementPlan[] {
    let plan = this.#plans.get(query);
    if (plan) return plan;
    plan = splitStatements(query).map((sql) => ({
      sql,
      write: /^\s*(INSERT|UPDATE|DELETE|REPLACE)\b/i.test(sql),
      refused: TX_CONTROL.test(sql) ? TX_MESSAGE : /\b_cf_\w+/i.test(sql) && !/^\s*SELECT\b/i.test(sql) ? 'access to _cf_ tables is not authorized' : null,
    }));
    if (this.#plans.size >= PLAN_CACHE_MAX) this.#plans.delete(this.#plans.keys().next().value!);
    this.#plans.set(query, plan);
    return plan;
  }

  /** Statements this connection keeps compiled (at most the cache's cap; host diagnostics). */
  cachedStatements(): number {
    return this.#cache.size;
  }

  /** Database size in bytes. */
  get databaseSize(): number {
    const row = this.#db.prepare('SELECT page_count * page_size AS size FROM pragma_page_count(), pragma_page_size()').get() as { size: number };
    return Number(row.size);
  }
}
