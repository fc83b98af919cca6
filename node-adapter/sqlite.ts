/**
 * Opening SQLite files for the Node host (node:sqlite, built into Node 24: no native addon, so no glibc
 * surprises on Ubuntu 20.04). WAL + synchronous=NORMAL by default: a committed write survives kill -9 (the
 * process dying); `EDGECLAW_SQLITE_SYNC=full` also fsyncs every commit, for power loss.
 */
import { statSync } from 'node:fs';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';

/** Whether `path` names no file yet, or an empty one (nothing in it can be lost). */
function isFresh(path: string): boolean {
  try {
    return statSync(path).size === 0;
  } catch {
    return true;
  }
}

/** Opens (creating if needed) a database file with the host's pragmas. `:memory:` works too. */
export function openDatabase(path: string, opts: { busyTimeoutMs?: number; cacheKiB?: number } = {}): DatabaseSync {
  const fresh = path !== ':memory:' && isFresh(path);
  const db = new DatabaseSync(path, { timeout: opts.busyTimeoutMs ?? 5_000 });
  // A brand-new file holds nothing yet: switching it to WAL without fsyncs halves the syncs of creating a
  // session's database (the first message of a new chat); the real setting applies before any data.
  if (fresh) db.exec('PRAGMA synchronous = OFF');
  if (path !== ':memory:') db.exec('PRAGMA journal_mode = WAL');
  db.exec(`PRAGMA synchronous = ${process.env.EDGECLAW_SQLITE_SYNC === 'full' ? 'FULL' : 'NORMAL'}`);
  // Many small per-object databases are open at once: keep each page cache small (SQLite's default is ~2 MiB).
  if (opts.cacheKiB !== undefined) db.exec(`PRAGMA cache_size = -${Math.max(64, Math.floor(opts.cacheKiB))}`);
  db.exec('PRAGMA foreign_keys = ON');
  return db;
}

/** Converts workerd/D1-style bind values to what node:sqlite accepts. */
export function toSqliteValue(value: unknown): SQLInputValue {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value === undefined) throw new TypeError('cannot bind undefined to a SQL parameter (use null)');
  throw new TypeError(`cannot bind a ${typeof value} to a SQL parameter`);
}

/**
 * Splits a script into statements at top-level `;` (quotes, identifiers and comments respected),
 * because workerd's `sql.exec` accepts several statements and node:sqlite's `prepare` takes one.
 * Inside `CREATE [TEMP] TRIGGER`, `;` separates the body's statements and only `END;` ends the
 * trigger, as in SQLite's own sqlite3_complete().
 */
export function splitStatements(script: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  const n = script.length;
  // First tokens (upper-cased) and last token of the current statement, to find a trigger's END.
  let head: string[] = [];
  let last = '';
  while (i < n) {
    const ch = script[i]!;
    if (ch === "'" || ch === '"' || ch === '`' || ch === '[') {
      const close = ch === '[' ? ']' : ch;
      i++;
      while (i < n && script[i] !== close) i++;
      i++;
      last = ch;
      if (head.length < 3) head.push(ch);
    } else if (ch === '-' && script[i + 1] === '-') {
      while (i < n && script[i] !== '\n') i++;
    } else if (ch === '/' && script[i + 1] === '*') {
      const end = script.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (ch === ';') {
      if (isTrigger(head) && last.toUpperCase() !== 'END') {
        last = ch;
        i++;
        continue;
      }
      out.push(script.slice(start, i));
      start = ++i;
      head = [];
      last = '';
    } else if (WORD.test(ch)) {
      let j = i + 1;
      while (j < n && WORD.test(script[j]!)) j++;
      last = script.slice(i, j);
      if (head.length < 3) head.push(last.toUpperCase());
      i = j;
    } else {
      if (!/\s/.test(ch)) {
        last = ch;
        if (head.length < 3) head.push(ch);
      }
      i++;
    }
  }
  out.push(script.slice(start));
  return out.filter((s) => stripComments(s).trim().length > 0);
}

const WORD = /[A-Za-z0-9_$]/;

function isTrigger(head: readonly string[]): boolean {
  if (head[0] !== 'CREATE') return false;
  return head[1] === 'TRIGGER' || ((head[1] === 'TEMP' || head[1] === 'TEMPORARY') && head[2] === 'TRIGGER');
}

function stripComments(sql: string): string {
  return sql.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
}

/** A bounded cache of prepared statements per connection (least recently used dropped first). */
export class StatementCache {
  readonly #db: DatabaseSync;
  readonly #cap: number;
  readonly #map = new Map<string, ReturnType<DatabaseSync['prepare']>>();
  readonly #init: ((stmt: ReturnType<DatabaseSync['prepare']>) => void) | undefined;

  constructor(db: DatabaseSync, cap = 128, init?: (stmt: ReturnType<DatabaseSync['prepare']>) => void) {
    this.#db = db;
    this.#cap = cap;
    this.#init = init;
  }

  /** Statements held now (at most the cap). */
  get size(): number {
    return this.#map.size;
  }

  /** The prepared statement for `sql`, compiled once. */
  get(sql: string): ReturnType<DatabaseSync['prepare']> {
    let stmt = this.#map.get(sql);
    if (stmt) {
      this.#map.delete(sql);
    } else {
      stmt = this.#db.prepare(sql);
      this.#init?.(stmt);
      if (this.#map.size >= this.#cap) this.#map.delete(this.#map.keys().next().value!);
    }
    this.#map.set(sql, stmt);
    return stmt;
  }
}
