/**
 * The outbox: each rendered chunk of a reply is sent at most once per (reply key, chunk index). A retry
 * of the whole delivery (alarm retry, restart, redelivery) skips chunks already recorded as sent, so the
 * user never sees a duplicate. Only a crash between Telegram accepting a chunk and the record being
 * written can repeat that one chunk; the Bot API has no idempotency key to close that window.
 */
import type { DeliveryReport } from './envelope.ts';
import { withRetry, type Failure, type RetryClock, type RetryPolicy } from './retry.ts';

/** What the outbox remembers about one chunk. */
export interface OutboxRecord {
  readonly key: string;
  readonly chunk: number;
  readonly state: 'sent' | 'failed';
  readonly messageId: string | null;
  readonly attempts: number;
  readonly error: string | null;
  readonly at: number;
}

/** Storage of outbox records (a Durable Object's SQLite in production, memory in tests). */
export interface OutboxStore {
  get(key: string, chunk: number): OutboxRecord | null | Promise<OutboxRecord | null>;
  put(record: OutboxRecord): void | Promise<void>;
}

/** A bounded in-memory store: the oldest records are forgotten past `cap` (tests, one-shot CLI sends). */
export class MemoryOutboxStore implements OutboxStore {
  readonly #rows = new Map<string, OutboxRecord>();
  readonly #cap: number;
  constructor(cap = 10_000) {
    this.#cap = cap;
  }
  get(key: string, chunk: number): OutboxRecord | null {
    return this.#rows.get(`${chunk}|${key}`) ?? null;
  }
  put(record: OutboxRecord): void {
    const id = `${record.chunk}|${record.key}`;
    this.#rows.delete(id);
    this.#rows.set(id, record);
    while (this.#rows.size > this.#cap) this.#rows.delete(this.#rows.keys().next().value!);
  }
  /** Number of records held. */
  get size(): number {
    return this.#rows.size;
  }
}

/** The SQL surface used (`ctx.storage.sql` on both hosts). */
export interface OutboxSql {
  exec(query: string, ...bindings: (string | number | null)[]): { toArray(): Record<string, string | number | null | ArrayBuffer>[] };
}

/** Outbox rows in a Durable Object's own SQLite; `prune` keeps it bounded. */
export class SqlOutboxStore implements OutboxStore {
  readonly #sql: OutboxSql;
  constructor(sql: OutboxSql) {
    this.#sql = sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS channel_outbox (
      reply_key TEXT NOT NULL, chunk INTEGER NOT NULL, state TEXT NOT NULL, message_id TEXT,
      attempts INTEGER NOT NULL, error TEXT, at INTEGER NOT NULL, PRIMARY KEY (reply_key, chunk))`);
    sql.exec(`CREATE INDEX IF NOT EXISTS channel_outbox_at ON channel_outbox (at)`);
  }
  get(key: string, chunk: number): OutboxRecord | null {
    const row = this.#sql.exec(`SELECT * FROM channel_outbox WHERE reply_key = ? AND chunk = ?`, key, chunk).toArray()[0];
    if (!row) return null;
    return {
      key,
      chunk,
      state: row.state === 'sent' ? 'sent' : 'failed',
      messageId: row.message_id === null ? null : String(row.message_id),
      attempts: Number(row.attempts),
      error: row.error === null ? null : String(row.error),
      at: Number(row.at),
    };
  }
  put(r: OutboxRecord): void {
    this.#sql.exec(
      `INSERT INTO channel_outbox (reply_key, chunk, state, message_id, attempts, error, at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (reply_key, chunk) DO UPDATE SET state = excluded.state, message_id = excluded.message_id,
       attempts = channel_outbox.attempts + excluded.attempts, error = excluded.error, at = excluded.at`,
      r.key, r.chunk, r.state, r.messageId, r.attempts, r.error, r.at,
    );
  }
  /** Deletes rows older than `before` (ms) and keeps at most `cap` rows; returns how many were removed. */
  prune(before: number, cap: number): number {
    const a = this.#sql.exec(`DELETE FROM channel_outbox WHERE at < ? RETURNING chunk`, before).toArray().length;
    const b = this.#sql
      .exec(`DELETE FROM channel_outbox WHERE rowid IN (SELECT rowid FROM channel_outbox ORDER BY at DESC LIMIT -1 OFFSET ?) RETURNING chunk`, cap)
      .toArray().length;
    return a + b;
  }
}

/** Inputs of one delivery. */
export interface DeliverChunksOptions {
  /** Stable key of the reply (e.g. `<sessionKey>#<runId>`). */
  readonly key: string;
  readonly chunks: readonly string[];
  readonly store: OutboxStore;
  /** Sends chunk `index` once; resolves to the channel message id. */
  send(chunk: string, index: number): Promise<string>;
  classify(err: unknown): Failure;
  readonly policy?: RetryPolicy;
  readonly clock?: RetryClock;
  readonly now?: () => number;
  readonly signal?: AbortSignal;
}

/**
 * Sends `chunks` in order, each at most once per key; stops at the first chunk that fails after its
 * retry budget (later chunks are not sent out of order). Calling it again resumes where it stopped.
 * @example await deliverChunks({ key, chunks, store, send, classify: classifyTelegramError })
 */
export async function deliverChunks(opts: DeliverChunksOptions): Promise<DeliveryReport> {
  const now = opts.now ?? Date.now;
  const ids: string[] = [];
  let sentNow = 0;
  let alreadySent = 0;
  for (let i = 0; i < opts.chunks.length; i++) {
    const prior = await opts.store.get(opts.key, i);
    if (prior?.state === 'sent') {
      alreadySent++;
      if (prior.messageId) ids.push(prior.messageId);
      continue;
    }
    const chunk = opts.chunks[i]!;
    const outcome = await withRetry(() => opts.send(chunk, i), opts.classify, {
      ...(opts.policy ? { policy: opts.policy } : {}),
      ...(opts.clock ? { clock: opts.clock } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (outcome.ok) {
      await opts.store.put({ key: opts.key, chunk: i, state: 'sent', messageId: outcome.value, attempts: outcome.attempts, error: null, at: now() });
      ids.push(outcome.value);
      sentNow++;
      continue;
    }
    const error = `${outcome.failure.kind}: ${outcome.failure.message}`;
    await opts.store.put({ key: opts.key, chunk: i, state: 'failed', messageId: null, attempts: outcome.attempts, error, at: now() });
    const status = sentNow + alreadySent > 0 ? 'partial' : 'failed';
    return { status, chunks: opts.chunks.length, sentNow, alreadySent, messageIds: ids, error };
  }
  return { status: 'sent', chunks: opts.chunks.length, sentNow, alreadySent, messageIds: ids };
}
