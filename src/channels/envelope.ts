/** The canonical inbound envelope every channel driver produces, and the ports it is delivered through. */
import type { Attachment } from './attachments.ts';

/** How a conversation is shaped on its channel (drives session keys and activation). */
export type ChatKind = 'dm' | 'group' | 'channel' | 'thread';

/** Who sent an inbound message. */
export interface Sender {
  /** Channel-native user id as text (Telegram: numeric user id). */
  readonly id: string;
  readonly username?: string;
  readonly displayName?: string;
  readonly isBot: boolean;
}

/** The conversation a message arrived in. */
export interface ChatRef {
  readonly kind: ChatKind;
  /** Channel-native chat id as text (Telegram: numeric, negative for groups). */
  readonly id: string;
  /** Thread or forum topic inside the chat, when there is one. */
  readonly threadId?: string;
  readonly title?: string;
}

/** One inbound message, channel-neutral: text plus optional file attachments (metadata only). */
export interface InboundEnvelope {
  /** Canonical channel id, e.g. `telegram`. */
  readonly channel: string;
  /** Account (bot) id inside the channel config. */
  readonly account: string;
  /** Transport delivery id (Telegram `update_id`, Slack `event_id`): the dedupe key. */
  readonly transportId: string;
  /** Channel message id of the message itself (used to quote it in a reply). */
  readonly messageId: string;
  readonly sender: Sender;
  readonly chat: ChatRef;
  readonly text: string;
  /** Files attached to the message (ids and metadata; the bytes are fetched only when a run reads them). */
  readonly attachments?: readonly Attachment[];
  /** The message this one replies to, if any. */
  readonly replyTo?: { readonly messageId: string; readonly senderId?: string; readonly fromSelf: boolean };
  /** True when the message mentions this bot (native mention or text mention). */
  readonly mentionsSelf: boolean;
  /** Channel timestamp (ms since epoch). */
  readonly sentAt: number;
}

/** Where a reply goes: enough for a driver to send without looking anything up. */
export interface ReplyTarget {
  readonly channel: string;
  readonly account: string;
  readonly chatId: string;
  readonly threadId?: string;
  /** Message to quote on the first chunk (groups), if any. */
  readonly replyToMessageId?: string;
}

/** The durable idempotency key of an inbound delivery: `<channel>:<account>:<transportId>`. */
export function inboundKey(env: Pick<InboundEnvelope, 'channel' | 'account' | 'transportId'>): string {
  return `${env.channel}:${env.account}:${env.transportId}`;
}

/** A routed message, ready for the session queue. */
export interface RoutedMessage {
  readonly sessionKey: string;
  /** `inboundKey(envelope)`: the session records it durably and answers `duplicate` for a repeat. */
  readonly idempotencyKey: string;
  readonly text: string;
  readonly target: ReplyTarget;
  readonly envelope: InboundEnvelope;
}

/** What the session queue said about a delivery (expected outcomes are values, not throws). */
export type DeliverResult =
  | { readonly status: 'queued'; readonly runId: string }
  | { readonly status: 'duplicate'; readonly runId: string }
  | { readonly status: 'rejected'; readonly reason: string; readonly retryAfterMs?: number };

/**
 * The inbound port: durably hand one message to its session. Resolves only after commit; a throw means
 * nothing was recorded (the transport must not acknowledge: webhook 5xx, polling offset kept).
 */
export interface InboundSink {
  deliver(message: RoutedMessage): Promise<DeliverResult>;
}

/** Session controls the channel commands need (`/status`, `/new`, `/stop`, `/queue`). */
export interface SessionControl {
  status(sessionKey: string): Promise<{ state: string; queued: number; queueMode?: string; model?: string }>;
  reset(sessionKey: string): Promise<void>;
  abort(sessionKey: string): Promise<{ cancelled: number; activeAborted: boolean }>;
  setQueueMode(sessionKey: string, mode: string | null): Promise<void>;
}

/** A reply to deliver: the session runtime calls the channel outbox with this after a run. */
export interface OutboundReply {
  readonly sessionKey: string;
  /** Run id (or any stable id of the reply); with the chunk index it keys the outbox. */
  readonly runId: string;
  /** Markdown text of the reply. */
  readonly text: string;
  readonly target: ReplyTarget;
}

/** What happened to one reply's chunks. */
export interface DeliveryReport {
  readonly status: 'sent' | 'partial' | 'failed';
  readonly chunks: number;
  /** Chunks sent by this call (the rest were already sent before, or failed). */
  readonly sentNow: number;
  readonly alreadySent: number;
  readonly messageIds: readonly string[];
  readonly error?: string;
}

/** The outbound port the session runtime calls; each channel implements it. */
export interface ChannelOutbox {
  deliver(reply: OutboundReply): Promise<DeliveryReport>;
}

const TARGET = /^([a-z0-9_-]+):([A-Za-z0-9_.-]+):(-?\d+)(?::t(\d+))?(?::r(\d+))?$/;

/**
 * Compact text form of a reply target (fits the queue item's 128-char `thread` field).
 * @example formatReplyTarget({ channel: 'telegram', account: 'default', chatId: '-100', threadId: '7' }) === 'telegram:default:-100:t7'
 */
export function formatReplyTarget(t: ReplyTarget): string {
  return `${t.channel}:${t.account}:${t.chatId}${t.threadId ? `:t${t.threadId}` : ''}${t.replyToMessageId ? `:r${t.replyToMessageId}` : ''}`;
}

/** Inverse of formatReplyTarget; null when the text is not a target. */
export function parseReplyTarget(text: string): ReplyTarget | null {
  const m = TARGET.exec(text);
  if (!m) return null;
  return {
    channel: m[1]!,
    account: m[2]!,
    chatId: m[3]!,
    ...(m[4] ? { threadId: m[4] } : {}),
    ...(m[5] ? { replyToMessageId: m[5] } : {}),
  };
}
