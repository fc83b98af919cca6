/**
 * The per-session durable FIFO, as plain logic over the DO's SQLite (`ctx.storage.sql`). It never
 * schedules anything itself: callers get back the time the session next needs to wake up, and arm
 * one alarm for it. Every mutation is a single transaction, so a crash at any point leaves either the
 * old or the new state, never half of one.
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

/** Limits of one session's storage; each has a defined overflow behaviour. */
export interface QueueLimits {
  /** Queued items at most; beyond it new items are rejected with reason `queue_full`. */
  readonly queueCap: number;
  /** History rows at most; the oldest are deleted first. */
  readonly historyCap: number;
  /** History payload bytes at most; the oldest are deleted first (the newest row always stays). */
  readonly historyMaxBytes: number;
  /** Remembered idempotency keys at most; the oldest are forgotten first (the dedupe window). */
  readonly idempotencyCap: number;
}

/** An item as producers hand it in. */
export interface EnqueueInput {
  /** Producer's idempotency key (transport message id, client key); a repeat is acknowledged, not queued. */
  readonly key?: string;
  readonly text: string;
  /** Earliest processing time (ms since epoch); the FIFO still holds later items behind it. */
  readonly availableAt?: number;
}

/** Outcome of an enqueue: a value, never a throw, for expected results. */
export type EnqueueResult =
  | { status: 'queued'; seq: number; position: number; wakeAt: number }
  | { status: 'duplicate'; seq: number }
  | { status: 'rejected'; reason: 'queue_full'; cap: number };

/** A queued item. */
export interface QueuedItem {
  seq: number;
  key: string | null;
  text: string;
  enqueuedAt: number;
  availableAt: number;
  attempts: number;
}

/** A processed item, kept in bounded history. */
export interface HistoryEntry {
  seq: number;
  key: string | null;
  role: string;
  text: string;
  enqueuedAt: number;
  processedAt: number;
}

/** Counters for status output and the global index. */
export interface QueueStatus {
  queued: number;
  processed: number;
  lastSeq: number;
  historyRows: number;
  headAvailableAt: number | null;
}

const SCHEMA_VERSION = 1;
const DDL: readonly string[] = [
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

type Row = Record<string, SqlValue>;

/** Durable FIFO + bounded history of one session. */
export class SessionQueue {
  readonly #sql: SqlPort;
  readonly #limits: QueueLimits;

  constructor(sql: SqlPort, limits: QueueLimits) {
    this.#sql = sql;
    this.#limits = limits;
  }

  /** Creates or upgrades the tables (idempotent; call inside blockConcurrencyWhile). */
  migrate(): void {
    for (const ddl of DDL) this.#sql.exec(ddl);
    const current = Number(this.#meta('schema_version') ?? 0);
    if (current > SCHEMA_VERSION) {
      throw new Error(`session storage schema v${current} is newer than this build (v${SCHEMA_VERSION}); upgrade edgeclaw`);
    }
    if (current < SCHEMA_VERSION) this.#setMeta('schema_version', String(SCHEMA_VERSION));
  }

  /** The session key this object serves, recorded on first enqueue. */
  sessionKey(): string | null {
    return this.#meta('session_key');
  }

  /** Records the session key; a different key for the same object is a routing bug and throws. */
  bindSessionKey(key: string): void {
    const existing = this.sessionKey();
    if (existing === null) this.#setMeta('session_key', key);
    else if (existing !== key) throw new Error(`session object bound to another key`);
  }

  /** Appends an item unless it is a duplicate or the queue is full. Caller must run this in a transaction. */
  enqueue(input: EnqueueInput, now: number): EnqueueResult {
    if (input.key !== undefined) {
      const seen = this.#sql.exec<Row>(`SELECT seq FROM idempotency WHERE item_key = ?`, input.key).toArray()[0];
      if (seen) return { status: 'duplicate', seq: Number(seen.seq) };
    }
    const queued = Number(this.#sql.exec<Row>(`SELECT COUNT(*) AS n FROM queue`).one().n);
    if (queued >= this.#limits.queueCap) return { status: 'rejected', reason: 'queue_full', cap: this.#limits.queueCap };
    const seq = this.#nextSeq();
    const availableAt = Math.max(now, input.availableAt ?? now);
    this.#sql.exec(
      `INSERT INTO queue (seq, item_key, text, enqueued_at, available_at) VALUES (?, ?, ?, ?, ?)`,
      seq, input.key ?? null, input.text, now, availableAt,
    );
    if (input.key !== undefined) {
      this.#sql.exec(`INSERT INTO idempotency (item_key, seq, at) VALUES (?, ?, ?)`, input.key, seq, now);
      this.#sql.exec(
        `DELETE FROM idempotency WHERE seq <= (SELECT seq FROM idempotency ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
        this.#limits.idempotencyCap,
      );
    }
    const head = this.head();
    return { status: 'queued', seq, position: queued + 1, wakeAt: head ? head.availableAt : availableAt };
  }

  /** The oldest queued item (due or not), or null when the queue is empty. */
  head(): QueuedItem | null {
    const row = this.#sql.exec<Row>(`SELECT * FROM queue ORDER BY seq LIMIT 1`).toArray()[0];
    return row ? toItem(row) : null;
  }

  /** Counts an attempt on an item before it is processed (so a crash-looping item is visible). */
  markAttempt(seq: number): void {
    this.#sql.exec(`UPDATE queue SET attempts = attempts + 1 WHERE seq = ?`, seq);
  }

  /**
   * Moves a processed item from the queue into history and prunes history to its caps.
   * Idempotent: completing an item twice (redelivery after a crash) changes nothing the second time.
   */
  complete(item: QueuedItem, role: string, text: string, now: number): void {
    // Already moved to history by an earlier completion: counting it again would inflate `processed`.
    if (this.#sql.exec<Row>(`SELECT 1 AS found FROM queue WHERE seq = ?`, item.seq).toArray().length === 0) return;
    const bytes = new TextEncoder().encode(text).byteLength;
    this.#sql.exec(
      `INSERT OR IGNORE INTO history (seq, item_key, role, text, bytes, enqueued_at, processed_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      item.seq, item.key, role, text, bytes, item.enqueuedAt, now,
    );
    this.#sql.exec(`DELETE FROM queue WHERE seq = ?`, item.seq);
    this.#incrementProcessed();
    this.#pruneHistory();
  }

  /** The newest `limit` history entries in order (oldest first). */
  history(limit: number): HistoryEntry[] {
    return this.#sql
      .exec<Row>(
        `SELECT * FROM (SELECT * FROM history ORDER BY seq DESC LIMIT ?) ORDER BY seq ASC`,
        Math.max(0, Math.floor(limit)),
      )
      .toArray()
      .map((r) => ({
        seq: Number(r.seq),
        key: r.item_key === null ? null : String(r.item_key),
        role: String(r.role),
        text: String(r.text),
        enqueuedAt: Number(r.enqueued_at),
        processedAt: Number(r.processed_at),
      }));
  }

  /** Queued items in order. */
  pending(limit: number): QueuedItem[] {
    return this.#sql.exec<Row>(`SELECT * FROM queue ORDER BY seq LIMIT ?`, limit).toArray().map(toItem);
  }

  /** Counters. */
  status(): QueueStatus {
    const q = this.#sql.exec<Row>(`SELECT COUNT(*) AS n, MIN(available_at) AS first FROM queue`).one();
    const h = this.#sql.exec<Row>(`SELECT COUNT(*) AS n FROM history`).one();
    const head = this.head();
    return {
      queued: Number(q.n),
      processed: Number(this.#meta('processed') ?? 0),
      lastSeq: Number(this.#meta('last_seq') ?? 0),
      historyRows: Number(h.n),
      headAvailableAt: head ? head.availableAt : null,
    };
  }

  #nextSeq(): number {
    const seq = Number(this.#meta('last_seq') ?? 0) + 1;
    this.#setMeta('last_seq', String(seq));
    return seq;
  }

  #incrementProcessed(): void {
    this.#setMeta('processed', String(Number(this.#meta('processed') ?? 0) + 1));
  }

  #pruneHistory(): void {
    const { historyCap, historyMaxBytes } = this.#limits;
    this.#sql.exec(
      `DELETE FROM history WHERE seq <= (SELECT seq FROM history ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
      historyCap,
    );
    // Keep the newest rows whose running byte total fits; the newest row always stays.
    this.#sql.exec(
      `DELETE FROM history WHERE seq < (
         SELECT COALESCE(MIN(seq), (SELECT MAX(seq) FROM history)) FROM (
           SELECT seq, SUM(bytes) OVER (ORDER BY seq DESC) AS running FROM history
         ) WHERE running <= ?
       ) AND seq < (SELECT MAX(seq) FROM history)`,
      historyMaxBytes,
    );
  }

  #meta(key: string): string | null {
    const row = this.#sql.exec<Row>(`SELECT value FROM session_meta WHERE key = ?`, key).toArray()[0];
    return row ? String(row.value) : null;
  }

  #setMeta(key: string, value: string): void {
    this.#sql.exec(
      `INSERT INTO session_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
      key, value,
    );
  }
}

function toItem(row: Row): QueuedItem {
  return {
    seq: Number(row.seq),
    key: row.item_key === null ? null : String(row.item_key),
    text: String(row.text),
    enqueuedAt: Number(row.enqueued_at),
    availableAt: Number(row.available_at),
    attempts: Number(row.attempts),
  };
}
