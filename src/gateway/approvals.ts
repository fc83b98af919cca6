/**
 * Approval requests (defender `review` decisions) kept in GatewayDO's SQLite: created pending with an
 * expiry, resolved once by an operator (`exec.approval.resolve`) or expired to deny. Bounded: the
 * oldest resolved rows go first, and pending requests beyond the cap are refused (fail closed).
 */
import { z } from 'zod';
import type { SqlPort } from '../scheduler/session-queue.ts';

/** Decisions an operator can give (OpenClaw vocabulary). */
export const ApprovalDecisionSchema = z.enum(['allow-once', 'allow-always', 'deny']);
export type ApprovalDecision = z.infer<typeof ApprovalDecisionSchema>;

/** What needs approving. */
export interface ApprovalRequest {
  kind: 'command' | 'tool_call' | 'prompt' | 'tool_result' | 'url' | 'file';
  sessionKey?: string;
  runId?: string;
  /** The command line, tool name + args, or text excerpt (bounded by the caller). */
  summary: string;
  score: number;
  reasons: { guard: string; rule: string; weight: number }[];
}

/** A stored approval. */
export interface Approval extends ApprovalRequest {
  id: string;
  status: 'pending' | 'allowed' | 'denied' | 'expired';
  decision?: ApprovalDecision;
  createdAt: number;
  expiresAt: number;
  resolvedAt?: number;
  resolvedBy?: string;
}

type Row = Record<string, string | number | null | ArrayBuffer>;

/** Limits of the approval store. */
export interface ApprovalLimits {
  /** Pending approvals at most; beyond it new requests are refused (the caller must then deny). */
  pending: number;
  /** Resolved approvals kept for listing/audit. */
  resolved: number;
}

/** The approval table. */
export class ApprovalStore {
  readonly #sql: SqlPort;
  readonly #limits: ApprovalLimits;

  constructor(sql: SqlPort, limits: ApprovalLimits = { pending: 500, resolved: 2_000 }) {
    this.#sql = sql;
    this.#limits = limits;
  }

  migrate(): void {
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS approvals (id TEXT PRIMARY KEY, status TEXT NOT NULL, request TEXT NOT NULL,
      decision TEXT, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, resolved_at INTEGER, resolved_by TEXT)`);
    this.#sql.exec(`CREATE INDEX IF NOT EXISTS approvals_status ON approvals (status, created_at)`);
  }

  /** Creates a pending approval, or returns null when the pending cap is reached. */
  create(req: ApprovalRequest, now: number, ttlMs: number): Approval | null {
    this.expire(now);
    const pending = Number(this.#sql.exec<Row>(`SELECT COUNT(*) AS n FROM approvals WHERE status = 'pending'`).one().n);
    if (pending >= this.#limits.pending) return null;
    const id = crypto.randomUUID();
    this.#sql.exec(`INSERT INTO approvals (id, status, request, created_at, expires_at) VALUES (?, 'pending', ?, ?, ?)`, id, JSON.stringify(req), now, now + ttlMs);
    return this.get(id);
  }

  /** Marks pending approvals past their expiry as expired (= deny). Returns their ids. */
  expire(now: number): string[] {
    return this.#sql
      .exec<Row>(`UPDATE approvals SET status = 'expired', resolved_at = ? WHERE status = 'pending' AND expires_at <= ? RETURNING id`, now, now)
      .toArray()
      .map((r) => String(r.id));
  }

  /** Resolves a pending approval once; returns null if unknown, or the approval unchanged if already final. */
  resolve(id: string, decision: ApprovalDecision, by: string, now: number): { approval: Approval; changed: boolean } | null {
    this.expire(now);
    const status = decision === 'deny' ? 'denied' : 'allowed';
    const changed = this.#sql.exec<Row>(
      `UPDATE approvals SET status = ?, decision = ?, resolved_at = ?, resolved_by = ? WHERE id = ? AND status = 'pending' RETURNING id`,
      status, decision, now, by, id,
    ).toArray().length > 0;
    this.#prune();
    const approval = this.get(id);
    return approval ? { approval, changed } : null;
  }

  get(id: string): Approval | null {
    const r = this.#sql.exec<Row>(`SELECT * FROM approvals WHERE id = ?`, id).toArray()[0];
    return r ? toApproval(r) : null;
  }

  /** Newest first, optionally only pending ones. */
  list(opts: { pendingOnly?: boolean; limit?: number } = {}): Approval[] {
    const where = opts.pendingOnly ? `WHERE status = 'pending'` : '';
    return this.#sql.exec<Row>(`SELECT * FROM approvals ${where} ORDER BY created_at DESC LIMIT ?`, Math.min(opts.limit ?? 100, 1000)).toArray().map(toApproval);
  }

  #prune(): void {
    this.#sql.exec(
      `DELETE FROM approvals WHERE status != 'pending' AND id IN (SELECT id FROM approvals WHERE status != 'pending' ORDER BY resolved_at DESC LIMIT -1 OFFSET ?)`,
      this.#limits.resolved,
    );
  }
}

function toApproval(r: Row): Approval {
  const req = JSON.parse(String(r.request)) as ApprovalRequest;
  return {
    ...req,
    id: String(r.id),
    status: String(r.status) as Approval['status'],
    ...(r.decision !== null ? { decision: String(r.decision) as ApprovalDecision } : {}),
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    ...(r.resolved_at !== null ? { resolvedAt: Number(r.resolved_at) } : {}),
    ...(r.resolved_by !== null ? { resolvedBy: String(r.resolved_by) } : {}),
  };
}
