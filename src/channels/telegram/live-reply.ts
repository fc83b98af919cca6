/**
 * The Telegram side of one running turn: the typing indicator while it runs (sendChatAction `typing`,
 * repeated every few seconds because Telegram shows it for about 5 s), an optional streaming draft
 * (one message edited with the text so far at a bounded rate, honouring 429 retry_after), and the end:
 * the final reply replaces the draft (first chunk edits it, the rest are sent), an error notice replaces
 * it, or an aborted run deletes it. The draft's message id is written to the reply ledger as soon as it
 * exists, so a restart can finalise it. https://core.telegram.org/bots/api#sendchataction
 */
import type { DeliveryReport, ReplyTarget } from '../envelope.ts';
import type { ReplyLedger } from '../reply-ledger.ts';
import { apiErrorCode, describeError, type BotApi } from './api.ts';
import { isEditGone, isNotModified, type TelegramOutbox } from './delivery.ts';

/** How often the typing action is repeated (Telegram clears it after 5 s or at the next message). */
export const TYPING_INTERVAL_MS = 4_500;
/** Least time between two draft edits (Telegram rate-limits edits per chat). */
export const DRAFT_EDIT_INTERVAL_MS = 1_000;
/** Longest draft preview (the final reply may be longer: it is split when delivered). */
export const DRAFT_PREVIEW_CHARS = 3_900;

/** What the live reply counts (for the account's status); failures here never fail the run. */
export type LiveReplyEvent = 'typing_failed' | 'draft_failed' | 'delivery_failed';

/** Timers, injectable for tests. */
export interface LiveTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const REAL_TIMERS: LiveTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  // SAFETY: the handle came from setTimeout above.
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** What one live reply needs. */
export interface LiveReplyOptions {
  readonly api: BotApi;
  readonly outbox: TelegramOutbox;
  readonly ledger: ReplyLedger;
  readonly sessionKey: string;
  /** The reply's run id: with the session key it keys the outbox and the ledger (`<sessionKey>#<runId>`). */
  readonly runId: string;
  readonly target: ReplyTarget;
  readonly streaming: boolean;
  readonly typingIntervalMs?: number;
  readonly editIntervalMs?: number;
  readonly timers?: LiveTimers;
  onEvent?(event: LiveReplyEvent, detail: string): void;
}

/** The live side of one turn. */
export interface LiveReply {
  /** Starts the typing indicator. */
  start(): void;
  /** The reply text so far (streaming); drafts are edited from it at a bounded rate. */
  update(text: string): void;
  /** Delivers the final Markdown reply (replacing the draft) and closes the ledger row. */
  finish(text: string): Promise<DeliveryReport>;
  /** Replaces the draft with (or sends) a plain notice, once per reply, and closes the row. */
  fail(notice: string): Promise<DeliveryReport>;
  /** Deletes the draft (the run was aborted) and closes the row. */
  abort(): Promise<void>;
  /** Stops the typing indicator and pending draft edits (idempotent). */
  stop(): void;
}

function retryAfterMs(err: unknown): number | null {
  if (apiErrorCode(err) !== 429) return null;
  const s = (err as { parameters?: { retry_after?: number } }).parameters?.retry_after;
  return (typeof s === 'number' && s > 0 ? s : 1) * 1000;
}

/** The draft text shown while streaming: plain text, cut with an ellipsis when long. */
export function draftPreview(text: string, max = DRAFT_PREVIEW_CHARS): string {
  const t = text.trim();
  if (t.length <= max) return `${t} …`;
  let end = max;
  const c = t.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${t.slice(0, end)} …`;
}

/**
 * Creates the live reply of one turn (typing now; the draft on the first update after the edit interval).
 * @example const live = createLiveReply({ api, outbox, ledger, sessionKey, runId, target, streaming: true }); live.start()
 */
export function createLiveReply(o: LiveReplyOptions): LiveReply {
  const timers = o.timers ?? REAL_TIMERS;
  const typingEvery = o.typingIntervalMs ?? TYPING_INTERVAL_MS;
  const editEvery = o.editIntervalMs ?? DRAFT_EDIT_INTERVAL_MS;
  const threadOpts = o.target.threadId ? { message_thread_id: Number(o.target.threadId) } : {};
  const replyKey = `${o.sessionKey}#${o.runId}`;
  const row = o.ledger.get(replyKey);
  // A closed row means this reply was already delivered (a rerun after a crash): never draft again.
  const delivered = row?.state === 'closed';
  let streaming = o.streaming && !delivered;
  let draftId = row?.draftId ?? null;
  let stopped = false;
  let typingTimer: unknown = null;
  let typingBlockedUntil = 0;
  let typingBusy = false;
  let latest = '';
  let shown = '';
  let nextEditAt = timers.now() + editEvery;
  let editTimer: unknown = null;
  let inflight: Promise<void> | null = null;

  const typing = () => {
    typingTimer = null;
    if (stopped) return;
    typingTimer = timers.setTimeout(typing, typingEvery);
    if (typingBusy || timers.now() < typingBlockedUntil) return;
    typingBusy = true;
    o.api
      .sendChatAction(o.target.chatId, 'typing', threadOpts)
      .catch((err: unknown) => {
        const wait = retryAfterMs(err);
        if (wait !== null) typingBlockedUntil = timers.now() + wait;
        o.onEvent?.('typing_failed', describeError(err));
      })
      .finally(() => (typingBusy = false));
  };

  const flushDraft = async () => {
    const text = draftPreview(latest);
    if (!streaming || latest.trim() === '' || text === shown) return;
    try {
      if (draftId === null) {
        const msg = await o.api.sendMessage(o.target.chatId, text, {
          ...threadOpts,
          ...(o.target.replyToMessageId ? { reply_parameters: { message_id: Number(o.target.replyToMessageId), allow_sending_without_reply: true } } : {}),
          link_preview_options: { is_disabled: true },
        });
        draftId = String(msg.message_id);
        // Recorded at once: from here on a restart finds this draft and finalises it.
        o.ledger.setDraft(replyKey, draftId);
      } else {
        await o.api.editMessageText(o.target.chatId, Number(draftId), text, { link_preview_options: { is_disabled: true } });
      }
      shown = text;
    } catch (err) {
      if (isNotModified(err)) {
        shown = text;
        return;
      }
      const wait = retryAfterMs(err);
      if (wait !== null) nextEditAt = Math.max(nextEditAt, timers.now() + wait);
      else if (isEditGone(err)) streaming = false; // the user deleted it: stop drafting, the final is sent normally
      o.onEvent?.('draft_failed', describeError(err));
    }
  };

  const scheduleDraft = () => {
    if (!streaming || stopped || editTimer !== null || inflight) return;
    const wait = Math.max(0, nextEditAt - timers.now());
    editTimer = timers.setTimeout(() => {
      editTimer = null;
      if (!streaming || stopped) return;
      nextEditAt = timers.now() + editEvery;
      inflight = flushDraft().finally(() => {
        inflight = null;
        if (latest !== '' && draftPreview(latest) !== shown) scheduleDraft();
      });
    }, wait);
  };

  const stop = () => {
    stopped = true;
    if (typingTimer !== null) timers.clearTimeout(typingTimer);
    if (editTimer !== null) timers.clearTimeout(editTimer);
    typingTimer = editTimer = null;
  };

  /** Stops streaming and waits for a draft send in flight, so the end sees the final draft id. */
  const settle = async () => {
    stop();
    streaming = false;
    await inflight;
  };

  const report = (r: DeliveryReport) => {
    if (r.status !== 'sent') o.onEvent?.('delivery_failed', r.error ?? r.status);
    return r;
  };

  return {
    start() {
      if (!stopped && typingTimer === null) typing();
    },
    update(text) {
      latest = text;
      scheduleDraft();
    },
    async finish(text) {
      await settle();
      const r = report(await o.outbox.deliver({ sessionKey: o.sessionKey, runId: o.runId, text, target: o.target }, { draftId }));
      o.ledger.close(replyKey, timers.now());
      return r;
    },
    async fail(notice) {
      await settle();
      const r = report(await o.outbox.deliverPlain(`${replyKey}#error`, o.target, notice, { draftId }));
      o.ledger.close(replyKey, timers.now());
      return r;
    },
    async abort() {
      await settle();
      if (draftId !== null && !delivered) {
        await o.api.deleteMessage(o.target.chatId, Number(draftId)).catch((err: unknown) => o.onEvent?.('draft_failed', describeError(err)));
      }
      o.ledger.close(replyKey, timers.now());
    },
    stop,
  };
}
