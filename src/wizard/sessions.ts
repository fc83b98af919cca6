/**
 * Server-side wizard sessions for the `wizard.*` methods, kept in the gateway object's SQLite (GatewayDO on
 * both runtimes): a session started over the WebSocket is visible to `wizard.next` over `POST /rpc`, which
 * on Workers runs in another isolate, and it survives a restart of the Node process. Bounded by count with
 * an idle TTL; nothing is written to the config before the last step.
 */
import type { SqlPort } from '../scheduler/session-schema.ts';
import type { SetupAnswers } from './steps.ts';

/** Caps and timing. */
export interface WizardLimits {
  /** Sessions kept at once (running and finished); a start beyond it is refused while all are running. */
  maxSessions: number;
  /** A session untouched this long is forgotten. */
  ttlMs: number;
}

/** Defaults: a handful of operators at once, 15 minutes to answer. */
export const WIZARD_LIMITS: WizardLimits = { maxSessions: 8, ttlMs: 15 * 60_000 };

/** One wizard run. */
export interface WizardSession {
  id: string;
  status: 'running' | 'applying' | 'done' | 'cancelled' | 'error';
  answers: SetupAnswers;
  createdAt: number;
  touchedAt: number;
  error?: string;
  result?: Record<string, unknown>;
}

type Row = Record<string, string | number | null | ArrayBuffer>;

function fromRow(r: Row): WizardSession {
  const s: WizardSession = {
    id: String(r.id),
    status: String(r.status) as WizardSession['status'],
    // SAFETY: answers and result are written by save() from validated values only.
    answers: JSON.parse(String(r.answers)) as SetupAnswers,
    createdAt: Number(r.created_at),
    touchedAt: Number(r.touched_at),
  };
  if (r.error !== null) s.error = String(r.error);
  if (r.result !== null) s.result = JSON.parse(String(r.result)) as Record<string, unknown>;
  return s;
}

/**
 * The bounded session table over one object's SQLite.
 * @example const table = new WizardSessions(ctx.storage.sql); table.migrate(); const s = table.create(Date.now());
 */
export class WizardSessions {
  readonly #sql: SqlPort;
  readonly #limits: WizardLimits;

  constructor(sql: SqlPort, limits: WizardLimits = WIZARD_LIMITS) {
    this.#sql = sql;
    this.#limits = limits;
  }

  /** Creates the table (idempotent). */
  migrate(): void {
    this.#sql.exec(
      `CREATE TABLE IF NOT EXISTS wizard_sessions (id TEXT PRIMARY KEY, status TEXT NOT NULL, answers TEXT NOT NULL, created_at INTEGER NOT NULL, touched_at INTEGER NOT NULL, error TEXT, result TEXT)`,
    );
  }

  /** Sessions currently held (after forgetting expired ones). */
  size(now: number): number {
    this.#sweep(now);
    return Number(this.#sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM wizard_sessions`).one().n);
  }

  /**
   * A new running session, or null when the table is full of running sessions (finished ones are
   * dropped first, oldest first, to make room).
   */
  create(now: number): WizardSession | null {
    this.#sweep(now);
    if (this.size(now) >= this.#limits.maxSessions) {
      const finished = this.#sql.exec<Row>(`SELECT id FROM wizard_sessions WHERE status NOT IN ('running', 'applying') ORDER BY touched_at LIMIT 1`).toArray()[0];
      if (!finished) return null;
      this.#sql.exec(`DELETE FROM wizard_sessions WHERE id = ?`, String(finished.id));
    }
    const session: WizardSession = { id: crypto.randomUUID(), status: 'running', answers: {}, createdAt: now, touchedAt: now };
    this.save(session);
    return session;
  }

  /** The session (touching it), or null when unknown or expired. */
  get(id: string, now: number): WizardSession | null {
    this.#sweep(now);
    const r = this.#sql.exec<Row>(`SELECT * FROM wizard_sessions WHERE id = ?`, id).toArray()[0];
    if (!r) return null;
    this.#sql.exec(`UPDATE wizard_sessions SET touched_at = ? WHERE id = ?`, now, id);
    return { ...fromRow(r), touchedAt: now };
  }

  /** Writes the session's current state (insert or replace). */
  save(s: WizardSession): void {
    this.#sql.exec(
      `INSERT INTO wizard_sessions (id, status, answers, created_at, touched_at, error, result) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, answers = excluded.answers, touched_at = excluded.touched_at, error = excluded.error, result = excluded.result`,
      s.id,
      s.status,
      JSON.stringify(s.answers),
      s.createdAt,
      s.touchedAt,
      s.error ?? null,
      s.result ? JSON.stringify(s.result) : null,
    );
  }

  #sweep(now: number): void {
    // An `applying` session is mid-write; a crash there leaves it to expire once it is past twice the TTL.
    this.#sql.exec(`DELETE FROM wizard_sessions WHERE (status != 'applying' AND touched_at <= ?) OR touched_at <= ?`, now - this.#limits.ttlMs, now - 2 * this.#limits.ttlMs);
  }
}
