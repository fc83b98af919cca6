// Actions the bridge only observes (they already happened on the OpenClaw side): agent tool calls from
// `agent` / `session.tool` events (stream "tool") and inbound user messages from `session.message`.
// Each becomes one ObservedAction with a stable dedupe key, scored by the Defender.
import { z } from 'zod';
import { evaluate, type Action, type DefenderPolicy, type Reason } from '../defender/index.ts';

/** Tool events (`agent` with stream "tool", and `session.tool`): openclaw `AgentEventSchema`, tool stream data. */
export const ToolEventSchema = z.looseObject({
  runId: z.string().min(1).max(512),
  stream: z.literal('tool'),
  sessionKey: z.string().max(512).nullish(),
  agentId: z.string().max(256).nullish(),
  data: z.looseObject({
    phase: z.string().max(32),
    name: z.string().min(1).max(256),
    toolCallId: z.string().min(1).max(512),
    args: z.unknown().optional(),
  }),
});

/** Message content: a string, or parts of which the `text` ones count. */
const ContentSchema = z.union([z.string(), z.array(z.looseObject({ type: z.string().optional(), text: z.string().optional() })).max(1000)]);

/** `session.message`: one transcript row of a session (`projectSessionMessagePayload`). */
export const SessionMessageSchema = z.looseObject({
  sessionKey: z.string().min(1).max(512),
  agentId: z.string().max(256).nullish(),
  senderIsOwner: z.boolean().optional(),
  messageId: z.string().max(512).nullish(),
  messageSeq: z.number().int().nonnegative().nullish(),
  runId: z.string().max(512).nullish(),
  message: z.looseObject({
    role: z.string().max(64),
    content: ContentSchema.nullish(),
    timestamp: z.number().optional(),
    __openclaw: z.looseObject({ id: z.string().max(512).optional() }).optional(),
  }),
});

/** An observed action, ready for the Defender. */
export type ObservedAction =
  | { kind: 'tool_call'; key: string; sessionKey: string | null; runId: string; tool: string; toolCallId: string; args: unknown }
  | { kind: 'prompt'; key: string; sessionKey: string; runId: string | null; messageId: string | null; text: string; source?: 'owner' | 'external' };

/** Why an event was not turned into an action: not ours to judge (`ignore`) or malformed (`bad`). */
export type ParseOutcome = { action: ObservedAction } | { ignore: true } | { bad: string };

/** Most text scored per message (the Defender scores long inputs on head and tail anyway). */
const MAX_TEXT = 64 * 1024;

/**
 * Turns a gateway event into an observed action: tool calls (phase `start`) and user messages.
 * @example parseObserved('session.message', { sessionKey: 's', messageId: 'm1', message: { role: 'user', content: 'hi' } })
 */
export function parseObserved(event: string, payload: unknown): ParseOutcome {
  if (event === 'agent' || event === 'session.tool') {
    if (!isRecord(payload) || payload.stream !== 'tool') return { ignore: true };
    const p = ToolEventSchema.safeParse(payload);
    if (!p.success) return { bad: `${event}: ${p.error.issues[0]?.path.join('.')} ${p.error.issues[0]?.message}` };
    const { runId, sessionKey, data } = p.data;
    // The call is judged once, on `start` (which carries the args); update/result/review phases follow it.
    if (data.phase !== 'start') return { ignore: true };
    return {
      action: { kind: 'tool_call', key: `tool:${runId}:${data.toolCallId}`, sessionKey: sessionKey ?? null, runId, tool: data.name, toolCallId: data.toolCallId, args: data.args },
    };
  }
  if (event === 'session.message') {
    const p = SessionMessageSchema.safeParse(payload);
    if (!p.success) return { bad: `session.message: ${p.error.issues[0]?.path.join('.')} ${p.error.issues[0]?.message}` };
    const m = p.data;
    if (m.message.role !== 'user') return { ignore: true };
    const id = m.messageId ?? m.message.__openclaw?.id ?? (m.messageSeq != null ? `seq:${m.messageSeq}` : null);
    const text = contentText(m.message.content);
    if (!text.trim()) return { ignore: true };
    const key = `msg:${m.sessionKey}:${id ?? `${m.message.timestamp ?? 0}:${text.slice(0, 64)}`}`;
    const source = m.senderIsOwner === true ? 'owner' : m.senderIsOwner === false ? 'external' : undefined;
    return {
      action: { kind: 'prompt', key, sessionKey: m.sessionKey, runId: m.runId ?? null, messageId: id, text: text.slice(0, MAX_TEXT), ...(source ? { source } : {}) },
    };
  }
  return { ignore: true };
}

/** The Defender's verdict on an observed action. */
export interface ObservedVerdict {
  action: Action;
  score: number;
  reasons: Reason[];
}

/**
 * Scores an observed action: tool calls as `tool_call` (exec-like tools get their command scanned), messages as `prompt`.
 * @example decideObserved({ kind: 'prompt', key: 'k', sessionKey: 's', runId: null, messageId: null, text: 'hi' }, DEFAULT_POLICY).action // 'allow'
 */
export function decideObserved(a: ObservedAction, policy: DefenderPolicy): ObservedVerdict {
  const d = a.kind === 'tool_call'
    ? evaluate({ kind: 'tool_call', tool: a.tool, args: a.args }, policy)
    : evaluate({ kind: 'prompt', text: a.text, ...(a.source ? { source: a.source } : {}) }, policy);
  return { action: d.decision, score: d.score, reasons: d.reasons };
}

/** A short, log-safe description: the tool and its command/path/url, or the message head. */
export function describeObserved(a: ObservedAction): string {
  if (a.kind === 'prompt') return a.text.slice(0, 200);
  const args = isRecord(a.args) ? a.args : {};
  const main = ['command', 'cmd', 'script', 'path', 'file_path', 'url', 'query'].map((k) => args[k]).find((v) => typeof v === 'string');
  return `${a.tool}${typeof main === 'string' ? ` ${main}` : ''}`.slice(0, 200);
}

function contentText(content: z.infer<typeof ContentSchema> | null | undefined): string {
  if (!content) return '';
  if (typeof content === 'string') return content;
  return content.map((p) => (p.type === undefined || p.type === 'text' ? (p.text ?? '') : '')).filter(Boolean).join('\n');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
