/**
 * Slack Events API payloads (https://api.slack.com/apis/events-api) as zod schemas (loose: Slack adds
 * fields), and their normalisation into the channel envelope. Only `app_mention` (channels) and DM
 * `message` events are taken: a channel message that mentions the bot also arrives as `message.channels`
 * when subscribed, and answering both would reply twice.
 */
import { z } from 'zod';
import { buildSessionKey, formatSessionKey, type DmScope } from '../../sessions/session-key.ts';
import { formatReplyTarget, type InboundEnvelope, type ReplyTarget } from '../envelope.ts';

const Id = z.string().regex(/^[A-Z0-9]{1,32}$/);
const Ts = z.string().regex(/^\d{1,12}\.\d{1,8}$/);

/** The inner event (the fields edgeclaw reads). */
export const SlackEventSchema = z.looseObject({
  type: z.string().max(64),
  subtype: z.string().max(64).optional(),
  user: Id.optional(),
  bot_id: z.string().max(64).optional(),
  text: z.string().max(64_000).optional(),
  ts: Ts.optional(),
  thread_ts: Ts.optional(),
  channel: Id.optional(),
  channel_type: z.string().max(32).optional(),
});

/** One request body: the URL check or an event callback. */
export const SlackPayloadSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('url_verification'), challenge: z.string().min(1).max(256) }),
  z.looseObject({
    type: z.literal('event_callback'),
    team_id: z.string().max(32).optional(),
    event_id: z.string().regex(/^[A-Za-z0-9]{1,64}$/),
    event_time: z.number().int().optional(),
    event: SlackEventSchema,
    authorizations: z.array(z.looseObject({ user_id: z.string().max(32).optional() })).max(10).optional(),
  }),
]);
/** A parsed body. */
export type SlackPayload = z.infer<typeof SlackPayloadSchema>;

/** The normalised message, or why it is not one. */
export type SlackNormalized = { readonly ok: true; readonly envelope: InboundEnvelope } | { readonly ok: false; readonly reason: string };

/** Text without the leading `<@BOT>` mention(s). */
function stripMention(text: string, botUserId: string | undefined): string {
  const re = botUserId ? new RegExp(`<@${botUserId}(\\|[^>]*)?>`, 'g') : /^\s*<@[A-Z0-9]+(\|[^>]*)?>/;
  return text.replace(re, '').trim();
}

/**
 * The envelope of an event callback, if it is a message for the bot.
 * @example normalizeSlackEvent(payload, 'default')
 */
export function normalizeSlackEvent(p: Extract<SlackPayload, { type: 'event_callback' }>, account: string): SlackNormalized {
  const e = p.event;
  const botUserId = p.authorizations?.[0]?.user_id;
  const isMention = e.type === 'app_mention';
  const isDm = e.type === 'message' && e.channel_type === 'im';
  if (!isMention && !isDm) return { ok: false, reason: `event ${e.type}${e.channel_type ? `/${e.channel_type}` : ''} not handled` };
  if (e.subtype && e.subtype !== 'thread_broadcast') return { ok: false, reason: `message subtype ${e.subtype}` };
  if (!e.user || !e.channel || !e.ts) return { ok: false, reason: 'event without user, channel or ts' };
  const fromBot = e.bot_id !== undefined || e.user === botUserId;
  const threadId = isMention ? (e.thread_ts ?? e.ts) : e.thread_ts;
  return {
    ok: true,
    envelope: {
      channel: 'slack',
      account,
      transportId: p.event_id,
      messageId: e.ts,
      sender: { id: e.user, isBot: fromBot },
      chat: { kind: isDm ? 'dm' : 'channel', id: e.channel, ...(threadId ? { threadId } : {}) },
      text: stripMention(e.text ?? '', botUserId),
      mentionsSelf: isMention,
      sentAt: Math.round(Number(e.ts) * 1000),
    },
  };
}

/** The session of a Slack message: DMs by `dmScope`; a channel mention gets its thread's own session. */
export function slackSessionKey(env: InboundEnvelope, r: { agentId: string; dmScope: DmScope }): string {
  const agentId = r.agentId.toLowerCase();
  if (env.chat.kind === 'dm') return buildSessionKey({ agentId, channel: 'slack', account: env.account, peerKind: 'direct', peerId: env.sender.id }, { dmScope: r.dmScope });
  return formatSessionKey({ kind: 'peer', agentId, channel: 'slack', account: env.account.toLowerCase(), peerKind: 'channel', peerId: env.chat.id.toLowerCase(), thread: env.chat.threadId ? { kind: 'thread', id: env.chat.threadId } : null });
}

/** Where the reply goes: the same conversation, in the thread of the message (channels always thread). */
export function slackReplyTarget(env: InboundEnvelope): ReplyTarget {
  return { channel: 'slack', account: env.account, chatId: env.chat.id, ...(env.chat.threadId ? { threadId: env.chat.threadId } : {}) };
}

const TARGET = /^slack:([a-z0-9_-]{1,64}):([A-Z0-9]{1,32})(?::t(\d{1,12}\.\d{1,8}))?$/;

/**
 * Parses the text form written by formatReplyTarget for a Slack target (Slack ids are not numeric, so
 * the shared parser does not take them).
 * @example parseSlackTarget('slack:default:C1:t1700000000.000100')
 */
export function parseSlackTarget(text: string): ReplyTarget | null {
  const m = TARGET.exec(text);
  return m ? { channel: 'slack', account: m[1]!, chatId: m[2]!, ...(m[3] ? { threadId: m[3] } : {}) } : null;
}

/** The text form of a Slack target (what the session item's `thread` carries). */
export function formatSlackTarget(t: ReplyTarget): string {
  return formatReplyTarget({ channel: t.channel, account: t.account, chatId: t.chatId, ...(t.threadId ? { threadId: t.threadId } : {}) });
}
