/**
 * WhatsApp side of the outbound port: Markdown → WhatsApp's own markup (`*bold*`, `~strike~`), split at
 * the account's limit (4,096 per text body), each chunk sent once through the outbox. The 24-hour window
 * error (131047) is final: the report says so, and the caller logs it; it is never retried.
 */
import type { ChannelOutbox, DeliveryReport, OutboundReply } from '../envelope.ts';
import { deliverChunks, type OutboxStore } from '../outbox.ts';
import type { RetryClock, RetryPolicy } from '../retry.ts';
import { splitText } from '../slack/format.ts';
import { classifyWhatsAppError, createWhatsAppApi, WINDOW_CLOSED_CODE, type WhatsAppApi } from './api.ts';
import { findWhatsAppAccount, type WhatsAppAccount, type WhatsAppVars } from './config.ts';

/** Longest reply rendered (characters); past it the text is cut with a notice. */
export const MAX_WHATSAPP_REPLY_CHARS = 100_000;

/** What the WhatsApp outbox needs. */
export interface WhatsAppOutboxOptions {
  account(id: string): WhatsAppAccount | null;
  api(account: WhatsAppAccount): WhatsAppApi;
  readonly store: OutboxStore;
  readonly policy?: RetryPolicy;
  readonly clock?: RetryClock;
  readonly now?: () => number;
}

/** Markdown → WhatsApp markup (code spans and blocks kept as they are). */
export function markdownToWhatsApp(markdown: string): string {
  return markdown
    .split(/(```[\s\S]*?```|`[^`\n]*`)/g)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/\*\*([^*\n]+)\*\*/g, '*$1*').replace(/~~([^~\n]+)~~/g, '~$1~').replace(/^#{1,6}\s+(.+)$/gm, '*$1*')))
    .join('');
}

/** True when a delivery report failed on the 24-hour customer service window. */
export function isWindowClosed(report: Pick<DeliveryReport, 'error'>): boolean {
  return report.error?.includes(`(${WINDOW_CLOSED_CODE})`) ?? false;
}

/**
 * Creates the WhatsApp outbox.
 * @example await createWhatsAppOutbox({ account, api, store }).deliver({ sessionKey, runId, text, target })
 */
export function createWhatsAppOutbox(opts: WhatsAppOutboxOptions): ChannelOutbox {
  return {
    async deliver(reply: OutboundReply): Promise<DeliveryReport> {
      const account = opts.account(reply.target.account);
      if (!account) return { status: 'failed', chunks: 0, sentNow: 0, alreadySent: 0, messageIds: [], error: `unknown whatsapp account "${reply.target.account}"` };
      const api = opts.api(account);
      const text = reply.text.length > MAX_WHATSAPP_REPLY_CHARS ? `${reply.text.slice(0, MAX_WHATSAPP_REPLY_CHARS)}\n\n… (reply truncated)` : reply.text;
      return deliverChunks({
        key: `${reply.sessionKey}#${reply.runId}`,
        chunks: splitText(markdownToWhatsApp(text), account.textChunkLimit),
        store: opts.store,
        classify: classifyWhatsAppError,
        ...(opts.policy ? { policy: opts.policy } : {}),
        ...(opts.clock ? { clock: opts.clock } : {}),
        ...(opts.now ? { now: opts.now } : {}),
        send: (chunk) => api.sendText(reply.target.chatId, chunk),
      });
    },
  };
}

/** The outbox the session runner uses for replies to WhatsApp (accounts from env, the real Graph API). */
export function whatsappOutboxFor(vars: WhatsAppVars, store: OutboxStore): ChannelOutbox {
  return createWhatsAppOutbox({ account: (id) => findWhatsAppAccount(vars, id), api: (a) => createWhatsAppApi(a), store });
}
