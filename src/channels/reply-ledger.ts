/**
 * The reply ledger: one row per channel reply a run owes, in the session's own SQLite (next to the
 * outbox). A row is opened when a channel turn starts, holds the streaming draft's message id once
 * one is sent, and is closed when the reply (or the error notice) is delivered. A run a restart
 * interrupts leaves its row open; the session marks it `interrupted` when it recovers, and the
 * interrupted rows are then settled (the draft finalised with a notice, or the notice sent) and
 * closed. So a crash never leaves an extra draft or a silent user behind, except in one window: a
 * crash between Telegram accepting the draft and its id being written here (the Bot API has no
 * idempotency key), the same window the outbox has for a chunk.
 */
import type { OutboxSql } from './outbox.ts';

/** States of a ledger row. */
export type LedgerState = 'open' | 'interrupted' | 'closed';

/** One reply a run owes. */
export interface LedgerRow {
  /** `<sessionKey>#<gateway run id>`: the outbox key of the reply. */
  readonly replyKey: string;
  /** The scheduler's run id (what recovery reports). */
  readonly runId: string;
  /** `formatReplyTarget` of where the reply goes (with the message to quote). */
  readonly target: string;
  readonly draftId: string | null;
  readonly state: LedgerState;
  /** Settle attempts made for an interrupted row. */
  readonly attempts: number;
  readonly at: number;
}

/** Closed rows kept at most (the oldest are pruned first); open rows always stay. */
export const LEDGER_CAP = 500;
/** Settle attempts before an interrupted row is given up (closed with the failure logged). */
export const MAX_SETTLE_ATTEMPTS = 5;

const toRow = (r: Record<string, string | number | null | ArrayBuffer>): LedgerRow => ({
  replyKey: String(r.reply_key),
  runId: String(r.run_id),
  target: String(r.target),
  draftId: r.draft_id === null ? null : String(r.draft_id),
  state: String(r.state) as LedgerState,
  attempts: Number(r.attempts),
  at: Number(r.at),
});

/** The ledger over a Durable Object's SQLite. */
export class ReplyLedger {
  readonly #sql: OutboxSql;
  readonly #cap: number;

  constructor(sql: OutboxSql, cap = LEDGER_CAP) {
    this.#sql = sql;
    this.#cap = cap;
    sql.exec(`CREATE TABLE IF NOT EXISTS channel_replies (
      reply_key TEXT PRIMARY KEY, run_id TEXT NOT NULL, target TEXT NOT NULL, draft_id TEXT,
      state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, at INTEGER NOT NULL)`);
    sql.exec(`CREATE INDEX IF NOT EXISTS channel_replies_state ON channel_replies (state, at)`);
  }

  /**
   * Opens the row of a reply, or returns the existing one (a resumed run keeps its draft; a closed row
   * stays closed, so a rerun after delivery does not draft again).
   * @example const row = ledger.open('s#r1', 'run-1', 'telegram:default:42', Date.now())
   */
  open(replyKey: string, runId: string, target: string, now: number): LedgerRow {
    this.#sql.exec(
      `INSERT INTO channel_replies (reply_key, run_id, target, state, at) VALUES (?, ?, ?, 'open', ?)
       ON CONFLICT (reply_key) DO UPDATE SET run_id = excluded.run_id, state = CASE WHEN state = 'closed' THEN 'closed' ELSE 'open' END`,
      replyKey, runId, target, now,
    );
    this.#prune();
    return this.get(replyKey)!;
  }

  /** The row of `replyKey`, or null. */
  get(replyKey: string): LedgerRow | null {
    const r = this.#sql.exec(`SELECT * FROM channel_replies WHERE reply_key = ?`, replyKey).toArray()[0];
    return r ? toRow(r) : null;
  }

  /** Records the streaming draft's message id (before any edit of it, so recovery can find it). */
  setDraft(replyKey: string, draftId: string | null): void {
    this.#sql.exec(`UPDATE channel_replies SET draft_id = ? WHERE reply_key = ?`, draftId, replyKey);
  }

  /** Marks the reply delivered (or settled); the draft, if any, is final now. */
  close(replyKey: string, now: number): void {
    this.#sql.exec(`UPDATE channel_replies SET state = 'closed', at = ? WHERE reply_key = ?`, now, replyKey);
  }

  /** Marks the open rows of runs a restart interrupted; returns how many rows now wait to be settled. */
  markInterrupted(runIds: readonly string[]): number {
    for (const id of runIds) this.#sql.exec(`UPDATE channel_replies SET state = 'interrupted' WHERE run_id = ? AND state = 'open'`, id);
    return this.interrupted().length;
  }

  /** Rows waiting to be settled, oldest first. */
  interrupted(limit = 50): LedgerRow[] {
    return this.#sql.exec(`SELECT * FROM channel_replies WHERE state = 'interrupted' ORDER BY at LIMIT ?`, limit).toArray().map(toRow);
  }

  /** Counts one failed settle attempt. */
  recordAttempt(replyKey: string): void {
    this.#sql.exec(`UPDATE channel_replies SET attempts = attempts + 1 WHERE reply_key = ?`, replyKey);
  }

  #prune(): void {
    this.#sql.exec(
      `DELETE FROM channel_replies WHERE rowid IN (SELECT rowid FROM channel_replies WHERE state = 'closed' ORDER BY at DESC LIMIT -1 OFFSET ?)`,
      this.#cap,
    );
  }
}
