// Defender decisions in the global `audit` table: one bounded row per decision (kind, outcome, score, top reasons, short excerpt), oldest rows pruned past a cap.
import { lte } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import type { DbBinding } from '../../env.ts';
import { audit } from '../schema.ts';

/** Rows kept in `audit` by default (older ones are deleted). */
export const AUDIT_MAX_ROWS = 100_000;
/** Longest excerpt stored (never the full text). */
export const AUDIT_EXCERPT_MAX = 200;
const PRUNE_EVERY = 1_000;
const TOP_REASONS = 5;
const FIELD_MAX = 200;

/** One decision to record. `excerpt` is cut to 200 characters; `reasons` to the first five. */
export interface DecisionRecord {
  kind: string;
  decision: 'allow' | 'review' | 'block';
  score: number;
  reasons: readonly string[];
  sessionKey?: string;
  runId?: string;
  tool?: string;
  excerpt?: string;
  at?: number;
}

/** Tuning for tests: the row cap and how often (every N inserted ids) the cap is enforced. */
export interface AuditLimits { maxRows?: number; pruneEvery?: number }

const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/**
 * Appends one defender decision to `audit` (actor `defender`, action `decision.<outcome>`); every
 * `pruneEvery` ids it deletes rows older than the newest `maxRows` (an index range delete on the id).
 * @example ctx.waitUntil(recordDecision(env.DB, { kind: 'tool_call', decision: 'block', score: 90, reasons: ['command_guard:fs.rm_rf'] }))
 */
export async function recordDecision(db: DbBinding, rec: DecisionRecord, limits: AuditLimits = {}): Promise<void> {
  const maxRows = limits.maxRows ?? AUDIT_MAX_ROWS;
  const pruneEvery = limits.pruneEvery ?? PRUNE_EVERY;
  // SAFETY: drizzle's D1 driver calls only prepare/bind/all/raw/run/batch, which DbBinding provides.
  const orm = drizzle(db as D1Database, { schema: { audit } });
  const detail: Record<string, unknown> = {
    kind: cut(rec.kind, FIELD_MAX),
    decision: rec.decision,
    score: rec.score,
    reasons: rec.reasons.slice(0, TOP_REASONS).map((r) => cut(r, FIELD_MAX)),
  };
  if (rec.sessionKey) detail.session = cut(rec.sessionKey, FIELD_MAX);
  if (rec.runId) detail.runId = cut(rec.runId, FIELD_MAX);
  if (rec.tool) detail.tool = cut(rec.tool, FIELD_MAX);
  if (rec.excerpt) detail.excerpt = cut(rec.excerpt, AUDIT_EXCERPT_MAX);
  const [row] = await orm.insert(audit).values({ at: rec.at ?? Date.now(), actor: 'defender', action: `decision.${rec.decision}`, detail }).returning({ id: audit.id });
  if (row && row.id % pruneEvery === 0 && row.id > maxRows) {
    await orm.delete(audit).where(lte(audit.id, row.id - maxRows)).run();
  }
}

/** Defender decisions recorded for one session, by outcome (over the retained audit rows). */
export async function decisionCounts(db: DbBinding, sessionKey: string): Promise<{ allow: number; review: number; block: number }> {
  const { results } = await db
    .prepare("SELECT action, count(*) AS n FROM audit WHERE actor = 'defender' AND json_extract(detail, '$.session') = ? GROUP BY action")
    .bind(sessionKey)
    .all<{ action: string; n: number }>();
  const out = { allow: 0, review: 0, block: 0 };
  for (const r of results) {
    const k = r.action.replace(/^decision\./, '');
    if (k === 'allow' || k === 'review' || k === 'block') out[k] = Number(r.n);
  }
  return out;
}

/** One recorded decision as `defender.decisions` returns it. */
export interface DecisionRow {
  id: number;
  at: number;
  kind: string;
  decision: 'allow' | 'review' | 'block';
  score: number;
  reasons: string[];
  sessionKey?: string;
  runId?: string;
  tool?: string;
  excerpt?: string;
}

/** Filters of {@link recentDecisions}. */
export interface DecisionQuery {
  limit: number;
  /** Only rows with an id below this (the next page of older rows). */
  beforeId?: number;
  sessionKey?: string;
  decision?: 'allow' | 'review' | 'block';
}

/**
 * The newest recorded defender decisions first (paged by id), optionally for one session or outcome.
 * @example await recentDecisions(env.DB, { limit: 20, decision: 'block' })
 */
export async function recentDecisions(db: DbBinding, q: DecisionQuery): Promise<DecisionRow[]> {
  const where = ["actor = 'defender'"];
  const args: (string | number)[] = [];
  if (q.beforeId !== undefined) {
    where.push('id < ?');
    args.push(q.beforeId);
  }
  if (q.decision) {
    where.push('action = ?');
    args.push(`decision.${q.decision}`);
  }
  if (q.sessionKey) {
    where.push("json_extract(detail, '$.session') = ?");
    args.push(q.sessionKey);
  }
  const { results } = await db
    .prepare(`SELECT id, at, action, detail FROM audit WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`)
    .bind(...args, q.limit)
    .all<{ id: number; at: number; action: string; detail: string | null }>();
  return results.map((r) => {
    let d: Record<string, unknown> = {};
    try {
      d = r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : {};
    } catch {
      d = {};
    }
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const decision = r.action.replace(/^decision\./, '');
    return {
      id: Number(r.id),
      at: Number(r.at),
      kind: str(d.kind) ?? 'unknown',
      decision: decision === 'block' || decision === 'review' ? decision : 'allow',
      score: typeof d.score === 'number' ? d.score : 0,
      reasons: Array.isArray(d.reasons) ? d.reasons.filter((x): x is string => typeof x === 'string') : [],
      ...(str(d.session) ? { sessionKey: str(d.session) } : {}),
      ...(str(d.runId) ? { runId: str(d.runId) } : {}),
      ...(str(d.tool) ? { tool: str(d.tool) } : {}),
      ...(str(d.excerpt) ? { excerpt: str(d.excerpt) } : {}),
    };
  });
}
