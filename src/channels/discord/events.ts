/**
 * Discord payloads edgeclaw reads, as zod schemas (loose: Discord adds fields), and their normalisation
 * into the channel envelope: interactions (https://discord.com/developers/docs/interactions/receiving-and-responding)
 * for the `/ask` slash command, and Gateway `MESSAGE_CREATE` dispatches for plain messages. Also the
 * session key and the reply target, whose text form carries `ti<interaction id>` for interaction replies.
 */
import { z } from 'zod';
import { buildSessionKey, formatSessionKey, type DmScope } from '../../sessions/session-key.ts';
import type { InboundEnvelope, ReplyTarget } from '../envelope.ts';

const Snowflake = z.string().regex(/^\d{1,25}$/);
const User = z.looseObject({ id: Snowflake, username: z.string().max(64).optional(), global_name: z.string().max(64).nullable().optional(), bot: z.boolean().optional() });

/** The interaction types handled. */
export const InteractionType = { PING: 1, APPLICATION_COMMAND: 2 } as const;
/** The response types used. */
export const ResponseType = { PONG: 1, CHANNEL_MESSAGE: 4, DEFERRED_CHANNEL_MESSAGE: 5 } as const;
/** Message flag: only the invoking user sees it. */
export const EPHEMERAL = 64;

/** One interaction request body. */
export const InteractionSchema = z.looseObject({
  id: Snowflake,
  application_id: Snowflake,
  type: z.number().int().min(1).max(10),
  token: z.string().regex(/^[A-Za-z0-9_.-]{1,512}$/).optional(),
  guild_id: Snowflake.optional(),
  channel_id: Snowflake.optional(),
  member: z.looseObject({ user: User.optional() }).optional(),
  user: User.optional(),
  data: z
    .looseObject({
      name: z.string().max(64),
      options: z.array(z.looseObject({ name: z.string().max(64), type: z.number().int(), value: z.unknown().optional() })).max(25).optional(),
    })
    .optional(),
});
/** A parsed interaction. */
export type Interaction = z.infer<typeof InteractionSchema>;

/** A Gateway MESSAGE_CREATE payload. */
export const MessageCreateSchema = z.looseObject({
  id: Snowflake,
  channel_id: Snowflake,
  guild_id: Snowflake.optional(),
  author: User,
  content: z.string().max(8_000),
  timestamp: z.string().max(64).optional(),
  mentions: z.array(User).max(100).optional(),
  referenced_message: z.looseObject({ id: Snowflake, author: User.optional() }).nullable().optional(),
  webhook_id: Snowflake.optional(),
});
/** A parsed message. */
export type MessageCreate = z.infer<typeof MessageCreateSchema>;

/** The normalised message, or why it is not one. */
export type DiscordNormalized = { readonly ok: true; readonly envelope: InboundEnvelope } | { readonly ok: false; readonly reason: string };

/**
 * The envelope of an `/ask` command (its `question` option is the text).
 * @example normalizeAsk(interaction, 'default')
 */
export function normalizeAsk(i: Interaction, account: string): DiscordNormalized {
  const user = i.member?.user ?? i.user;
  if (!user || !i.channel_id) return { ok: false, reason: 'interaction without user or channel' };
  const option = i.data?.options?.find((o) => o.name === 'question') ?? i.data?.options?.find((o) => typeof o.value === 'string');
  const text = typeof option?.value === 'string' ? option.value.trim().slice(0, 6_000) : '';
  if (!text) return { ok: false, reason: 'no question' };
  return {
    ok: true,
    envelope: {
      channel: 'discord',
      account,
      transportId: `i${i.id}`,
      messageId: i.id,
      sender: { id: user.id, ...(user.username ? { username: user.username } : {}), ...(user.global_name ? { displayName: user.global_name } : {}), isBot: user.bot === true },
      chat: { kind: i.guild_id ? 'channel' : 'dm', id: i.channel_id, threadId: `i${i.id}` },
      text,
      mentionsSelf: true,
      sentAt: Date.now(),
    },
  };
}

/**
 * The envelope of a plain message seen on the Gateway (the bot's own mention is stripped from the text).
 * @example normalizeMessage(msg, 'default', botUserId)
 */
export function normalizeMessage(m: MessageCreate, account: string, botUserId: string | null): DiscordNormalized {
  if (m.webhook_id) return { ok: false, reason: 'webhook message' };
  const fromSelf = botUserId !== null && m.author.id === botUserId;
  if (fromSelf) return { ok: false, reason: 'own message' };
  const mentionsSelf = botUserId !== null && (m.mentions ?? []).some((u) => u.id === botUserId);
  const text = (botUserId ? m.content.replace(new RegExp(`<@!?${botUserId}>`, 'g'), '') : m.content).trim();
  const ref = m.referenced_message;
  return {
    ok: true,
    envelope: {
      channel: 'discord',
      account,
      transportId: `m${m.id}`,
      messageId: m.id,
      sender: { id: m.author.id, ...(m.author.username ? { username: m.author.username } : {}), isBot: m.author.bot === true },
      chat: { kind: m.guild_id ? 'channel' : 'dm', id: m.channel_id },
      text,
      ...(ref ? { replyTo: { messageId: ref.id, ...(ref.author ? { senderId: ref.author.id } : {}), fromSelf: botUserId !== null && ref.author?.id === botUserId } } : {}),
      mentionsSelf,
      sentAt: m.timestamp ? Date.parse(m.timestamp) || Date.now() : Date.now(),
    },
  };
}

/** The session of a Discord message: DMs by `dmScope`; a server channel has one session per channel. */
export function discordSessionKey(env: InboundEnvelope, r: { agentId: string; dmScope: DmScope }): string {
  const agentId = r.agentId.toLowerCase();
  if (env.chat.kind === 'dm') return buildSessionKey({ agentId, channel: 'discord', account: env.account, peerKind: 'direct', peerId: env.sender.id }, { dmScope: r.dmScope });
  return formatSessionKey({ kind: 'peer', agentId, channel: 'discord', account: env.account.toLowerCase(), peerKind: 'channel', peerId: env.chat.id, thread: null });
}

/** Where the reply goes: the same channel; `threadId: i<id>` marks an interaction (answered through its webhook). */
export function discordReplyTarget(env: InboundEnvelope): ReplyTarget {
  return { channel: 'discord', account: env.account, chatId: env.chat.id, ...(env.chat.threadId ? { threadId: env.chat.threadId } : {}) };
}

const TARGET = /^discord:([a-z0-9_-]{1,64}):(\d{1,25})(?::t(i\d{1,25}))?$/;

/**
 * Parses the text form of a Discord reply target (`discord:<account>:<channel>[:ti<interaction>]`), or null.
 * @example parseDiscordTarget('discord:default:123:ti456')?.threadId === 'i456'
 */
export function parseDiscordTarget(text: string): ReplyTarget | null {
  const m = TARGET.exec(text);
  return m ? { channel: 'discord', account: m[1]!, chatId: m[2]!, ...(m[3] ? { threadId: m[3] } : {}) } : null;
}

/** The reply-token id of an interaction (`channel_reply_tokens.id`). */
export function interactionTokenId(account: string, interactionId: string): string {
  return `discord:${account}:${interactionId}`;
}
