/**
 * Slack side of the outbound port: Markdown → mrkdwn → split at the account's limit (default 4,000,
 * Slack's recommendation; 40,000 is its hard cut) → each chunk posted once with chat.postMessage in the
 * target's thread, through the shared chunk outbox (429 Retry-After honoured).
 */
import { boundText, createChunkOutbox, type ChunkOutboxOptions, type ChunkOutboxSpec, type PlainOutbox } from '../chunk-outbox.ts';
import type { OutboxStore } from '../outbox.ts';
import { classifySlackError, createSlackApi, type SlackApi } from './api.ts';
import { findSlackAccount, type SlackAccount, type SlackVars } from './config.ts';
import { escapeSlack, markdownToSlack, splitText } from './format.ts';

/** Longest reply rendered (characters); past it the text is cut with a notice (about 50 messages). */
export const MAX_SLACK_REPLY_CHARS = 200_000;

/** What the Slack outbox needs. */
export interface SlackOutboxOptions extends ChunkOutboxOptions<SlackAccount> {
  api(account: SlackAccount): SlackApi;
}

/** The Slack outbox: `deliver` for agent replies (Markdown), `deliverPlain` for fixed texts. */
export type SlackOutbox = PlainOutbox;

/**
 * Creates the Slack outbox.
 * @example await createSlackOutbox({ account, api, store }).deliver({ sessionKey, runId, text, target })
 */
export function createSlackOutbox(opts: SlackOutboxOptions): SlackOutbox {
  const spec: ChunkOutboxSpec<SlackAccount> = {
    channel: 'slack',
    classify: classifySlackError,
    render: (a, text, plain) => {
      const bounded = boundText(text, MAX_SLACK_REPLY_CHARS);
      return splitText(plain ? escapeSlack(bounded) : markdownToSlack(bounded), a.textChunkLimit);
    },
    sender: (a) => {
      const api = opts.api(a);
      return (target, chunk) => api.postMessage(target.chatId, chunk, target.threadId);
    },
  };
  return createChunkOutbox(spec, opts);
}

/** The outbox the session runner uses for replies to Slack (accounts from env, the real Web API). */
export function slackOutboxFor(vars: SlackVars, store: OutboxStore): SlackOutbox {
  return createSlackOutbox({ account: (id) => findSlackAccount(vars, id), api: (a) => createSlackApi(a), store });
}
