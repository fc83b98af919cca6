/**
 * Discord side of the outbound port: the reply (Discord renders Markdown itself) split at the account's
 * limit (2,000 characters of `content`), each chunk sent once through the shared chunk outbox. A reply to
 * an `/ask` interaction edits the deferred response with the first chunk and sends the rest as
 * follow-ups through the interaction webhook (its token, kept 15 minutes, comes from the registry); a
 * reply to a plain message is posted to the channel with the bot token.
 */
import type { Env } from '../../env.ts';
import { getReplyToken } from '../../storage/repos/channel-status.ts';
import { boundText, createChunkOutbox, type ChunkOutboxOptions, type PlainOutbox } from '../chunk-outbox.ts';
import type { OutboxStore } from '../outbox.ts';
import { splitText } from '../slack/format.ts';
import { classifyDiscordError, createDiscordApi, DiscordApiError, type DiscordApi } from './api.ts';
import { findDiscordAccount, type DiscordAccount } from './config.ts';
import { interactionTokenId } from './events.ts';

/** Longest reply rendered (characters); past it the text is cut with a notice (50 messages). */
export const MAX_DISCORD_REPLY_CHARS = 100_000;

/** What the Discord outbox needs. */
export interface DiscordOutboxOptions extends ChunkOutboxOptions<DiscordAccount> {
  api(account: DiscordAccount): DiscordApi;
  /** The live token of an interaction, or null (expired or unknown). */
  interactionToken(account: string, interactionId: string): Promise<string | null>;
}

/** Markdown control characters escaped, for fixed notices that must show literally. */
export function escapeDiscord(text: string): string {
  return text.replace(/([\\*_~`|>#-])/g, '\\$1');
}

/**
 * Creates the Discord outbox.
 * @example await createDiscordOutbox({ account, api, interactionToken, store }).deliver({ sessionKey, runId, text, target })
 */
export function createDiscordOutbox(opts: DiscordOutboxOptions): PlainOutbox {
  return createChunkOutbox(
    {
      channel: 'discord',
      classify: classifyDiscordError,
      render: (a, text, plain) => {
        const bounded = boundText(text, MAX_DISCORD_REPLY_CHARS);
        return splitText(plain ? escapeDiscord(bounded) : bounded, a.textChunkLimit);
      },
      sender: (a) => {
        const api = opts.api(a);
        let token: Promise<string | null> | null = null;
        return async (target, chunk, index) => {
          const interaction = target.threadId?.startsWith('i') ? target.threadId.slice(1) : null;
          if (!interaction) return api.createMessage(target.chatId, chunk, index === 0 ? target.replyToMessageId : undefined);
          token ??= opts.interactionToken(a.id, interaction);
          const t = await token;
          // Past 15 minutes the webhook is gone; a bot token can still post the answer in the channel.
          if (!t) {
            if (a.botToken) return api.createMessage(target.chatId, chunk);
            throw new DiscordApiError(401, 50027, 'interaction token expired and no bot token configured');
          }
          return index === 0 ? api.editOriginal(t, chunk) : api.followUp(t, chunk);
        };
      },
    },
    opts,
  );
}

/** The outbox the session runner uses for replies to Discord (accounts and tokens from env, the real API). */
export function discordOutboxFor(env: Env, store: OutboxStore): PlainOutbox {
  return createDiscordOutbox({
    account: (id) => findDiscordAccount(env, id),
    api: (a) => createDiscordApi(a),
    interactionToken: (account, id) => getReplyToken(env.DB, interactionTokenId(account, id), Date.now()),
    store,
  });
}
