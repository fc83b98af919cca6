/**
 * The webhook inbox of one Telegram account, in the account's TelegramPollerDO SQLite: the webhook answers
 * 200 once the raw update is one committed row here (deduplicated by `update_id`), and the object's alarm
 * hands the rows to the sessions afterwards, oldest first, one chat at a time in order. A handed-off row
 * keeps its `update_id` (without the body) for a while, so a redelivery after the hand-off is still a
 * duplicate; the sessions' idempotency keys catch the rest (a crash between hand-off and completion).
 */
import type { SqlPort } from '../../scheduler/session-queue.ts';

/** How long a handed-off update id is remembered for deduplication. */
export const INBOX_DONE_TTL_MS = 24 * 60 * 60 * 1000;
/** Default cap of pending (accepted, not yet handed off) updates per account. */
export const DEFAULT_INBOX_CAP = 10_000;

/** What `accept` did with an update. */
export type InboxAcceptResult = { readonly status: 'accepted' | 'duplicate' } | { readonly status: 'full'; readonly cap: number };

/** A pending update. */
export interface InboxRow {
  readonly updateId: number;
  readonly body: string;
  readonly attempts: number;
}

const DDL = [
  `CREATE TABLE IF NOT EXISTS tg_inbox (update_id INTEGER PRIMARY KEY, body TEXT NOT NULL, received_at INTEGER NOT NULL, done_at INTEGER, attempts INTEGER NOT NULL DEFAULT 0)`,
  `CREATE INDEX IF NOT EXISTS tg_inbox_pending ON tg_inbox (done_at, update_id)`,
];

/** The inbox table of one account (synchronous SQL: each call is atomic). */
export class TelegramInbox {
  readonly #sql: SqlPort;
  readonly #cap: number;
  /** Pending rows, counted once from storage and then kept in step (the cap check needs no query). */
  #pending: number | null = null;
  /** Completions since the last prune, and when it ran (pruning runs now and then, not per update). */
  #sincePrune = 0;
  #prunedAt = 0;

  constructor(sql: SqlPort, cap: number = DEFAULT_INBOX_CAP) {
    this.#sql = sql;
    this.#cap = cap;
  }

  /** Creates the table (idempotent). */
  migrate(): void {
    for (const ddl of DDL) this.#sql.exec(ddl);
  }

  /**
   * Records an update once: `duplicate` when its id is known (pending or handed off), `full` at the cap.
   * @example inbox.accept(42, rawBody, Date.now()).status === 'accepted'
   */
  accept(updateId: number, body: string, now: number): InboxAcceptResult {
    if (this.#sql.exec(`SELECT 1 AS x FROM tg_inbox WHERE update_id = ?`, updateId).toArray().length > 0) return { status: 'duplicate' };
    if (this.pendingCount() >= this.#cap) return { status: 'full', cap: this.#cap };
    this.#sql.exec(`INSERT INTO tg_inbox (update_id, body, received_at) VALUES (?, ?, ?)`, updateId, body, now);
    this.#pending = this.pendingCount() + 1;
    return { status: 'accepted' };
  }

  /** Number of pending updates. */
  pendingCount(): number {
    this.#pending ??= Number(this.#sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM tg_inbox WHERE done_at IS NULL`).one().n);
    return this.#pending;
  }

  /** The oldest `limit` pending updates, by update_id. */
  pending(limit: number): InboxRow[] {
    return this.#sql
      .exec<{ update_id: number; body: string; attempts: number }>(`SELECT update_id, body, attempts FROM tg_inbox WHERE done_at IS NULL ORDER BY update_id LIMIT ?`, limit)
      .toArray()
      .map((r) => ({ updateId: Number(r.update_id), body: r.body, attempts: Number(r.attempts) }));
  }

  /** Marks a pending update (one `pending` returned) handed off: its body is dropped, its id kept for deduplication. */
  complete(updateId: number, now: number): void {
    this.#sql.exec(`UPDATE tg_inbox SET done_at = ?, body = '' WHERE update_id = ? AND done_at IS NULL`, now, updateId);
    if (this.#pending !== null) this.#pending = Math.max(0, this.#pending - 1);
    this.#sincePrune++;
  }

  /** Counts a failed hand-off that was specific to this update (it stays pending); returns the new count. */
  failed(updateId: number): number {
    this.#sql.exec(`UPDATE tg_inbox SET attempts = attempts + 1 WHERE update_id = ?`, updateId);
    return Number(this.#sql.exec<{ n: number }>(`SELECT attempts AS n FROM tg_inbox WHERE update_id = ?`, updateId).toArray()[0]?.n ?? 0);
  }

  /** Number of handed-off ids remembered for deduplication. */
  doneCount(): number {
    return Number(this.#sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM tg_inbox WHERE done_at IS NOT NULL`).one().n);
  }

  /**
   * Prunes when a tenth of `cap` ids were handed off since the last prune, or a minute passed: the dedupe
   * memory stays under 1.1 × cap ids.
   */
  maybePrune(now: number): void {
    if (this.#sincePrune >= Math.ceil(this.#cap / 10) || now - this.#prunedAt >= 60_000) this.prune(now);
  }

  /** Forgets handed-off ids older than the TTL and beyond the newest `cap` (the dedupe memory is bounded too). */
  prune(now: number): void {
    this.#sincePrune = 0;
    this.#prunedAt = now;
    this.#sql.exec(
      `DELETE FROM tg_inbox WHERE done_at IS NOT NULL AND (done_at < ? OR update_id < (SELECT update_id FROM tg_inbox WHERE done_at IS NOT NULL ORDER BY update_id DESC LIMIT 1 OFFSET ?))`,
      now - INBOX_DONE_TTL_MS,
      this.#cap - 1,
    );
  }
}

/** Failed hand-offs of one update, each while other updates went through, before it is set aside. */
export const DEFAULT_MAX_ATTEMPTS = 5;

/** Options of one drain. */
export interface DrainOptions {
  /** Rows read per round. */
  readonly batch?: number;
  /** Row-specific failures before an update is set aside (see drainInbox). */
  readonly maxAttempts?: number;
  /** Told about each update set aside, with the last error. */
  readonly onSetAside?: (row: InboxRow, err: unknown) => void;
  /** Chats handed off at once (each chat's updates stay in order). */
  readonly concurrency?: number;
  readonly now?: () => number;
}

/** What one drain did. */
export interface DrainResult {
  readonly handled: number;
  /** Updates whose hand-off threw (left pending for the next drain). */
  readonly failed: number;
  /** Updates set aside after `maxAttempts` row-specific failures (no longer retried). */
  readonly setAside: number;
}

/**
 * Hands pending updates to `handle` until the inbox is empty or a hand-off throws. Updates of one chat
 * (`chatOf`) go one after another in update_id order; different chats go concurrently. A throw leaves
 * that update and the rest of its chat pending and ends the drain after the current round (the caller
 * retries later with a backoff).
 *
 * A failure counts against the update only when other updates of the same round went through: then the
 * fault is the update's, not an outage. After `maxAttempts` such failures the update is set aside (marked
 * handed off, reported through `onSetAside`), so one update that can never be handed off does not hold
 * back its chat, or the inbox, forever. During an outage nothing counts and nothing is set aside.
 * @example const r = await drainInbox(inbox, (row) => handOff(row), (row) => chatKeyOf(row.body))
 */
export async function drainInbox(inbox: TelegramInbox, handle: (row: InboxRow) => Promise<void>, chatOf: (row: InboxRow) => string, opts: DrainOptions = {}): Promise<DrainResult> {
  const batch = opts.batch ?? 64;
  const concurrency = Math.max(1, opts.concurrency ?? 8);
  const now = opts.now ?? Date.now;
  const maxAttempts = Math.max(1, opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  let handled = 0;
  let failed = 0;
  let setAside = 0;
  while (failed === 0) {
    const rows = inbox.pending(batch);
    if (rows.length === 0) break;
    const chats = new Map<string, InboxRow[]>();
    for (const row of rows) {
      const key = chatOf(row);
      const list = chats.get(key);
      if (list) list.push(row);
      else chats.set(key, [row]);
    }
    const queue = [...chats.values()];
    const failures: { row: InboxRow; err: unknown }[] = [];
    const handledBefore = handled;
    const worker = async () => {
      for (let chat = queue.shift(); chat; chat = queue.shift()) {
        for (const row of chat) {
          try {
            await handle(row);
          } catch (err) {
            failures.push({ row, err });
            break;
          }
          inbox.complete(row.updateId, now());
          handled++;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
    if (handled === handledBefore) {
      // Nothing went through: an outage, not these updates' fault.
      failed += failures.length;
      continue;
    }
    for (const { row, err } of failures) {
      if (inbox.failed(row.updateId) < maxAttempts) {
        failed++;
        continue;
      }
      // Set aside: its chat (and the drain) go on without it.
      inbox.complete(row.updateId, now());
      setAside++;
      opts.onSetAside?.(row, err);
    }
  }
  inbox.maybePrune(now());
  return { handled, failed, setAside };
}
