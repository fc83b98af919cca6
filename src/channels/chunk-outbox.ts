/**
 * The outbound machinery every driver shares: look the account up, render the reply (Markdown for agent
 * replies, plain text for fixed notices), split it at the account's limit, and send each chunk once
 * through the outbox (key `<sessionKey>#<runId>` and chunk index) with the shared retry budget. A driver
 * supplies only its render and its one send call.
 */
import type { ChannelOutbox, DeliveryReport, OutboundReply, ReplyTarget } from './envelope.ts';
import { deliverChunks, type OutboxStore } from './outbox.ts';
import type { Failure, RetryClock, RetryPolicy } from './retry.ts';

/** Sends one rendered chunk; resolves to the channel's message id. */
export type ChunkSender = (target: ReplyTarget, chunk: string, index: number) => Promise<string>;

/** What a channel contributes. */
export interface ChunkOutboxSpec<A> {
  /** Canonical channel id (error messages). */
  readonly channel: string;
  /** Rendered chunks of `text`: Markdown when `plain` is false, literal text otherwise. */
  render(account: A, text: string, plain: boolean): string[];
  /** The send call for one account (created once per delivery). */
  sender(account: A): ChunkSender;
  classify(err: unknown): Failure;
}

/** What the caller provides: accounts, the store, and optional retry tuning. */
export interface ChunkOutboxOptions<A> {
  account(id: string): A | null;
  readonly store: OutboxStore;
  readonly policy?: RetryPolicy;
  readonly clock?: RetryClock;
  readonly now?: () => number;
}

/** An outbox with a plain-text path for fixed notices (pairing answers, queue-full notes). */
export interface PlainOutbox extends ChannelOutbox {
  deliverPlain(key: string, target: ReplyTarget, text: string): Promise<DeliveryReport>;
}

/**
 * Cuts `text` to `max` UTF-16 units (never inside a surrogate pair) and says how much was left out.
 * @example boundText('abcdef', 3) === 'abc\n\n… (reply truncated: 3 more characters)'
 */
export function boundText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  const c = text.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${text.slice(0, end)}\n\n… (reply truncated: ${text.length - end} more characters)`;
}

/** A failed report for a delivery that could not start (unknown account, logged-out account). */
export function failedReport(error: string): DeliveryReport {
  return { status: 'failed', chunks: 0, sentNow: 0, alreadySent: 0, messageIds: [], error };
}

/**
 * Builds a channel's outbox from its spec.
 * @example createChunkOutbox(SLACK_SPEC, { account: (id) => findSlackAccount(env, id), store })
 */
export function createChunkOutbox<A>(spec: ChunkOutboxSpec<A>, opts: ChunkOutboxOptions<A>): PlainOutbox {
  async function send(key: string, target: ReplyTarget, text: string, plain: boolean): Promise<DeliveryReport> {
    const account = opts.account(target.account);
    if (!account) return failedReport(`unknown ${spec.channel} account "${target.account}"`);
    const sender = spec.sender(account);
    return deliverChunks({
      key,
      chunks: spec.render(account, text, plain),
      store: opts.store,
      classify: spec.classify,
      ...(opts.policy ? { policy: opts.policy } : {}),
      ...(opts.clock ? { clock: opts.clock } : {}),
      ...(opts.now ? { now: opts.now } : {}),
      send: (chunk, index) => sender(target, chunk, index),
    });
  }
  return {
    deliver: (reply: OutboundReply) => send(`${reply.sessionKey}#${reply.runId}`, reply.target, reply.text, false),
    deliverPlain: (key, target, text) => send(key, target, text, true),
  };
}
