/**
 * WhatsApp side of the outbound port: Markdown → WhatsApp's own markup (`*bold*`, `~strike~`), split at
 * the account's limit (4,096 per text body), each chunk sent once through the shared chunk outbox. The
 * 24-hour window error (131047) is final: the report says so, and the caller logs it; it is never retried.
 */
import { boundText, createChunkOutbox, type ChunkOutboxOptions, type PlainOutbox } from '../chunk-outbox.ts';
import type { DeliveryReport } from '../envelope.ts';
import type { OutboxStore } from '../outbox.ts';
import { splitText } from '../slack/format.ts';
import { classifyWhatsAppError, createWhatsAppApi, WINDOW_CLOSED_CODE, type WhatsAppApi } from './api.ts';
import { findWhatsAppAccount, type WhatsAppAccount, type WhatsAppVars } from './config.ts';

/** Longest reply rendered (characters); past it the text is cut with a notice. */
export const MAX_WHATSAPP_REPLY_CHARS = 100_000;

/** What the WhatsApp outbox needs. */
export interface WhatsAppOutboxOptions extends ChunkOutboxOptions<WhatsAppAccount> {
  api(account: WhatsAppAccount): WhatsAppApi;
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
export function createWhatsAppOutbox(opts: WhatsAppOutboxOptions): PlainOutbox {
  return createChunkOutbox(
    {
      channel: 'whatsapp',
      classify: classifyWhatsAppError,
      render: (a, text, plain) => {
        const bounded = boundText(text, MAX_WHATSAPP_REPLY_CHARS);
        return splitText(plain ? bounded : markdownToWhatsApp(bounded), a.textChunkLimit);
      },
      sender: (a) => {
        const api = opts.api(a);
        return (target, chunk) => api.sendText(target.chatId, chunk);
      },
    },
    opts,
  );
}

/** The outbox the session runner uses for replies to WhatsApp (accounts from env, the real Graph API). */
export function whatsappOutboxFor(vars: WhatsAppVars, store: OutboxStore): PlainOutbox {
  return createWhatsAppOutbox({ account: (id) => findWhatsAppAccount(vars, id), api: (a) => createWhatsAppApi(a), store });
}
