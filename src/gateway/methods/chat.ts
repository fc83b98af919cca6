/** Chat and agent methods: chat.send, chat.history, agent (accepted, then final), agent.wait, sessions.list. */
import { z } from 'zod';
import { GatewayError } from '../../errors.ts';
import { SessionKeySchema } from '../../sessions/session-key.ts';
import { listSessions } from '../../storage/repos/sessions.ts';
import type { QueueMode } from '../../scheduler/types.ts';
import { defineMethod, type MethodContext, type TwoPhase } from '../registry.ts';
import { DEFAULT_AGENT_ID } from './system.ts';
import { rejectionError } from '../../scheduler/rejection.ts';

const IdempotencyKey = z.string().min(1).max(256);

/** Canonical session key: `main` (and empty) means the default agent's main session. */
export function canonicalSessionKey(key: string | undefined, agentId = DEFAULT_AGENT_ID): string {
  if (!key || key === 'main') return `agent:${agentId}:main`;
  return SessionKeySchema.parse(key);
}

/** Enqueues a user turn in its session; the idempotency key is the run id. */
async function startRun(ctx: MethodContext, sessionKey: string, text: string, runId: string, queueMode?: QueueMode) {
  const result = await ctx.env.SESSIONS.getByName(sessionKey).enqueue(sessionKey, { text, key: runId, ...(queueMode ? { queueMode } : {}) });
  if (result.status === 'rejected') {
    // The protocol has no QUEUE_FULL: every refusal is a retryable UNAVAILABLE with its reason in details.
    const err = rejectionError(result);
    throw new GatewayError('UNAVAILABLE', err.message, err.extra);
  }
  if (result.status === 'queued') {
    await ctx.hub.trackRun({ runId, sessionKey, status: 'running', acceptedAt: ctx.now });
    return { runId, status: 'started' as const, messageSeq: result.seq };
  }
  const known = await ctx.hub.waitRun(runId, 0);
  // The repeated key's original seq: a producer whose first ack was lost learns where its message stands.
  return { runId, status: known && known.status !== 'running' ? ('ok' as const) : ('in_flight' as const), messageSeq: result.seq };
}

/** `chat.send`: queue a message; the reply streams as `chat` events. */
export const chatSend = defineMethod({
  name: 'chat.send',
  scope: 'operator.write',
  params: z.looseObject({
    sessionKey: z.string().min(1).max(512),
    message: z.string().max(256 * 1024),
    idempotencyKey: IdempotencyKey,
    queueMode: z.enum(['steer', 'followup', 'collect', 'interrupt']).optional(),
  }),
  async handler(ctx, p) {
    const key = canonicalSessionKey(p.sessionKey);
    return startRun(ctx, key, p.message, p.idempotencyKey, p.queueMode);
  },
});

/** `chat.history`: the session's processed turns as display messages. */
export const chatHistory = defineMethod({
  name: 'chat.history',
  scope: 'operator.read',
  params: z.looseObject({ sessionKey: z.string().min(1).max(512), limit: z.number().int().min(1).max(1000).optional() }),
  async handler(ctx, p) {
    const key = canonicalSessionKey(p.sessionKey);
    const rows = await ctx.env.SESSIONS.getByName(key).history(p.limit ?? 200);
    return {
      sessionKey: key,
      messages: rows.map((r) => ({ role: r.role, content: [{ type: 'text', text: r.text }], timestamp: r.processedAt, __openclaw: { id: r.seq !== null ? String(r.seq) : `row-${r.id}` } })),
      hasMore: false,
    };
  },
});

/** `agent`: start a run; answers `accepted` now and the final result when the run ends. */
export const agent = defineMethod({
  name: 'agent',
  scope: 'operator.write',
  params: z.looseObject({
    message: z.string().max(256 * 1024),
    idempotencyKey: IdempotencyKey,
    agentId: z.string().min(1).max(64).optional(),
    sessionKey: z.string().min(1).max(512).optional(),
  }),
  async handler(ctx, p): Promise<TwoPhase> {
    if (/^\/(new|reset)\b/.test(p.message.trim()) && !ctx.caller.scopes.includes('operator.admin')) {
      throw new GatewayError('FORBIDDEN', 'missing scope: operator.admin', { details: { code: 'MISSING_SCOPE', missingScope: 'operator.admin', requiredScopes: ['operator.admin'] } });
    }
    const agentId = (p.agentId ?? DEFAULT_AGENT_ID).toLowerCase();
    const key = canonicalSessionKey(p.sessionKey, agentId);
    const started = await startRun(ctx, key, p.message, p.idempotencyKey);
    return { twoPhase: true, runId: p.idempotencyKey, accepted: { runId: p.idempotencyKey, status: 'accepted', acceptedAt: ctx.now, sessionKey: key, agentId, ...(started.status === 'started' ? {} : { dedupe: started.status }) } };
  },
});

/** `agent.wait`: the run's status, waiting up to `timeoutMs` for it to end (the run is never cancelled). */
export const agentWait = defineMethod({
  name: 'agent.wait',
  scope: 'operator.write',
  params: z.strictObject({ runId: z.string().min(1).max(256), timeoutMs: z.number().int().min(0).max(600_000).optional() }),
  async handler(ctx, p) {
    const run = await ctx.hub.waitRun(p.runId, p.timeoutMs ?? 30_000);
    if (!run) throw new GatewayError('INVALID_REQUEST', 'agent run was not found');
    if (run.status === 'running') return { runId: run.runId, status: 'timeout' };
    return { runId: run.runId, status: run.status === 'aborted' ? 'error' : run.status, startedAt: run.acceptedAt, endedAt: run.endedAt, ...(run.error ? { error: run.error } : {}) };
  },
});

/** `sessions.list`: sessions from the global index, most recent first. */
export const sessionsList = defineMethod({
  name: 'sessions.list',
  scope: 'operator.read',
  params: z.looseObject({ limit: z.number().int().min(1).max(500).optional() }),
  async handler(ctx, p) {
    const limit = p.limit ?? 100;
    const rows = await listSessions(ctx.env.DB, limit);
    return {
      ts: ctx.now,
      path: 'registry:sessions',
      count: rows.length,
      totalCount: rows.length,
      limitApplied: limit,
      nextOffset: null,
      hasMore: false,
      defaults: { model: null, contextTokens: null },
      sessions: rows.map((r) => ({ key: r.key, kind: r.key.endsWith(':main') ? 'direct' : 'unknown', agentId: r.key.split(':')[1] ?? DEFAULT_AGENT_ID, updatedAt: r.updatedAt, createdAt: r.createdAt, hasActiveRun: r.queued > 0, snapshotAt: ctx.now })),
    };
  },
});
