/**
 * DM pairing rows in the global registry (D1 on Workers, SQLite on Node): pending requests with a code,
 * and approved senders. D1 has no interactive transactions, so every step that must be atomic is one
 * statement (`INSERT … SELECT … WHERE count < cap ON CONFLICT DO NOTHING RETURNING`, `DELETE … RETURNING`).
 */
import type { DbBinding } from '../../env.ts';

/** One pending request. */
export interface PairingRequestRow {
  readonly channel: string;
  readonly account: string;
  readonly senderId: string;
  readonly code: string;
  readonly username: string | null;
  readonly displayName: string | null;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly notifiedAt: number;
}

/** One approved sender. */
export interface ApprovedSenderRow {
  readonly channel: string;
  readonly account: string;
  readonly senderId: string;
  readonly username: string | null;
  readonly approvedAt: number;
  readonly approvedBy: string;
  readonly code: string | null;
  readonly isOwner: boolean;
  readonly noticeState: 'sent' | 'failed' | null;
  readonly noticeMessageId: string | null;
  readonly noticeAttempts: number;
  readonly noticeError: string | null;
}

type Raw = Record<string, unknown>;
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function requestOf(r: Raw): PairingRequestRow {
  return {
    channel: String(r.channel),
    account: String(r.account),
    senderId: String(r.sender_id),
    code: String(r.code),
    username: str(r.username),
    displayName: str(r.display_name),
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    notifiedAt: Number(r.notified_at),
  };
}

function approvedOf(r: Raw): ApprovedSenderRow {
  return {
    channel: String(r.channel),
    account: String(r.account),
    senderId: String(r.sender_id),
    username: str(r.username),
    approvedAt: Number(r.approved_at),
    approvedBy: String(r.approved_by),
    code: str(r.code),
    isOwner: Number(r.is_owner) === 1,
    noticeState: r.notice_state === 'sent' || r.notice_state === 'failed' ? r.notice_state : null,
    noticeMessageId: str(r.notice_message_id),
    noticeAttempts: Number(r.notice_attempts ?? 0),
    noticeError: str(r.notice_error),
  };
}

/** Longest free-text field stored (usernames, display names, approver ids). */
const FIELD_MAX = 128;
const cut = (s: string | undefined | null): string | null => (s ? s.slice(0, FIELD_MAX) : null);

/**
 * Raw pairing storage. Callers pass `now` so expiry is deterministic in tests.
 * @example const repo = new PairingRepo(env.DB); await repo.pending('telegram', 'default', Date.now())
 */
export class PairingRepo {
  readonly #db: DbBinding;
  constructor(db: DbBinding) {
    this.#db = db;
  }

  /** Deletes expired requests of one account (or every account when `account` is null); returns how many. */
  async purgeExpired(channel: string, account: string | null, now: number): Promise<number> {
    const r = account === null
      ? await this.#db.prepare('DELETE FROM channel_pairing_requests WHERE channel = ? AND expires_at <= ?').bind(channel, now).run()
      : await this.#db.prepare('DELETE FROM channel_pairing_requests WHERE channel = ? AND account = ? AND expires_at <= ?').bind(channel, account, now).run();
    return r.meta.changes ?? 0;
  }

  /** The live (unexpired) request of a sender, if any. */
  async requestOf(channel: string, account: string, senderId: string, now: number): Promise<PairingRequestRow | null> {
    const r = await this.#db
      .prepare('SELECT * FROM channel_pairing_requests WHERE channel = ? AND account = ? AND sender_id = ? AND expires_at > ?')
      .bind(channel, account, senderId, now)
      .first<Raw>();
    return r ? requestOf(r) : null;
  }

  /** Live requests, oldest first (`channel`/`account` narrow it; null = all). */
  async pending(channel: string | null, account: string | null, now: number, limit = 500): Promise<PairingRequestRow[]> {
    const r = await this.#db
      .prepare(
        `SELECT * FROM channel_pairing_requests WHERE expires_at > ?1 AND (?2 IS NULL OR channel = ?2) AND (?3 IS NULL OR account = ?3)
         ORDER BY created_at, sender_id LIMIT ?4`,
      )
      .bind(now, channel, account, limit)
      .all<Raw>();
    return r.results.map(requestOf);
  }

  /** Number of live requests of an account. */
  async countPending(channel: string, account: string, now: number): Promise<number> {
    const r = await this.#db
      .prepare('SELECT COUNT(*) AS n FROM channel_pairing_requests WHERE channel = ? AND account = ? AND expires_at > ?')
      .bind(channel, account, now)
      .first<{ n: number }>();
    return Number(r?.n ?? 0);
  }

  /**
   * Inserts a request unless the account already has `cap` live ones, the sender has one, or the code is
   * taken: all in one statement, so concurrent senders cannot push the account past its cap.
   * Returns the row when it was inserted, else null.
   */
  async insertIfRoom(row: PairingRequestRow, cap: number): Promise<PairingRequestRow | null> {
    const r = await this.#db
      .prepare(
        `INSERT INTO channel_pairing_requests (channel, account, sender_id, code, username, display_name, created_at, expires_at, notified_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9
         WHERE (SELECT COUNT(*) FROM channel_pairing_requests WHERE channel = ?1 AND account = ?2 AND expires_at > ?7) < ?10
         ON CONFLICT DO NOTHING RETURNING *`,
      )
      .bind(row.channel, row.account, row.senderId, row.code, cut(row.username), cut(row.displayName), row.createdAt, row.expiresAt, row.notifiedAt, cap)
      .all<Raw>();
    const first = r.results[0];
    return first ? requestOf(first) : null;
  }

  /** Claims the right to re-send the code: true when `notified_at` was at or before `before` (then set to `now`). */
  async claimNotice(channel: string, account: string, senderId: string, before: number, now: number): Promise<boolean> {
    const r = await this.#db
      .prepare('UPDATE channel_pairing_requests SET notified_at = ? WHERE channel = ? AND account = ? AND sender_id = ? AND notified_at <= ? AND expires_at > ?')
      .bind(now, channel, account, senderId, before, now)
      .run();
    return (r.meta.changes ?? 0) > 0;
  }

  /** Finds a live request by code (any account when `account` is null). */
  async findByCode(channel: string, account: string | null, code: string, now: number): Promise<PairingRequestRow | null> {
    const r = await this.#db
      .prepare('SELECT * FROM channel_pairing_requests WHERE channel = ?1 AND code = ?2 AND (?3 IS NULL OR account = ?3) AND expires_at > ?4')
      .bind(channel, code, account, now)
      .first<Raw>();
    return r ? requestOf(r) : null;
  }

  /** Finds a request by code even when expired (to tell "expired" from "unknown"). */
  async findAnyByCode(channel: string, account: string | null, code: string): Promise<PairingRequestRow | null> {
    const r = await this.#db
      .prepare('SELECT * FROM channel_pairing_requests WHERE channel = ?1 AND code = ?2 AND (?3 IS NULL OR account = ?3)')
      .bind(channel, code, account)
      .first<Raw>();
    return r ? requestOf(r) : null;
  }

  /** Removes a live request by code; the removed row, or null when another caller took it first. */
  async takeByCode(channel: string, account: string, code: string, now: number): Promise<PairingRequestRow | null> {
    const r = await this.#db
      .prepare('DELETE FROM channel_pairing_requests WHERE channel = ? AND account = ? AND code = ? AND expires_at > ? RETURNING *')
      .bind(channel, account, code, now)
      .all<Raw>();
    const first = r.results[0];
    return first ? requestOf(first) : null;
  }

  /** Whether the sender is approved. */
  async isApproved(channel: string, account: string, senderId: string): Promise<boolean> {
    const r = await this.#db
      .prepare('SELECT 1 AS ok FROM channel_pairing_approved WHERE channel = ? AND account = ? AND sender_id = ?')
      .bind(channel, account, senderId)
      .first<Raw>();
    return r !== null;
  }

  /** One approved sender. */
  async approvedOf(channel: string, account: string, senderId: string): Promise<ApprovedSenderRow | null> {
    const r = await this.#db.prepare('SELECT * FROM channel_pairing_approved WHERE channel = ? AND account = ? AND sender_id = ?').bind(channel, account, senderId).first<Raw>();
    return r ? approvedOf(r) : null;
  }

  /** The approval that consumed `code`, if any. */
  async approvedByCode(channel: string, account: string | null, code: string): Promise<ApprovedSenderRow | null> {
    const r = await this.#db
      .prepare('SELECT * FROM channel_pairing_approved WHERE channel = ?1 AND code = ?2 AND (?3 IS NULL OR account = ?3)')
      .bind(channel, code, account)
      .first<Raw>();
    return r ? approvedOf(r) : null;
  }

  /** Approved senders, oldest first. */
  async approved(channel: string | null, account: string | null, limit = 1000): Promise<ApprovedSenderRow[]> {
    const r = await this.#db
      .prepare('SELECT * FROM channel_pairing_approved WHERE (?1 IS NULL OR channel = ?1) AND (?2 IS NULL OR account = ?2) ORDER BY approved_at, sender_id LIMIT ?3')
      .bind(channel, account, limit)
      .all<Raw>();
    return r.results.map(approvedOf);
  }

  /** Number of approved senders of an account. */
  async countApproved(channel: string, account: string): Promise<number> {
    const r = await this.#db.prepare('SELECT COUNT(*) AS n FROM channel_pairing_approved WHERE channel = ? AND account = ?').bind(channel, account).first<{ n: number }>();
    return Number(r?.n ?? 0);
  }

  /** The account's owner recorded by pairing, if any. */
  async ownerOf(channel: string, account: string): Promise<ApprovedSenderRow | null> {
    const r = await this.#db.prepare('SELECT * FROM channel_pairing_approved WHERE channel = ? AND account = ? AND is_owner = 1 LIMIT 1').bind(channel, account).first<Raw>();
    return r ? approvedOf(r) : null;
  }

  /**
   * Records an approval (idempotent per sender; an existing row is kept). `asOwner` marks it as the
   * owner only while the account has none, in the same statement.
   */
  async approve(row: { channel: string; account: string; senderId: string; username: string | null; approvedAt: number; approvedBy: string; code: string | null; asOwner: boolean }): Promise<ApprovedSenderRow> {
    await this.#db
      .prepare(
        `INSERT INTO channel_pairing_approved (channel, account, sender_id, username, approved_at, approved_by, code, is_owner)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,
           CASE WHEN ?8 = 1 AND NOT EXISTS (SELECT 1 FROM channel_pairing_approved WHERE channel = ?1 AND account = ?2 AND is_owner = 1) THEN 1 ELSE 0 END)
         ON CONFLICT DO NOTHING`,
      )
      .bind(row.channel, row.account, row.senderId, cut(row.username), row.approvedAt, cut(row.approvedBy) ?? 'operator', row.code, row.asOwner ? 1 : 0)
      .run();
    const stored = await this.approvedOf(row.channel, row.account, row.senderId);
    if (!stored) throw new Error('pairing approval was not stored');
    return stored;
  }

  /** Removes an approved sender; the removed row or null. */
  async revoke(channel: string, account: string, senderId: string): Promise<ApprovedSenderRow | null> {
    const r = await this.#db.prepare('DELETE FROM channel_pairing_approved WHERE channel = ? AND account = ? AND sender_id = ? RETURNING *').bind(channel, account, senderId).all<Raw>();
    const first = r.results[0];
    return first ? approvedOf(first) : null;
  }

  /** Records the approval notice's outcome (the outbox record of that one message). */
  async recordNotice(channel: string, account: string, senderId: string, n: { state: 'sent' | 'failed'; messageId: string | null; attempts: number; error: string | null; at: number }): Promise<void> {
    await this.#db
      .prepare(
        `UPDATE channel_pairing_approved SET notice_state = ?, notice_message_id = ?, notice_attempts = notice_attempts + ?, notice_error = ?, notice_at = ?
         WHERE channel = ? AND account = ? AND sender_id = ?`,
      )
      .bind(n.state, n.messageId, n.attempts, n.error ? n.error.slice(0, 500) : null, n.at, channel, account, senderId)
      .run();
  }
}
