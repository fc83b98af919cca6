/**
 * `ctx.storage` for the Node host: SQL (NodeSqlStorage), synchronous transactions, the key-value API
 * (stored in `_cf_KV` with v8 serialization, i.e. structured clone, as workerd does) and the alarm.
 * https://developers.cloudflare.com/durable-objects/api/storage-api/
 */
import type { DatabaseSync } from 'node:sqlite';
import { deserialize, serialize } from 'node:v8';
import { NodeSqlStorage } from './sql-storage.ts';
import { StatementCache } from './sqlite.ts';

/** Callbacks the host wires in so alarms reach the scheduler. */
export interface AlarmHooks {
  /** Called before the object's own record changes (write the wake-up hint first). */
  beforeSet(time: number): void;
  /** Called after the record changed (set or deleted). */
  afterChange(): void;
  /** True while this object's alarm handler runs and has not re-armed (getAlarm then reads null, as in workerd). */
  hidesCurrent(): boolean;
}

interface ListOptions {
  start?: string;
  startAfter?: string;
  end?: string;
  prefix?: string;
  reverse?: boolean;
  limit?: number;
}

/** Storage of one object, over its own SQLite file. */
export class NodeDurableObjectStorage {
  readonly sql: NodeSqlStorage;
  readonly #db: DatabaseSync;
  readonly #hooks: AlarmHooks;
  /**
   * The key-value and alarm statements, compiled once per connection: a statement prepared per call holds its
   * native memory until the garbage collector finalises it, which a small JS heap may not do for a long time.
   */
  readonly #stmts: StatementCache;
  #depth = 0;

  constructor(db: DatabaseSync, hooks: AlarmHooks) {
    this.#db = db;
    this.#hooks = hooks;
    db.exec(`CREATE TABLE IF NOT EXISTS _cf_KV (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID`);
    db.exec(`CREATE TABLE IF NOT EXISTS _cf_alarm (id INTEGER PRIMARY KEY CHECK (id = 1), time INTEGER NOT NULL, retries INTEGER NOT NULL DEFAULT 0)`);
    this.sql = new NodeSqlStorage(db);
    this.#stmts = new StatementCache(db, 16);
  }

  /** Statements this object keeps compiled (host diagnostics). */
  cachedStatements(): number {
    return this.#stmts.size + this.sql.cachedStatements();
  }

  /** Runs `fn` atomically: every write inside commits together or not at all. Nests with savepoints. */
  transactionSync<T>(fn: () => T): T {
    const name = this.#begin('edgeclaw_tx');
    try {
      const result = fn();
      this.#db.exec(`RELEASE ${name}`);
      return result;
    } catch (err) {
      this.#rollback(name);
      throw err;
    } finally {
      this.#depth--;
    }
  }

  /** Async form; the callback must not wait on other objects while holding the transaction. */
  async transaction<T>(fn: (txn: this) => Promise<T>): Promise<T> {
    const name = this.#begin('edgeclaw_atx');
    try {
      const result = await fn(this);
      this.#db.exec(`RELEASE ${name}`);
      return result;
    } catch (err) {
      this.#rollback(name);
      throw err;
    } finally {
      this.#depth--;
    }
  }

  #begin(prefix: string): string {
    const name = `${prefix}_${this.#depth++}`;
    this.#db.exec(`SAVEPOINT ${name}`);
    return name;
  }

  #rollback(name: string): void {
    this.#db.exec(`ROLLBACK TO ${name}`);
    this.#db.exec(`RELEASE ${name}`);
  }

  get<T = unknown>(key: string): Promise<T | undefined>;
  get<T = unknown>(keys: string[]): Promise<Map<string, T>>;
  async get<T>(keys: string | string[]): Promise<T | undefined | Map<string, T>> {
    const stmt = this.#stmts.get(`SELECT value FROM _cf_KV WHERE key = ?`);
    const one = (k: string) => {
      const row = stmt.get(k) as { value: Uint8Array } | undefined;
      return row ? (deserialize(row.value) as T) : undefined;
    };
    if (!Array.isArray(keys)) return one(keys);
    const out = new Map<string, T>();
    for (const k of [...keys].sort()) {
      const v = one(k);
      if (v !== undefined) out.set(k, v);
    }
    return out;
  }

  put(key: string, value: unknown): Promise<void>;
  put(entries: Record<string, unknown>): Promise<void>;
  async put(keyOrEntries: string | Record<string, unknown>, value?: unknown): Promise<void> {
    const entries = typeof keyOrEntries === 'string' ? { [keyOrEntries]: value } : keyOrEntries;
    const stmt = this.#stmts.get(`INSERT INTO _cf_KV (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`);
    this.transactionSync(() => {
      for (const [k, v] of Object.entries(entries)) {
        if (v === undefined) throw new TypeError('storage.put: undefined is not a storable value');
        stmt.run(k, serialize(v));
      }
    });
  }

  delete(key: string): Promise<boolean>;
  delete(keys: string[]): Promise<number>;
  async delete(keys: string | string[]): Promise<boolean | number> {
    const stmt = this.#stmts.get(`DELETE FROM _cf_KV WHERE key = ?`);
    if (!Array.isArray(keys)) return Number(stmt.run(keys).changes) > 0;
    return this.transactionSync(() => keys.reduce((n, k) => n + Number(stmt.run(k).changes), 0));
  }

  async list<T = unknown>(opts: ListOptions = {}): Promise<Map<string, T>> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (opts.prefix !== undefined) {
      where.push(`substr(key, 1, ?) = ?`);
      args.push(opts.prefix.length, opts.prefix);
    }
    if (opts.start !== undefined) (where.push('key >= ?'), args.push(opts.start));
    if (opts.startAfter !== undefined) (where.push('key > ?'), args.push(opts.startAfter));
    if (opts.end !== undefined) (where.push('key < ?'), args.push(opts.end));
    const sql = `SELECT key, value FROM _cf_KV ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY key ${opts.reverse ? 'DESC' : 'ASC'} ${opts.limit !== undefined ? 'LIMIT ?' : ''}`;
    if (opts.limit !== undefined) args.push(opts.limit);
    const rows = this.#stmts.get(sql).all(...args) as { key: string; value: Uint8Array }[];
    return new Map(rows.map((r) => [r.key, deserialize(r.value) as T]));
  }

  /** Deletes all key-value data and the alarm (SQL tables are the caller's to drop). */
  async deleteAll(): Promise<void> {
    this.#db.exec(`DELETE FROM _cf_KV`);
    await this.deleteAlarm();
  }

  /** The scheduled alarm time, or null (also null while the alarm handler runs, unless it re-armed). */
  async getAlarm(): Promise<number | null> {
    if (this.#hooks.hidesCurrent()) return null;
    return this.alarmRecord();
  }

  /** Schedules the alarm (replacing any other); past times fire right away. */
  async setAlarm(scheduled: number | Date): Promise<void> {
    const time = typeof scheduled === 'number' ? scheduled : scheduled.getTime();
    if (!Number.isFinite(time)) throw new TypeError('setAlarm: expected a finite time in ms since epoch');
    this.#hooks.beforeSet(time);
    // A new alarm from the object starts a fresh retry budget.
    this.#stmts.get(`INSERT INTO _cf_alarm (id, time, retries) VALUES (1, ?, 0) ON CONFLICT (id) DO UPDATE SET time = excluded.time, retries = 0`).run(time);
    this.#hooks.afterChange();
  }

  async deleteAlarm(): Promise<void> {
    this.#db.exec(`DELETE FROM _cf_alarm`);
    this.#hooks.afterChange();
  }

  /** Resolves when writes are durable (they already are: every commit is synchronous). */
  async sync(): Promise<void> {}

  /** The stored alarm time regardless of whether it is running (host use). */
  alarmRecord(): number | null {
    const row = this.#stmts.get(`SELECT time FROM _cf_alarm WHERE id = 1`).get() as { time: number } | undefined;
    return row ? Number(row.time) : null;
  }

  /** Failed attempts of the stored alarm so far (persisted, so eviction or a restart cannot reset the budget). */
  alarmRetries(): number {
    const row = this.#stmts.get(`SELECT retries FROM _cf_alarm WHERE id = 1`).get() as { retries: number } | undefined;
    return row ? Number(row.retries) : 0;
  }

  /** Sets or clears the stored alarm without hooks (host use: retries and completion). */
  writeAlarmRecord(time: number | null, retries = 0): void {
    if (time === null) this.#db.exec(`DELETE FROM _cf_alarm`);
    else this.#stmts.get(`INSERT INTO _cf_alarm (id, time, retries) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET time = excluded.time, retries = excluded.retries`).run(time, retries);
  }
}
