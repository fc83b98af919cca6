/**
 * Telegram side of the outbound port: Markdown → Telegram HTML → split at the visible-length limit →
 * each chunk sent once through the outbox (key `<sessionKey>#<runId>`, chunk index), with 429/5xx
 * retries inside a finite budget. A chunk whose HTML Telegram rejects is resent as its plain text.
 */
import type { ChannelOutbox, DeliveryReport, OutboundReply, ReplyTarget } from '../envelope.ts';
import { htmlToPlain, splitTelegramHtml } from '../html-split.ts';
import { escapeHtml, markdownToTelegramHtml } from '../markdown.ts';
import { deliverChunks, type OutboxStore } from '../outbox.ts';
import type { RetryClock, RetryPolicy } from '../retry.ts';
import { classifyTelegramError, isParseError, type BotApi } from './api.ts';
import type { TelegramAccount } from './config.ts';

/** Longest reply text (UTF-16 units) rendered; the rest is cut with a notice (about 60 messages). */
export const MAX_REPLY_CHARS = 240_000;

/** What the Telegram outbox needs. */
export interface TelegramOutboxOptions {
  account(id: string): TelegramAccount | null;
  api(account: TelegramAccount): BotApi;
  readonly store: OutboxStore;
  readonly policy?: RetryPolicy;
  readonly clock?: RetryClock;
  readonly now?: () => number;
}

/** Per-delivery options: `draftId` makes the first chunk an edit of that (streaming draft) message. */
export interface DeliverOptions {
  readonly draftId?: string | null;
}

/** The Telegram outbox: `deliver` for agent replies (Markdown), `deliverPlain` for fixed texts. */
export interface TelegramOutbox extends ChannelOutbox {
  deliver(reply: OutboundReply, opts?: DeliverOptions): Promise<DeliveryReport>;
  deliverPlain(key: string, target: ReplyTarget, text: string, opts?: DeliverOptions): Promise<DeliveryReport>;
}

const NOT_MODIFIED = /message is not modified/i;
const EDIT_GONE = /message to edit not found|message can't be edited|MESSAGE_ID_INVALID/i;

/** True when an edit failed because the text is unchanged (the message already shows it: success). */
export function isNotModified(err: unknown): boolean {
  return err instanceof Error && NOT_MODIFIED.test(err.message);
}

/** True when the message to edit is gone or too old to edit (then a new message is sent instead). */
export function isEditGone(err: unknown): boolean {
  return err instanceof Error && EDIT_GONE.test(err.message);
}

/** Cuts `text` to MAX_REPLY_CHARS (never inside a surrogate pair) and says how much was left out. */
export function boundReply(text: string, max = MAX_REPLY_CHARS): string {
  if (text.length <= max) return text;
  let end = max;
  const c = text.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${text.slice(0, end)}\n\n… (reply truncated: ${text.length - end} more characters)`;
}

/** Parameters of one sendMessage: target chat, topic, quote on the first chunk, no link previews. */
function sendOptions(target: ReplyTarget, first: boolean) {
  return {
    ...(target.threadId ? { message_thread_id: Number(target.threadId) } : {}),
    ...(first && target.replyToMessageId ? { reply_parameters: { message_id: Number(target.replyToMessageId), allow_sending_without_reply: true } } : {}),
    link_preview_options: { is_disabled: true },
  };
}

/**
 * Creates the Telegram outbox.
 * @example await createTelegramOutbox({ account, api, store }).deliver({ sessionKey, runId, text, target })
 */
export function createTelegramOutbox(opts: TelegramOutboxOptions): TelegramOutbox {
  async function send(key: string, target: ReplyTarget, html: string, draftId: string | null): Promise<DeliveryReport> {
    const account = opts.account(target.account);
    if (!account) return { status: 'failed', chunks: 0, sentNow: 0, alreadySent: 0, messageIds: [], error: `unknown telegram account "${target.account}"` };
    const api = opts.api(account);
    const chunks = splitTelegramHtml(html, account.textChunkLimit);
    return deliverChunks({
      key,
      chunks,
      store: opts.store,
      classify: classifyTelegramError,
      ...(opts.policy ? { policy: opts.policy } : {}),
      ...(opts.clock ? { clock: opts.clock } : {}),
      ...(opts.now ? { now: opts.now } : {}),
      async send(chunk, index) {
        const options = sendOptions(target, index === 0);
        if (index === 0 && draftId) {
          const edited = await editDraft(api, target.chatId, Number(draftId), chunk);
          if (edited) return draftId;
        }
        try {
          const msg = await api.sendMessage(target.chatId, chunk, { ...options, parse_mode: 'HTML' });
          return String(msg.message_id);
        } catch (err) {
          if (!isParseError(err)) throw err;
          // Same visible text, so the same length: the plain fallback fits wherever the HTML did.
          const msg = await api.sendMessage(target.chatId, htmlToPlain(chunk), options);
          return String(msg.message_id);
        }
      },
    });
  }
  return {
    deliver: (reply, o) => send(`${reply.sessionKey}#${reply.runId}`, reply.target, markdownToTelegramHtml(boundReply(reply.text)), o?.draftId ?? null),
    deliverPlain: (key, target, text, o) => send(key, target, escapeHtml(boundReply(text)), o?.draftId ?? null),
  };
}

/**
 * Replaces a draft's text with the final chunk (HTML, plain on a parse error). True when the draft now
 * shows it; false when the draft is gone (the caller sends a new message). Other failures throw for
 * the outbox's retry.
 */
async function editDraft(api: BotApi, chatId: string, messageId: number, html: string): Promise<boolean> {
  const edit = async (text: string, parseMode: 'HTML' | null) => {
    try {
      await api.editMessageText(chatId, messageId, text, { ...(parseMode ? { parse_mode: parseMode } : {}), link_preview_options: { is_disabled: true } });
      return true;
    } catch (err) {
      if (isNotModified(err)) return true;
      if (isEditGone(err)) return false;
      throw err;
    }
  };
  try {
    return await edit(html, 'HTML');
  } catch (err) {
    if (!isParseError(err)) throw err;
    return edit(htmlToPlain(html), null);
  }
}
