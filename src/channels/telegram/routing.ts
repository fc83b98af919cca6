/**
 * Where a Telegram message goes: its session key and its reply target. DMs follow `dmScope` (default
 * `per-account-channel-peer`: `agent:<agentId>:telegram:<account>:direct:<userId>`); groups are
 * `agent:<agentId>:telegram:<account>:group:<chatId>`, forum topics add `:topic:<threadId>`, so two bots
 * in one group, or two topics of one forum, never share a session.
 */
import { buildSessionKey, formatSessionKey, type DmScope } from '../../sessions/session-key.ts';
import type { InboundEnvelope, ReplyTarget } from '../envelope.ts';

/** Routing options of an account. */
export interface TelegramRouting {
  readonly agentId: string;
  readonly dmScope: DmScope;
}

/**
 * The session key of an inbound Telegram message.
 * @example telegramSessionKey(dmEnvelope, { agentId: 'main', dmScope: 'per-account-channel-peer' }) === 'agent:main:telegram:default:direct:42'
 */
export function telegramSessionKey(env: InboundEnvelope, r: TelegramRouting): string {
  const agentId = r.agentId.toLowerCase();
  if (env.chat.kind === 'dm') {
    return buildSessionKey({ agentId, channel: 'telegram', account: env.account, peerKind: 'direct', peerId: env.sender.id }, { dmScope: r.dmScope });
  }
  return formatSessionKey({
    kind: 'peer',
    agentId,
    channel: 'telegram',
    account: env.account.toLowerCase(),
    peerKind: env.chat.kind === 'channel' ? 'channel' : 'group',
    peerId: env.chat.id,
    thread: env.chat.threadId ? { kind: 'topic', id: env.chat.threadId } : null,
  });
}

/** Where the reply to `env` goes: same chat and topic; in groups it quotes the triggering message. */
export function telegramReplyTarget(env: InboundEnvelope): ReplyTarget {
  return {
    channel: 'telegram',
    account: env.account,
    chatId: env.chat.id,
    ...(env.chat.threadId ? { threadId: env.chat.threadId } : {}),
    ...(env.chat.kind !== 'dm' ? { replyToMessageId: env.messageId } : {}),
  };
}
