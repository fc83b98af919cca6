/**
 * GatewayDO's durable state over its SQLite: tracked runs (bounded), finals owed to sockets (bounded),
 * and failed-auth counters per remote address (bounded, windowed, with lockout).
 */
import type { SqlPort } from '../scheduler/session-queue.ts';
import type { AuthLimiter } from './connection.ts';
import type { TrackedRun } from './registry.ts';

/** Caps and windows; each cap drops the oldest rows first. */
export interface GatewayStoreLimits {
  runs: number;
  owedFinals: number;
  authAddresses: number;
  authFailures: number;
  authWindowMs: number;
  authLockoutMs: number;
}

/** Defaults (reference: 10 attempts per 60 s, 5 min lockout). */
export const GATEWAY_STORE_DEFAULTS: GatewayStoreLimits = {
  runs: 5_000,
  owedFinals: 1_000,
  authAddresses: 10_000,
  authFailures: 10,
  authWindowMs: 60_000,
  authLockoutMs: 300_000,
};

type Row = Record<string, string | number | null | ArrayBuffer>;

/** Durable gateway state. */
export class GatewayStore implements AuthLimiter {
  readonly #sql: SqlPort;
  readonly #limits: GatewayStoreLimits;

  constructor(sql: SqlPort, limits: GatewayStoreLimits = GATEWAY_STORE_DEFAULTS) {
    this.#sql = sql;
    this.#limits = limits;
  }

  /** Creates the tables (idempotent). */
  migrate(): void {
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, session_key TEXT NOT NULL, status TEXT NOT NULL,
      accepted_at INTEGER NOT NULL, ended_at INTEGER, text TEXT, error TEXT, n INTEGER NOT NULL)`);
    this.#sql.exec(`CREATE INDEX IF NOT EXISTS runs_n ON runs (n)`);
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS owed_finals (run_id TEXT NOT NULL, conn_id TEXT NOT NULL, request_id TEXT NOT NULL,
      n INTEGER NOT NULL, PRIMARY KEY (run_id, conn_id, request_id))`);
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS auth_failures (remote TEXT PRIMARY KEY, window_start INTEGER NOT NULL,
      count INTEGER NOT NULL, locked_until INTEGER NOT NULL DEFAULT 0, touched INTEGER NOT NULL)`);
  }

  #counter(table: string): number {
    return Number(this.#sql.exec<Row>(`SELECT COALESCE(MAX(n), 0) + 1 AS n FROM ${table}`).one().n);
  }

  /** Records a run (insert or keep the existing one: the first record of an id wins). */
  trackRun(run: TrackedRun): void {
    this.#sql.exec(
      `INSERT INTO runs (run_id, session_key, status, accepted_at, n) VALUES (?, ?, ?, ?, ?) ON CONFLICT (run_id) DO NOTHING`,
      run.runId, run.sessionKey, run.status, run.acceptedAt, this.#counter('runs'),
    );
    this.#sql.exec(`DELETE FROM runs WHERE n <= (SELECT n FROM runs ORDER BY n DESC LIMIT 1 OFFSET ?)`, this.#limits.runs);
  }

  /** Marks a run ended. */
  finishRun(runId: string, status: TrackedRun['status'], endedAt: number, text?: string, error?: string): void {
    this.#sql.exec(`UPDATE runs SET status = ?, ended_at = ?, text = ?, error = ? WHERE run_id = ?`, status, endedAt, text ?? null, error ?? null, runId);
  }

  /** A run by id. */
  run(runId: string): TrackedRun | null {
    const r = this.#sql.exec<Row>(`SELECT * FROM runs WHERE run_id = ?`, runId).toArray()[0];
    if (!r) return null;
    return {
      runId: String(r.run_id),
      sessionKey: String(r.session_key),
      status: String(r.status) as TrackedRun['status'],
      acceptedAt: Number(r.accepted_at),
      ...(r.ended_at !== null ? { endedAt: Number(r.ended_at) } : {}),
      ...(r.text !== null ? { text: String(r.text) } : {}),
      ...(r.error !== null ? { error: String(r.error) } : {}),
    };
  }

  /** Remembers that `connId` awaits the final response of `runId` for request `requestId`. */
  oweFinal(runId: string, connId: string, requestId: string): void {
    this.#sql.exec(`INSERT OR IGNORE INTO owed_finals (run_id, conn_id, request_id, n) VALUES (?, ?, ?, ?)`, runId, connId, requestId, this.#counter('owed_finals'));
    this.#sql.exec(`DELETE FROM owed_finals WHERE n <= (SELECT n FROM owed_finals ORDER BY n DESC LIMIT 1 OFFSET ?)`, this.#limits.owedFinals);
  }

  /** Takes (and forgets) the finals owed for a run. */
  takeFinals(runId: string): { connId: string; requestId: string }[] {
    const rows = this.#sql.exec<Row>(`DELETE FROM owed_finals WHERE run_id = ? RETURNING conn_id, request_id`, runId).toArray();
    return rows.map((r) => ({ connId: String(r.conn_id), requestId: String(r.request_id) }));
  }

  /** Forgets finals owed to a closed connection. */
  dropConnection(connId: string): void {
    this.#sql.exec(`DELETE FROM owed_finals WHERE conn_id = ?`, connId);
  }

  blockedFor(remote: string, now: number): number {
    const r = this.#sql.exec<Row>(`SELECT locked_until FROM auth_failures WHERE remote = ?`, remote).toArray()[0];
    return r ? Math.max(0, Number(r.locked_until) - now) : 0;
  }

  recordFailure(remote: string, now: number): void {
    const { authWindowMs, authFailures, authLockoutMs, authAddresses } = this.#limits;
    const r = this.#sql.exec<Row>(`SELECT window_start, count FROM auth_failures WHERE remote = ?`, remote).toArray()[0];
    const fresh = !r || now - Number(r.window_start) > authWindowMs;
    const count = fresh ? 1 : Number(r.count) + 1;
    const lockedUntil = count >= authFailures ? now + authLockoutMs : 0;
    this.#sql.exec(
      `INSERT INTO auth_failures (remote, window_start, count, locked_until, touched) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (remote) DO UPDATE SET window_start = excluded.window_start, count = excluded.count, locked_until = excluded.locked_until, touched = excluded.touched`,
      remote, fresh ? now : Number(r.window_start), count, lockedUntil, now,
    );
    this.#sql.exec(`DELETE FROM auth_failures WHERE touched <= (SELECT touched FROM auth_failures ORDER BY touched DESC LIMIT 1 OFFSET ?)`, authAddresses);
  }

  recordSuccess(remote: string): void {
    this.#sql.exec(`DELETE FROM auth_failures WHERE remote = ? AND locked_until = 0`, remote);
  }
}
