/** Session methods over the SessionDOs: preview, describe, resolve, patch, reset, compact, abort, subscribe. */
import { z } from 'zod';
import { listSessions } from '../../storage/repos/sessions.ts';
import { decisionCounts } from '../../storage/repos/audit.ts';
import { QueueModeSchema } from '../../scheduler/types.ts';
import { defineMethod, type MethodContext } from '../registry.ts';
import { canonicalSessionKey } from './chat.ts';
import { DEFAULT_AGENT_ID } from './system.ts';

const Key = z.string().min(1).max(512);
const stub = (ctx: MethodContext, key: string) => ctx.env.SESSIONS.getByName(key);

/** A session row as the reference shapes it, from a SessionDO snapshot. */
async function row(ctx: MethodContext, key: string) {
  const s = await stub(ctx, key).snapshot(0);
  return {
    key,
    agentId: key.split(':')[1] ?? DEFAULT_AGENT_ID,
    kind: key.endsWith(':main') ? 'direct' : 'unknown',
    hasActiveRun: s.activeRunId !== null,
    ...(s.activeRunId ? { activeRunIds: [s.activeRunId] } : {}),
    queued: s.queued,
    processed: s.processed,
    inputTokens: s.usage.inputTokens,
    outputTokens: s.usage.outputTokens,
    totalTokens: s.usage.inputTokens + s.usage.outputTokens,
    ...(s.overrides.model ? { model: s.overrides.model } : {}),
    ...(s.overrides.queueMode ? { queueMode: s.overrides.queueMode } : {}),
    snapshotAt: ctx.now,
  };
}

/** `sessions.preview`: a bounded tail of each session's history. */
export const sessionsPreview = defineMethod({
  name: 'sessions.preview',
  scope: 'operator.read',
  params: z.looseObject({ keys: z.array(Key).min(1).max(50), limit: z.number().int().min(1).max(50).optional(), maxChars: z.number().int().min(16).max(4000).optional() }),
  async handler(ctx, p) {
    const limit = p.limit ?? 5;
    const maxChars = p.maxChars ?? 240;
    const previews = await Promise.all(
      p.keys.map(async (k) => {
        const key = canonicalSessionKey(k);
        const rows = await stub(ctx, key).history(limit);
        return { key, status: 'ok', items: rows.map((r) => ({ role: r.role, text: r.text.length > maxChars ? `${r.text.slice(0, maxChars)}…` : r.text, ts: r.processedAt })) };
      }),
    );
    return { previews };
  },
});

/** `sessions.describe`: one session's row with counters and overrides. */
export const sessionsDescribe = defineMethod({
  name: 'sessions.describe',
  scope: 'operator.read',
  params: z.looseObject({ key: Key }),
  async handler(ctx, p) {
    const key = canonicalSessionKey(p.key);
    const [entry, defender] = await Promise.all([row(ctx, key), decisionCounts(ctx.env.DB, key)]);
    return { ok: true, entry: { ...entry, defender } };
  },
});

/** `sessions.resolve`: a key (or alias) to its canonical form, if the session exists. */
export const sessionsResolve = defineMethod({
  name: 'sessions.resolve',
  scope: 'operator.read',
  params: z.looseObject({ key: Key.optional(), label: z.string().max(256).optional(), allowMissing: z.boolean().optional() }),
  async handler(ctx, p) {
    if (p.key) {
      const key = canonicalSessionKey(p.key);
      const known = (await listSessions(ctx.env.DB, 500)).some((s) => s.key === key);
      if (known || p.allowMissing) return { ok: true, key, agentId: key.split(':')[1] ?? DEFAULT_AGENT_ID };
    }
    const needle = (p.label ?? p.key ?? '').toLowerCase();
    const candidates = needle ? (await listSessions(ctx.env.DB, 500)).filter((s) => s.key.toLowerCase().includes(needle)).slice(0, 10).map((s) => s.key) : [];
    return { ok: false, candidates };
  },
});

/** `sessions.patch`: per-session overrides (model, queue mode); `null` clears. */
export const sessionsPatch = defineMethod({
  name: 'sessions.patch',
  scope: 'operator.write',
  params: z.looseObject({
    key: Key,
    model: z.string().min(1).max(200).nullable().optional(),
    queueMode: QueueModeSchema.nullable().optional(),
  }),
  async handler(ctx, p) {
    const key = canonicalSessionKey(p.key);
    await stub(ctx, key).patch({ ...(p.model !== undefined ? { model: p.model } : {}), ...(p.queueMode !== undefined ? { queueMode: p.queueMode } : {}) });
    const entry = await row(ctx, key);
    await ctx.hub.broadcast('sessions.changed', { sessionKey: key, reason: 'patch', session: entry });
    return { ok: true, key, entry, resolved: { model: entry.model ?? null } };
  },
});

/** `sessions.reset`: archives history and starts a fresh window (admin). */
export const sessionsReset = defineMethod({
  name: 'sessions.reset',
  scope: 'operator.admin',
  params: z.looseObject({ key: Key, reason: z.enum(['new', 'reset']).optional() }),
  async handler(ctx, p) {
    const key = canonicalSessionKey(p.key);
    const r = await stub(ctx, key).reset();
    const entry = await row(ctx, key);
    await ctx.hub.broadcast('sessions.changed', { sessionKey: key, reason: p.reason ?? 'reset', session: entry });
    return { ok: true, key, entry, archived: r.archived };
  },
});

/** `sessions.compact`: folds older history into one summary row (admin). */
export const sessionsCompact = defineMethod({
  name: 'sessions.compact',
  scope: 'operator.admin',
  params: z.looseObject({ key: Key, maxLines: z.number().int().min(1).max(1000).optional() }),
  async handler(ctx, p) {
    const key = canonicalSessionKey(p.key);
    const r = await stub(ctx, key).compact(p.maxLines);
    return { ok: true, key, compacted: r.folded > 0, kept: p.maxLines ?? 10, folded: r.folded };
  },
});

/** `chat.abort`: cancels queued turns first, then the active run (or only `runId`). */
export const chatAbort = defineMethod({
  name: 'chat.abort',
  scope: 'operator.write',
  params: z.looseObject({ sessionKey: Key, runId: z.string().min(1).max(256).optional() }),
  async handler(ctx, p) {
    const key = canonicalSessionKey(p.sessionKey);
    const r = await stub(ctx, key).abort(p.runId);
    const runIds = [...r.aborted.map((a) => a.runId), ...(r.activeAborted ? [r.activeAborted] : [])];
    return { ok: true, aborted: runIds.length > 0, runIds };
  },
});

/** `sessions.subscribe`: sessions.changed events are sent to every operator with read scope already. */
export const sessionsSubscribe = defineMethod({
  name: 'sessions.subscribe',
  scope: 'operator.read',
  params: z.looseObject({}),
  handler: async () => ({ subscribed: true }),
});

/** Every session method (params are loose objects: the reference clients send more fields than we use). */
export const SESSION_METHODS = [sessionsPreview, sessionsDescribe, sessionsResolve, sessionsPatch, sessionsReset, sessionsCompact, chatAbort, sessionsSubscribe];

