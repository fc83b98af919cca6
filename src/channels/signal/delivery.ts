/**
 * Signal side of the outbound port: the reply as plain text (Signal shows no Markdown), split at the
 * account's limit, each chunk sent once with signal-cli's JSON-RPC `send` through the shared chunk outbox.
 */
import { boundText, createChunkOutbox, type ChunkOutboxOptions, type PlainOutbox } from '../chunk-outbox.ts';
import type { OutboxStore } from '../outbox.ts';
import { splitText } from '../slack/format.ts';
import { classifySignalError, createSignalApi, type SignalApi } from './api.ts';
import { findSignalAccount, type SignalAccount, type SignalVars } from './config.ts';

/** Longest reply rendered (characters); past it the text is cut with a notice. */
export const MAX_SIGNAL_REPLY_CHARS = 100_000;

/** What the Signal outbox needs. */
export interface SignalOutboxOptions extends ChunkOutboxOptions<SignalAccount> {
  api(account: SignalAccount): SignalApi;
}

/** Markdown emphasis and headings → plain text (code kept as it is). */
export function markdownToPlain(markdown: string): string {
  return markdown
    .split(/(```[\s\S]*?```|`[^`\n]*`)/g)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/\*\*([^*\n]+)\*\*/g, '$1').replace(/__([^_\n]+)__/g, '$1').replace(/^#{1,6}\s+(.+)$/gm, '$1').replace(/\[([^\]\n]+)\]\((https?:\/\/[^)\s]+)\)/g, '$1 ($2)')))
    .join('');
}

/**
 * Creates the Signal outbox.
 * @example await createSignalOutbox({ account, api, store }).deliver({ sessionKey, runId, text, target })
 */
export function createSignalOutbox(opts: SignalOutboxOptions): PlainOutbox {
  return createChunkOutbox(
    {
      channel: 'signal',
      classify: classifySignalError,
      render: (a, text, plain) => {
        const bounded = boundText(text, MAX_SIGNAL_REPLY_CHARS);
        return splitText(plain ? bounded : markdownToPlain(bounded), a.textChunkLimit);
      },
      sender: (a) => {
        const api = opts.api(a);
        return (target, chunk) => api.send(target.chatId.startsWith('g') ? { groupId: target.chatId.slice(1) } : { number: target.chatId }, chunk);
      },
    },
    opts,
  );
}

/** The outbox the session runner uses for replies to Signal (accounts from env, the configured daemon). */
export function signalOutboxFor(vars: SignalVars, store: OutboxStore): PlainOutbox {
  return createSignalOutbox({ account: (id) => findSignalAccount(vars, id), api: (a) => createSignalApi(a), store });
}
