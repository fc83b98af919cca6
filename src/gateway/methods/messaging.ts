/**
 * Messaging and session-maintenance methods: send (write; channel outbox, idempotent), wake (write),
 * set-heartbeats (admin), chat.inject (admin; a note in history without a run) and sessions.delete
 * (admin, or write with `archivedOnly`; the main session cannot be deleted).
 */
import { z } from 'zod';
import { GatewayError } from '../../errors.ts';
import { SendParamsSchema } from '../send.ts';
import { scopeSatisfied } from '../scopes.ts';
import { defineMethod } from '../registry.ts';
import { canonicalSessionKey } from './chat.ts';
import { DEFAULT_AGENT_ID } from './system.ts';

const Key = z.string().min(1).max(512);
const AgentId = z.string().regex(/^[a-z0-9_-]{1,64}$/i, 'expected 1-64 letters, digits, _ or -');

/**
 * `send`: one message to a channel target through its outbox; a repeated idempotencyKey sends nothing.
 * With `sessionKey`, the sent text is mirrored into that session's history (once).
 */
export const send = defineMethod({
  name: 'send',
  scope: 'operator.write',
  params: SendParamsSchema,
  async handler(ctx, p) {
    const result = await ctx.hub.sendMessage(p);
    if (p.sessionKey && result.status === 'ok' && !result.deduplicated) {
      const key = canonicalSessionKey(p.sessionKey, (p.agentId ?? DEFAULT_AGENT_ID).toLowerCase());
      await ctx.env.SESSIONS.getByName(key).inject(key, 'assistant', p.message);
    }
    return result;
  },
});

/** `wake`: queues a system event (`[wake] text`) into the main session (or `sessionKey`). */
export const wake = defineMethod({
  name: 'wake',
  scope: 'operator.write',
  params: z.looseObject({ mode: z.enum(['now', 'next-heartbeat']).default('now'), text: z.string().min(1).max(64 * 1024), sessionKey: Key.optional(), agentId: AgentId.optional() }),
  handler: (ctx, p) => ctx.hub.wake({ mode: p.mode, text: p.text, sessionKey: canonicalSessionKey(p.sessionKey, (p.agentId ?? DEFAULT_AGENT_ID).toLowerCase()) }),
});

/** `set-heartbeats`: turns heartbeat events on or off (durable); `last-heartbeat` reports the flag. */
export const setHeartbeats = defineMethod({
  name: 'set-heartbeats',
  scope: 'operator.admin',
  params: z.looseObject({ enabled: z.boolean() }),
  handler: (ctx, p) => ctx.hub.setHeartbeats(p.enabled),
});

/** `chat.inject`: appends an assistant (or system) note to a session's history and broadcasts it; no run. */
export const chatInject = defineMethod({
  name: 'chat.inject',
  scope: 'operator.admin',
  params: z.looseObject({ sessionKey: Key, message: z.string().min(1).max(64 * 1024), label: z.string().max(100).optional(), role: z.enum(['assistant', 'system']).optional(), agentId: AgentId.optional() }),
  async handler(ctx, p) {
    const key = canonicalSessionKey(p.sessionKey, (p.agentId ?? DEFAULT_AGENT_ID).toLowerCase());
    const text = p.label ? `[${p.label}] ${p.message}` : p.message;
    const role = p.role ?? 'assistant';
    const row = await ctx.env.SESSIONS.getByName(key).inject(key, role, text);
    const message = { role, content: [{ type: 'text', text }], timestamp: row.ts, __openclaw: { id: String(row.id), injected: true } };
    const runId = `inject:${row.id}:${row.ts}`;
    await ctx.hub.broadcast('chat', { runId, sessionKey: key, seq: 1, state: 'final', message });
    await ctx.hub.broadcast('session.message', { sessionKey: key, message });
    return { ok: true, sessionKey: key, messageId: String(row.id), runId };
  },
});

/** `sessions.delete`: cancels the session's work, archives its history and drops it from the index. */
export const sessionsDelete = defineMethod({
  name: 'sessions.delete',
  scope: 'operator.write',
  params: z.looseObject({ key: Key, agentId: AgentId.optional(), archivedOnly: z.boolean().optional(), deleteTranscript: z.boolean().optional() }),
  async handler(ctx, p) {
    const key = canonicalSessionKey(p.key, (p.agentId ?? DEFAULT_AGENT_ID).toLowerCase());
    // Dynamic scope (reference §3): admin, or write when only archived sessions may go (none are archived here).
    if (p.archivedOnly) return { ok: true, key, deleted: false, archived: [], reason: 'not-archived' };
    if (!scopeSatisfied(ctx.caller.scopes, 'operator.admin')) {
      throw new GatewayError('FORBIDDEN', 'missing scope: operator.admin', { details: { code: 'MISSING_SCOPE', missingScope: 'operator.admin', requiredScopes: ['operator.admin'] } });
    }
    if (/^agent:[^:]+:main$/.test(key)) throw new GatewayError('INVALID_REQUEST', `the main session cannot be deleted: ${key} (use sessions.reset)`, { details: { code: 'MAIN_SESSION' } });
    const r = await ctx.env.SESSIONS.getByName(key).remove(key);
    await ctx.hub.broadcast('sessions.changed', { sessionKey: key, reason: 'delete' });
    return { ok: true, key, deleted: true, archived: [{ rows: r.archived }], aborted: r.aborted };
  },
});

/** Every messaging method. */
export const MESSAGING_METHODS = [send, wake, setHeartbeats, chatInject, sessionsDelete];
