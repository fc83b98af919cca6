/**
 * A session's bounded history over its SQLite: appends (tool results truncated first), compaction of
 * the oldest rows into one summary row when over the row or byte cap, cursor paging, forced compaction,
 * and reset (archive, bounded, then start fresh). Callers run mutations inside a transaction.
 */
import type { Row, SqlPort } from './session-schema.ts';
import { byteLength, compactionText, planCompaction, truncateToolResult } from './text.ts';

/** History bounds of one session. */
export interface HistoryLimits {
  /** Rows kept; beyond it the oldest fold into a summary row. */
  readonly historyCap: number;
  /** Text bytes kept; beyond it the oldest fold into a summary row (the newest row always stays). */
  readonly historyMaxBytes: number;
  /** Tool results longer than this are truncated before storage. */
  readonly toolResultMaxBytes: number;
}

/** Roles of history rows: messages, plus `system` notices and `summary` rows made by compaction. */
export type HistoryRole = 'user' | 'assistant' | 'tool' | 'system' | 'summary';

/** A history row as readers see it. */
export interface HistoryEntry {
  id: number;
  /** The item seq for user turns; null for assistant, tool, system and summary rows. */
  seq: number | null;
  runId: string | null;
  key: string | null;
  role: HistoryRole;
  text: string;
  enqueuedAt: number;
  processedAt: number;
}

/** A row to append. */
export interface NewEntry {
  seq?: number | null;
  runId?: string | null;
  key?: string | null;
  role: HistoryRole;
  text: string;
  enqueuedAt?: number;
}

/** One page, oldest first; `nextCursor` pages towards older rows (null when there are none). */
export interface HistoryPage {
  entries: HistoryEntry[];
  nextCursor: string | null;
}

/** Largest page `page()` returns. */
export const MAX_HISTORY_PAGE = 1000;
/** Largest compaction summary row (bytes). */
const SUMMARY_MAX_BYTES = 2048;

/** Bounded history of one session. */
export class SessionHistory {
  readonly #sql: SqlPort;
  readonly #limits: HistoryLimits;

  constructor(sql: SqlPort, limits: HistoryLimits) {
    this.#sql = sql;
    this.#limits = limits;
  }

  /** Appends rows in order, then compacts to the caps. */
  append(entries: readonly NewEntry[], now: number): void {
    for (const e of entries) {
      const text = e.role === 'tool' ? truncateToolResult(e.text, this.#limits.toolResultMaxBytes) : e.text;
      this.#sql.exec(
        `INSERT INTO history (seq, run_id, item_key, role, text, bytes, enqueued_at, processed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        e.seq ?? null, e.runId ?? null, e.key ?? null, e.role, text, byteLength(text), e.enqueuedAt ?? now, now,
      );
    }
    this.#compactTo(this.#limits.historyCap, this.#limits.historyMaxBytes, now);
  }

  /** Folds all but the newest `keep` rows into one summary row (sessions.compact). Returns rows folded. */
  compact(keep: number, now: number): number {
    const rows = this.count();
    const fold = rows - Math.max(1, keep);
    if (fold < 2) return 0;
    this.#fold(fold, now);
    return fold;
  }

  /** Moves every row to the archive under `epoch` (bounded to historyCap archived rows) and starts fresh. */
  archiveAll(epoch: number, now: number): number {
    const n = this.count();
    this.#sql.exec(
      `INSERT INTO history_archive (epoch, seq, run_id, role, text, bytes, processed_at, archived_at)
       SELECT ?, seq, run_id, role, text, bytes, processed_at, ? FROM history ORDER BY id`,
      epoch, now,
    );
    this.#sql.exec(`DELETE FROM history`);
    this.#sql.exec(
      `DELETE FROM history_archive WHERE id <= (SELECT id FROM history_archive ORDER BY id DESC LIMIT 1 OFFSET ?)`,
      this.#limits.historyCap,
    );
    return n;
  }

  /** Rows now held. */
  count(): number {
    return Number(this.#sql.exec<Row>(`SELECT COUNT(*) AS n FROM history`).one().n);
  }

  /** Archived rows now held. */
  archivedCount(): number {
    return Number(this.#sql.exec<Row>(`SELECT COUNT(*) AS n FROM history_archive`).one().n);
  }

  /** Replaces the text of the user row `seq` (a prompt the defender withheld): the original never reaches a later context. */
  redactUser(seq: number, note: string): void {
    this.#sql.exec(`UPDATE history SET text = ?, bytes = ? WHERE seq = ? AND role = 'user'`, note, byteLength(note), seq);
  }

  /** Text bytes now held. */
  bytes(): number {
    return Number(this.#sql.exec<Row>(`SELECT COALESCE(SUM(bytes), 0) AS n FROM history`).one().n);
  }

  /** The newest `limit` rows older than `cursor` (all rows when null), oldest first. */
  page(limit: number, cursor: string | null): HistoryPage {
    const n = Math.max(1, Math.min(MAX_HISTORY_PAGE, Math.floor(limit)));
    const before = cursor === null ? Number.MAX_SAFE_INTEGER : decodeCursor(cursor);
    const rows = this.#sql
      .exec<Row>(`SELECT * FROM history WHERE id < ? ORDER BY id DESC LIMIT ?`, before, n + 1)
      .toArray();
    const more = rows.length > n;
    const entries = rows.slice(0, n).reverse().map(toEntry);
    return { entries, nextCursor: more && entries.length > 0 ? encodeCursor(entries[0]!.id) : null };
  }

  #compactTo(cap: number, maxBytes: number, now: number): void {
    const rows = this.#sql.exec<Row>(`SELECT bytes, weight FROM history ORDER BY id`).toArray();
    const budget = Math.min(SUMMARY_MAX_BYTES, Math.floor(maxBytes / 4));
    const plan = planCompaction(rows.map((r) => ({ bytes: Number(r.bytes), weight: Number(r.weight) })), cap, maxBytes, budget);
    if (plan.fold === 0) return;
    if (plan.summary) this.#fold(plan.fold, now, budget);
    else this.#sql.exec(`DELETE FROM history WHERE id IN (SELECT id FROM history ORDER BY id LIMIT ?)`, plan.fold);
  }

  /** Replaces the oldest `n` rows by one summary row that takes the first folded row's id (keeps order). */
  #fold(n: number, now: number, maxBytes = SUMMARY_MAX_BYTES): void {
    const rows = this.#sql.exec<Row>(`SELECT id, role, text, weight, enqueued_at FROM history ORDER BY id LIMIT ?`, n).toArray();
    if (rows.length === 0) return;
    const text = compactionText(rows.map((r) => ({ role: String(r.role), text: String(r.text), weight: Number(r.weight) })), maxBytes);
    const weight = rows.reduce((s, r) => s + Number(r.weight), 0);
    const firstId = Number(rows[0]!.id);
    this.#sql.exec(`DELETE FROM history WHERE id <= ?`, Number(rows[rows.length - 1]!.id));
    this.#sql.exec(
      `INSERT INTO history (id, seq, run_id, item_key, role, text, bytes, weight, enqueued_at, processed_at) VALUES (?, NULL, NULL, NULL, 'summary', ?, ?, ?, ?, ?)`,
      firstId, text, byteLength(text), weight, Number(rows[0]!.enqueued_at), now,
    );
  }
}

function encodeCursor(id: number): string {
  return `h${id.toString(36)}`;
}

/** Parses a cursor; a malformed one is a caller error. */
function decodeCursor(cursor: string): number {
  const m = /^h([0-9a-z]{1,11})$/.exec(cursor);
  if (!m) throw new RangeError('invalid history cursor');
  return parseInt(m[1]!, 36);
}

/** Whether a string is a well-formed history cursor (for request validation). */
export function isHistoryCursor(cursor: string): boolean {
  return /^h[0-9a-z]{1,11}$/.test(cursor);
}

function toEntry(r: Row): HistoryEntry {
  return {
    id: Number(r.id),
    seq: r.seq === null ? null : Number(r.seq),
    runId: r.run_id === null ? null : String(r.run_id),
    key: r.item_key === null ? null : String(r.item_key),
    role: String(r.role) as HistoryRole,
    text: String(r.text),
    enqueuedAt: Number(r.enqueued_at),
    processedAt: Number(r.processed_at),
  };
}
