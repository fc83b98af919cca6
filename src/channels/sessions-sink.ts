/**
 * Thin adapters from the channel ports (InboundSink, SessionControl) to today's SessionDO RPC. The lead
 * re-points these when the session API gains fields; drivers only see the ports.
 */
import type { Env } from '../env.ts';
import { composeText, encodeItemMeta } from './attachments.ts';
import { formatReplyTarget, type DeliverResult, type InboundSink, type RoutedMessage, type SessionControl } from './envelope.ts';

/**
 * Delivers routed messages to `SessionDO(sessionKey).enqueue`. The reply target travels in the item's
 * `thread` (the scheduler keeps items for different threads apart, which is what routing needs); the
 * message to quote and the attachments travel in the item's `meta`, and attachments are described in
 * the text the model reads.
 * @example const sink = sessionsSink(env.SESSIONS)
 */
export function sessionsSink(sessions: Env['SESSIONS']): InboundSink {
  return {
    async deliver(m: RoutedMessage): Promise<DeliverResult> {
      const meta = encodeItemMeta({
        ...(m.target.replyToMessageId ? { r: m.target.replyToMessageId } : {}),
        ...(m.envelope.attachments ? { a: [...m.envelope.attachments] } : {}),
      });
      const r = await sessions.getByName(m.sessionKey).enqueue(m.sessionKey, {
        text: composeText(m.text, m.envelope.attachments),
        key: m.idempotencyKey,
        ...(meta ? { meta } : {}),
        channel: m.envelope.channel,
        thread: formatReplyTarget({ ...m.target, replyToMessageId: undefined }).slice(0, 128),
      });
      if (r.status === 'rejected') return { status: 'rejected', reason: r.reason, retryAfterMs: r.retryAfterMs };
      return { status: r.status, runId: r.runId };
    },
  };
}

/** SessionControl over the SessionDO RPC (`snapshot`, `reset`, `abort`, `patch`). */
export function sessionsControl(sessions: Env['SESSIONS']): SessionControl {
  return {
    async status(key) {
      const s = await sessions.getByName(key).snapshot(0);
      return {
        state: s.activeRunId ? 'running' : 'idle',
        queued: s.queued,
        ...(s.overrides.queueMode ? { queueMode: s.overrides.queueMode } : {}),
        ...(s.overrides.model ? { model: s.overrides.model } : {}),
      };
    },
    async reset(key) {
      await sessions.getByName(key).reset();
    },
    async abort(key) {
      const r = await sessions.getByName(key).abort();
      return { cancelled: r.aborted.length, activeAborted: r.activeAborted !== null };
    },
    async setQueueMode(key, mode) {
      // SAFETY: callers validate `mode` against QUEUE_MODES before calling.
      await sessions.getByName(key).patch({ queueMode: mode as 'steer' | null });
    },
  };
}
