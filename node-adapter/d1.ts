/**
 * A D1-compatible database over a node:sqlite file, so registry code (drizzle's D1 driver) runs
 * unchanged on Node. Shapes follow https://developers.cloudflare.com/d1/worker-api/ :
 * prepare/bind/first/all/run/raw, batch (atomic), exec.
 */
import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { splitStatements, StatementCache, toSqliteValue } from './sqlite.ts';

/** `meta` of a D1 result. */
export interface D1Meta {
  duration: number;
  size_after: number;
  rows_read: number;
  rows_written: number;
  last_row_id: number;
  changed_db: boolean;
  changes: number;
  served_by: string;
}

/** A D1 result. */
export interface D1Result<T = Record<string, unknown>> {
  success: true;
  results: T[];
  meta: D1Meta;
}

function d1Error(err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  return new Error(`D1_ERROR: ${message}`, { cause: err });
}

function fromSqlite(value: unknown): unknown {
  // D1 returns BLOBs as arrays of byte values.
  if (value instanceof Uint8Array) return Array.from(value);
  if (typeof value === 'bigint') return Number(value);
  return value;
}

/** A prepared statement; `bind` returns a new statement, as in D1. */
export class NodeD1PreparedStatement {
  readonly #d1: NodeD1Database;
  readonly sql: string;
  readonly params: readonly SQLInputValue[];

  constructor(d1: NodeD1Database, sql: string, params: readonly SQLInputValue[] = []) {
    this.#d1 = d1;
    this.sql = sql;
    this.params = params;
  }

  bind(...values: unknown[]): NodeD1PreparedStatement {
    return new NodeD1PreparedStatement(this.#d1, this.sql, values.map(toSqliteValue));
  }

  async first<T = Record<string, unknown>>(column?: string): Promise<T | null> {
    const { results } = this.#d1.runSync<Record<string, unknown>>(this);
    const row = results[0];
    if (!row) return null;
    if (column === undefined) return row as T;
    if (!(column in row)) throw d1Error(new Error(`no such column: ${column}`));
    return row[column] as T;
  }

  async all<T = Record<string, unknown>>(): Promise<D1Result<T>> {
    return this.#d1.runSync<T>(this);
  }

  async run<T = Record<string, unknown>>(): Promise<D1Result<T>> {
    return this.#d1.runSync<T>(this);
  }

  async raw<T = unknown[]>(options?: { columnNames?: boolean }): Promise<T[]> {
    const { columns, rows } = this.#d1.rawSync(this);
    return (options?.columnNames ? [columns, ...rows] : rows) as T[];
  }
}

/** D1Database over one node:sqlite connection (writes are serialized by the single connection). */
export class NodeD1Database {
  readonly #db: DatabaseSync;
  readonly #cache: StatementCache;
  readonly #arrays: StatementCache;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#cache = new StatementCache(db);
    // Separate statements in array mode: joins may repeat a column name, which objects would merge.
    this.#arrays = new StatementCache(db, 128, (stmt) => stmt.setReturnArrays(true));
  }

  prepare(sql: string): NodeD1PreparedStatement {
    return new NodeD1PreparedStatement(this, sql);
  }

  /** Runs statements in one transaction: all apply or none (D1's batch semantics). */
  async batch<T = Record<string, unknown>>(statements: NodeD1PreparedStatement[]): Promise<D1Result<T>[]> {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const results = statements.map((s) => this.runSync<T>(s));
      this.#db.exec('COMMIT');
      return results;
    } catch (err) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw err instanceof Error && err.message.startsWith('D1_ERROR') ? err : d1Error(err);
    }
  }

  /** Runs a script of `;`-separated statements without bindings. */
  async exec(script: string): Promise<{ count: number; duration: number }> {
    const started = performance.now();
    const statements = splitStatements(script);
    try {
      for (const sql of statements) this.#db.exec(sql);
    } catch (err) {
      throw d1Error(err);
    }
    return { count: statements.length, duration: performance.now() - started };
  }

  /** Executes one statement now (used by the statement class). */
  runSync<T>(statement: NodeD1PreparedStatement): D1Result<T> {
    const started = performance.now();
    try {
      const stmt = this.#cache.get(statement.sql);
      if (stmt.columns().length > 0) {
        // changes() keeps the count of the last write, so a read (even one starting with WITH) must not
        // report it: only a statement that moved total_changes() wrote anything (INSERT ... RETURNING).
        const before = this.#totalChanges();
        const rows = stmt.all(...statement.params).map((r) => {
          const row: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(r as Record<string, unknown>)) row[k] = fromSqlite(v);
          return row as T;
        });
        const wrote = this.#totalChanges() !== before;
        const writes = wrote ? Number((this.#cache.get('SELECT changes() AS c').get() as { c: number }).c) : 0;
        return this.#result(rows, writes, started, rows.length);
      }
      const info = stmt.run(...statement.params);
      return this.#result<T>([], Number(info.changes), started, 0, Number(info.lastInsertRowid));
    } catch (err) {
      throw d1Error(err);
    }
  }

  /** Rows as arrays plus column names. */
  rawSync(statement: NodeD1PreparedStatement): { columns: string[]; rows: unknown[][] } {
    try {
      const stmt = this.#arrays.get(statement.sql);
      const columns = stmt.columns().map((c) => c.name);
      if (columns.length === 0) {
        stmt.run(...statement.params);
        return { columns, rows: [] };
      }
      const rows = (stmt.all(...statement.params) as unknown as unknown[][]).map((r) => r.map(fromSqlite));
      return { columns, rows };
    } catch (err) {
      throw d1Error(err);
    }
  }

  #totalChanges(): number {
    return Number((this.#cache.get('SELECT total_changes() AS n').get() as { n: number }).n);
  }

  #result<T>(rows: T[], changes: number, started: number, read: number, lastRowId?: number): D1Result<T> {
    const last = lastRowId ?? Number((this.#cache.get('SELECT last_insert_rowid() AS id').get() as { id: number }).id);
    return {
      success: true,
      results: rows,
      meta: {
        duration: performance.now() - started,
        size_after: 0,
        rows_read: read,
        rows_written: changes,
        last_row_id: last,
        changed_db: changes > 0,
        changes,
        served_by: 'edgeclaw-node',
      },
    };
  }
}
