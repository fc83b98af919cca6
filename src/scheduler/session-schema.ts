/**
 * DDL of a SessionDO's own SQLite (`ctx.storage.sql`), versioned in code: v1 was the foundation FIFO;
 * v2 adds queue modes and targets, the `runs` table, compaction weights and the reset archive.
 */

/** The SQL surface we use: `ctx.storage.sql` on workerd and on the Node host. */
export interface SqlPort {
  exec<T extends Record<string, SqlValue>>(query: string, ...bindings: SqlValue[]): SqlCursor<T>;
}
/** A value SQLite stores. */
export type SqlValue = string | number | null | ArrayBuffer;
/** The cursor members we use. */
export interface SqlCursor<T> {
  toArray(): T[];
  one(): T;
}
/** A result row. */
export type Row = Record<string, SqlValue>;

/** Schema version this build writes. */
export const SCHEMA_VERSION = 4;

const V1: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS session_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS queue (
     seq INTEGER PRIMARY KEY, item_key TEXT, text TEXT NOT NULL,
     enqueued_at INTEGER NOT NULL, available_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0)`,
  `CREATE TABLE IF NOT EXISTS history (
     seq INTEGER PRIMARY KEY, item_key TEXT, role TEXT NOT NULL, text TEXT NOT NULL,
     bytes INTEGER NOT NULL, enqueued_at INTEGER NOT NULL, processed_at INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS idempotency (item_key TEXT PRIMARY KEY, seq INTEGER NOT NULL, at INTEGER NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS idempotency_seq ON idempotency (seq)`,
];

const V2: readonly string[] = [
  `ALTER TABLE queue ADD COLUMN mode TEXT NOT NULL DEFAULT 'followup'`,
  `ALTER TABLE queue ADD COLUMN thread TEXT`,
  `ALTER TABLE queue ADD COLUMN channel TEXT`,
  `CREATE TABLE runs (
     run_id TEXT PRIMARY KEY, seq INTEGER NOT NULL UNIQUE, state TEXT NOT NULL, merged_into TEXT, reason TEXT,
     thread TEXT, channel TEXT, created_at INTEGER NOT NULL, started_at INTEGER, ended_at INTEGER,
     input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0, cost_usd REAL NOT NULL DEFAULT 0)`,
  `CREATE INDEX runs_state ON runs (state)`,
  `CREATE INDEX runs_merged ON runs (merged_into)`,
  `INSERT INTO runs (run_id, seq, state, created_at) SELECT 'run-' || seq, seq, 'queued', enqueued_at FROM queue`,
  `INSERT INTO runs (run_id, seq, state, created_at, started_at, ended_at)
     SELECT 'run-' || seq, seq, 'done', enqueued_at, processed_at, processed_at FROM history`,
  `CREATE TABLE history_v2 (
     id INTEGER PRIMARY KEY AUTOINCREMENT, seq INTEGER, run_id TEXT, item_key TEXT, role TEXT NOT NULL,
     text TEXT NOT NULL, bytes INTEGER NOT NULL, weight INTEGER NOT NULL DEFAULT 1,
     enqueued_at INTEGER NOT NULL, processed_at INTEGER NOT NULL)`,
  `INSERT INTO history_v2 (seq, run_id, item_key, role, text, bytes, enqueued_at, processed_at)
     SELECT seq, 'run-' || seq, item_key, role, text, bytes, enqueued_at, processed_at FROM history ORDER BY seq`,
  `DROP TABLE history`,
  `ALTER TABLE history_v2 RENAME TO history`,
  `CREATE TABLE history_archive (
     id INTEGER PRIMARY KEY AUTOINCREMENT, epoch INTEGER NOT NULL, seq INTEGER, run_id TEXT, role TEXT NOT NULL,
     text TEXT NOT NULL, bytes INTEGER NOT NULL, processed_at INTEGER NOT NULL, archived_at INTEGER NOT NULL)`,
];

/** v3: items of the running turn are kept until it ends, so a restart can resume the turn instead of losing it. */
const V3: readonly string[] = [
  `CREATE TABLE inflight (seq INTEGER PRIMARY KEY, run_id TEXT NOT NULL, item TEXT NOT NULL)`,
  `CREATE INDEX inflight_run ON inflight (run_id)`,
  `ALTER TABLE runs ADD COLUMN resumes INTEGER NOT NULL DEFAULT 0`,
];

/** v4: channel metadata of an item (reply-to message id, attachments), JSON written by the channel sink. */
const V4: readonly string[] = [`ALTER TABLE queue ADD COLUMN meta TEXT`];

/** Steps from version i to i+1. */
const STEPS: readonly (readonly string[])[] = [V1, V2, V3, V4];

/**
 * Brings the tables to SCHEMA_VERSION (idempotent). Each step runs only from its own version, so a
 * step's ALTERs never run twice. Refuses storage written by a newer build.
 */
export function migrateSessionSchema(sql: SqlPort, meta: (k: string) => string | null, setMeta: (k: string, v: string) => void): void {
  sql.exec(V1[0]!);
  let current = Number(meta('schema_version') ?? 0);
  if (current > SCHEMA_VERSION) {
    throw new Error(`session storage schema v${current} is newer than this build (v${SCHEMA_VERSION}); upgrade edgeclaw`);
  }
  while (current < SCHEMA_VERSION) {
    for (const ddl of STEPS[current]!) sql.exec(ddl);
    current++;
    setMeta('schema_version', String(current));
  }
}
