/**
 * The reply side of a channel turn, for the session runner: where the reply goes (the item's `thread`
 * target plus the message to quote from its `meta`), the live part while the run is active (Telegram:
 * typing and the streaming draft), extra model context (text documents), and the end: the final reply,
 * a short error notice when the run failed, nothing (and no draft) when it was aborted. Every channel
 * reply has a ledger row, so a run a restart interrupts still gets its notice, exactly once.
 */
import type { Env } from '../env.ts';
import { createLogger } from '../log.ts';
import { parseItemMeta } from '../channels/attachments.ts';
import { formatReplyTarget, parseReplyTarget, type ChannelOutbox, type ReplyTarget } from '../channels/envelope.ts';
import { SqlOutboxStore, type OutboxSql } from '../channels/outbox.ts';
import { MAX_SETTLE_ATTEMPTS, ReplyLedger, type LedgerRow } from '../channels/reply-ledger.ts';
import { createBotApi } from '../channels/telegram/api.ts';
import { findTelegramAccount } from '../channels/telegram/config.ts';
import { createTelegramOutbox } from '../channels/telegram/delivery.ts';
import { createLiveReply, type LiveReply } from '../channels/telegram/live-reply.ts';
import { documentContext } from '../channels/telegram/media.ts';
import { recordTelegramEvent } from '../channels/telegram/status-counters.ts';
import { slackOutboxFor } from '../channels/slack/delivery.ts';
import { parseSlackTarget } from '../channels/slack/events.ts';
import { whatsappOutboxFor } from '../channels/whatsapp/delivery.ts';
import { parseWhatsAppTarget } from '../channels/whatsapp/webhook.ts';
import type { TurnInput } from '../scheduler/turn-runner.ts';
import type { TurnItem } from '../scheduler/types.ts';

/** What the user reads when every model (fallbacks included) failed. */
export const FAILURE_NOTICE = 'Sorry, I could not answer that: the model provider failed (fallbacks included). Please try again in a moment.';
/** What the user reads when a restart interrupted the answer for good. */
export const INTERRUPTED_NOTICE = 'Sorry, my answer was interrupted by a restart. Please send your message again.';

/** Channels whose reply targets the shared parser does not take (non-numeric ids): parse + outbox each. */
const CHANNEL_OUTBOXES: Record<string, { parse(thread: string): ReplyTarget | null; outbox(env: Env, store: SqlOutboxStore): ChannelOutbox }> = {
  slack: { parse: parseSlackTarget, outbox: slackOutboxFor },
  whatsapp: { parse: parseWhatsAppTarget, outbox: whatsappOutboxFor },
};

/** The reply of one channel turn. */
export interface ChannelReply {
  /** Extra model context per item seq (the content of text documents). */
  context(items: readonly TurnItem[]): Promise<Map<number, string>>;
  /** The reply text so far (drives the streaming draft). */
  update(text: string): void;
  /** Delivers the final reply. */
  finish(text: string): Promise<void>;
  /** Tells the user the run failed (once). */
  fail(notice: string): Promise<void>;
  /** The run was aborted: no reply, no draft left. */
  abort(): Promise<void>;
  /** Stops the live part (typing, pending edits). */
  stop(): void;
}

/** Where the reply to a turn goes: its thread target, quoting the newest item's message in groups. */
export function turnTarget(items: readonly TurnItem[]): { thread: string; target: ReplyTarget | null } | null {
  const thread = items.find((i) => i.thread)?.thread;
  if (!thread) return null;
  const other = CHANNEL_OUTBOXES[thread.slice(0, thread.indexOf(':'))];
  if (other) return { thread, target: other.parse(thread) };
  const target = parseReplyTarget(thread);
  if (!target) return { thread, target: null };
  const quote = [...items].reverse().map((i) => parseItemMeta(i.meta).r).find((r) => r !== undefined);
  return { thread, target: quote ? { ...target, replyToMessageId: quote } : target };
}

/**
 * Opens the reply of a turn that came from a channel; null for other turns (gateway, hooks).
 * @example const reply = openChannelReply(env, ctx.storage.sql, input, runId); reply?.update('partial')
 */
export function openChannelReply(env: Env, sql: OutboxSql, input: TurnInput, runId: string): ChannelReply | null {
  const where = turnTarget(input.items);
  if (!where?.target) return null;
  const target = where.target;
  const log = createLogger();
  const store = new SqlOutboxStore(sql);
  const ledger = new ReplyLedger(sql);
  const replyKey = `${input.sessionKey}#${runId}`;
  ledger.open(replyKey, input.runId, target.channel === 'telegram' ? formatReplyTarget(target) : where.thread, Date.now());
  const other = CHANNEL_OUTBOXES[target.channel];
  if (other) {
    const outbox = other.outbox(env, store);
    const send = async (id: string, text: string) => {
      const r = await outbox.deliver({ sessionKey: input.sessionKey, runId: id, text, target });
      if (r.status !== 'sent') log.warn('reply delivery incomplete', { runId, channel: target.channel, status: r.status, error: r.error });
      ledger.close(replyKey, Date.now());
    };
    return {
      context: async () => new Map(),
      update: () => undefined,
      finish: (text) => send(runId, text),
      fail: (notice) => send(`${runId}#error`, notice),
      abort: async () => ledger.close(replyKey, Date.now()),
      stop: () => undefined,
    };
  }
  if (target.channel !== 'telegram') return null;
  const account = findTelegramAccount(env, target.account);
  if (!account) {
    ledger.close(replyKey, Date.now());
    log.warn('reply for an unknown telegram account', { account: target.account });
    return null;
  }
  const api = createBotApi(account);
  const outbox = createTelegramOutbox({ account: (id) => findTelegramAccount(env, id), api: () => api, store });
  const live: LiveReply = createLiveReply({
    api,
    outbox,
    ledger,
    sessionKey: input.sessionKey,
    runId,
    target,
    streaming: account.streaming,
    onEvent: (event, detail) => recordTelegramEvent(env, account.id, event, detail),
  });
  live.start();
  return {
    async context(items) {
      const out = new Map<number, string>();
      for (const item of items) {
        const docs = parseItemMeta(item.meta).a ?? [];
        if (item.seq === null || docs.length === 0) continue;
        const text = await documentContext(account, api, docs);
        if (text) out.set(item.seq, text);
      }
      return out;
    },
    update: (text) => live.update(text),
    async finish(text) {
      const r = await live.finish(text);
      if (r.status !== 'sent') log.warn('reply delivery incomplete', { runId, channel: 'telegram', status: r.status, error: r.error });
    },
    async fail(notice) {
      await live.fail(notice);
    },
    abort: () => live.abort(),
    stop: () => live.stop(),
  };
}

/** Settles one interrupted row: the notice replaces the draft (or is sent). True when delivered. */
async function settleRow(env: Env, store: SqlOutboxStore, row: LedgerRow): Promise<boolean> {
  const at = row.replyKey.indexOf('#');
  const sessionKey = row.replyKey.slice(0, at);
  const runId = row.replyKey.slice(at + 1);
  const other = CHANNEL_OUTBOXES[row.target.slice(0, row.target.indexOf(':'))];
  if (other) {
    const target = other.parse(row.target);
    if (!target) return true;
    return (await other.outbox(env, store).deliver({ sessionKey, runId: `${runId}#error`, text: INTERRUPTED_NOTICE, target })).status === 'sent';
  }
  const target = parseReplyTarget(row.target);
  const account = target?.channel === 'telegram' ? findTelegramAccount(env, target.account) : null;
  if (!target || !account) return true; // nothing to settle with: the account is gone
  const api = createBotApi(account);
  const outbox = createTelegramOutbox({ account: (id) => findTelegramAccount(env, id), api: () => api, store });
  const r = await outbox.deliverPlain(`${row.replyKey}#error`, target, INTERRUPTED_NOTICE, { draftId: row.draftId });
  if (r.status !== 'sent') recordTelegramEvent(env, account.id, 'delivery_failed', r.error ?? r.status);
  return r.status === 'sent';
}

/**
 * Settles the replies of runs a restart interrupted (after `ReplyLedger.markInterrupted`): each gets the
 * interrupted notice once (replacing its draft when there is one). Rows that fail stay for the next
 * call, up to MAX_SETTLE_ATTEMPTS. Returns how many rows are still waiting.
 * @example await settleInterruptedReplies(env, ctx.storage.sql)
 */
export async function settleInterruptedReplies(env: Env, sql: OutboxSql): Promise<number> {
  const ledger = new ReplyLedger(sql);
  const store = new SqlOutboxStore(sql);
  const log = createLogger();
  for (const row of ledger.interrupted()) {
    let done = false;
    try {
      done = await settleRow(env, store, row);
    } catch (err) {
      log.warn('interrupted reply not settled', { replyKey: row.replyKey, err });
    }
    if (done || row.attempts + 1 >= MAX_SETTLE_ATTEMPTS) ledger.close(row.replyKey, Date.now());
    else ledger.recordAttempt(row.replyKey);
  }
  return ledger.interrupted().length;
}
