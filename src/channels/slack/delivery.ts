/**
 * Slack side of the outbound port: Markdown → mrkdwn → split at the account's limit (default 4,000,
 * Slack's recommendation; 40,000 is its hard cut) → each chunk posted once with chat.postMessage in the
 * target's thread, through the outbox (key `<sessionKey>#<runId>`, chunk index), 429 Retry-After honoured.
 */
import type { ChannelOutbox, DeliveryReport, OutboundReply, ReplyTarget } from '../envelope.ts';
import { deliverChunks, type OutboxStore } from '../outbox.ts';
import type { RetryClock, RetryPolicy } from '../retry.ts';
import { classifySlackError, createSlackApi, type SlackApi } from './api.ts';
import { findSlackAccount, type SlackAccount, type SlackVars } from './config.ts';
import { escapeSlack, markdownToSlack, splitText } from './format.ts';

/** Longest reply rendered (characters); past it the text is cut with a notice (about 50 messages). */
export const MAX_SLACK_REPLY_CHARS = 200_000;

/** What the Slack outbox needs. */
export interface SlackOutboxOptions {
  account(id: string): SlackAccount | null;
  api(account: SlackAccount): SlackApi;
  readonly store: OutboxStore;
  readonly policy?: RetryPolicy;
  readonly clock?: RetryClock;
  readonly now?: () => number;
}

/** The Slack outbox: `deliver` for agent replies (Markdown), `deliverPlain` for fixed texts. */
export interface SlackOutbox extends ChannelOutbox {
  deliverPlain(key: string, target: ReplyTarget, text: string): Promise<DeliveryReport>;
}

function bound(text: string): string {
  if (text.length <= MAX_SLACK_REPLY_CHARS) return text;
  return `${text.slice(0, MAX_SLACK_REPLY_CHARS)}\n\n… (reply truncated: ${text.length - MAX_SLACK_REPLY_CHARS} more characters)`;
}

/**
 * Creates the Slack outbox.
 * @example await createSlackOutbox({ account, api, store }).deliver({ sessionKey, runId, text, target })
 */
export function createSlackOutbox(opts: SlackOutboxOptions): SlackOutbox {
  async function send(key: string, target: ReplyTarget, rendered: string): Promise<DeliveryReport> {
    const account = opts.account(target.account);
    if (!account) return { status: 'failed', chunks: 0, sentNow: 0, alreadySent: 0, messageIds: [], error: `unknown slack account "${target.account}"` };
    const api = opts.api(account);
    return deliverChunks({
      key,
      chunks: splitText(rendered, account.textChunkLimit),
      store: opts.store,
      classify: classifySlackError,
      ...(opts.policy ? { policy: opts.policy } : {}),
      ...(opts.clock ? { clock: opts.clock } : {}),
      ...(opts.now ? { now: opts.now } : {}),
      send: (chunk) => api.postMessage(target.chatId, chunk, target.threadId),
    });
  }
  return {
    deliver: (reply: OutboundReply) => send(`${reply.sessionKey}#${reply.runId}`, reply.target, markdownToSlack(bound(reply.text))),
    deliverPlain: (key, target, text) => send(key, target, escapeSlack(bound(text))),
  };
}

/** The outbox the session runner uses for replies to Slack (accounts from env, the real Web API). */
export function slackOutboxFor(vars: SlackVars, store: OutboxStore): SlackOutbox {
  return createSlackOutbox({ account: (id) => findSlackAccount(vars, id), api: (a) => createSlackApi(a), store });
}
