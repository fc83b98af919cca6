// Observed actions: agent tool calls and inbound user messages, seen after the fact through
// `sessions.subscribe`. Each is decided once (dedupe by run/tool call or message id), in order per session,
// audited and logged; a block gets a visible answer on the OpenClaw side when the bridge holds the scope:
// `chat.abort` of the run (operator.write) and a `chat.inject` transcript note (operator.admin).
import { isDisconnect, type BridgeContext } from './context.ts';
import { summarizeReasons } from './decide.ts';
import { decideObserved, describeObserved, parseObserved, type ObservedAction, type ObservedVerdict } from './observed.ts';
import { SessionLanes } from './session-lanes.ts';
import { countVerdict, type BridgeAuditRecord, type ObservedResponse } from './status.ts';
import type { OnBlock } from './config.ts';

/** Events that carry observed actions. */
export const OBSERVED_EVENTS = new Set(['agent', 'session.tool', 'session.message']);

/** The observer side of a bridge. */
export interface Observer {
  /** Handles one `agent` / `session.tool` / `session.message` event. */
  onEvent(event: string, payload: unknown): void;
  /** After hello: subscribes to session events, and learns which answers the granted scopes allow. */
  onConnected(grantedScopes: readonly string[]): Promise<void>;
  stop(): void;
}

/** Observer options. */
export interface ObserverOptions {
  onBlock: OnBlock;
  /** Observed actions held at once across sessions (running + waiting). */
  queueCap: number;
}

/**
 * Creates the observer of a bridge.
 * @example const observer = createObserver(ctx, { onBlock: 'abort', queueCap: 1024 }); observer.onEvent('session.message', payload)
 */
export function createObserver(ctx: BridgeContext, o: ObserverOptions): Observer {
  const lanes = new SessionLanes(o.queueCap, (err) => ctx.log.error('bridge observed-action task failed', { err: String(err) }));
  let canAbort = false;
  let canNote = false;

  /** The note shown in the session: the kind, tool and rules, never the blocked text itself (it may be an injection). */
  function noteText(a: ObservedAction, v: ObservedVerdict): string {
    const rules = summarizeReasons(v.reasons).map((r) => r.rule).slice(0, 6).join(', ') || 'policy';
    const what = a.kind === 'tool_call' ? `tool call \`${a.tool}\`` : 'inbound message';
    return `edgeclaw Defender blocked this ${what} (score ${v.score}; ${rules}).${o.onBlock === 'abort' && canAbort ? ' The run was stopped.' : ''}`;
  }

  async function respond(a: ObservedAction, v: ObservedVerdict): Promise<Pick<BridgeAuditRecord, 'response' | 'outcome' | 'error'>> {
    if (v.action !== 'block' || o.onBlock === 'log' || !a.sessionKey) return { response: 'none', outcome: 'observed' };
    let response: ObservedResponse = 'none';
    const errors: string[] = [];
    if (o.onBlock === 'abort' && canAbort) {
      try {
        await ctx.request('chat.abort', { sessionKey: a.sessionKey, ...(a.runId ? { runId: a.runId } : {}) });
        ctx.status.counters.aborts++;
        response = 'abort';
      } catch (err) {
        if (isDisconnect(err)) return { response, outcome: 'error', error: 'connection lost before chat.abort' };
        errors.push(`chat.abort: ${(err as Error).message.slice(0, 200)}`);
      }
    }
    if (canNote) {
      try {
        await ctx.request('chat.inject', { sessionKey: a.sessionKey, message: noteText(a, v), label: 'edgeclaw' });
        ctx.status.counters.notes++;
        if (response === 'none') response = 'note';
      } catch (err) {
        errors.push(`chat.inject: ${(err as Error).message.slice(0, 200)}`);
      }
    }
    if (errors.length) return { response, outcome: 'error', error: errors.join('; ') };
    return { response, outcome: response === 'abort' ? 'aborted' : response === 'note' ? 'noted' : 'observed' };
  }

  async function handle(a: ObservedAction): Promise<void> {
    const v = decideObserved(a, ctx.policy);
    countVerdict(ctx.status, a.kind, v.action);
    const result = await respond(a, v);
    ctx.record({
      ts: new Date().toISOString(), kind: a.kind, id: a.key, sessionKey: a.sessionKey, summary: describeObserved(a),
      action: v.action, score: v.score, reasons: summarizeReasons(v.reasons), runId: a.runId,
      ...(a.kind === 'tool_call' ? { tool: a.tool, toolCallId: a.toolCallId } : { messageId: a.messageId }),
      ...result,
    });
  }

  return {
    onEvent(event, payload) {
      const parsed = parseObserved(event, payload);
      if ('ignore' in parsed) return;
      if ('bad' in parsed) {
        ctx.status.counters.badFrames++;
        ctx.log.warn('bridge skipped an event it does not understand', { why: parsed.bad.slice(0, 200) });
        return ctx.publish();
      }
      const a = parsed.action;
      if (ctx.decided.has(a.key)) {
        ctx.status.counters.duplicates++;
        return ctx.publish();
      }
      const lane = a.sessionKey ?? `run:${a.kind === 'tool_call' ? a.runId : a.key}`;
      if (lanes.push(lane, () => handle(a)) === 'dropped') {
        ctx.status.counters.dropped++;
        ctx.log.warn('bridge dropped an observed action: queues full', { kind: a.kind, key: a.key.slice(0, 200), held: lanes.held });
        return ctx.publish();
      }
      ctx.decided.add(a.key);
    },
    async onConnected(scopes) {
      // OpenClaw: chat.abort needs operator.write (admin implies it); chat.inject needs operator.admin.
      canAbort = scopes.includes('operator.write') || scopes.includes('operator.admin');
      canNote = scopes.includes('operator.admin');
      try {
        await ctx.request('sessions.subscribe', {});
        ctx.status.observing = true;
      } catch (err) {
        ctx.status.observing = false;
        ctx.log.warn('bridge could not subscribe to session events (tool calls and messages are not observed)', { err: String(err) });
      }
      ctx.publish();
    },
    stop() {
      lanes.clear();
    },
  };
}
