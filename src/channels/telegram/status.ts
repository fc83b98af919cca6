/**
 * The `telegram.status` snapshot of one account: mode, last update time, last error, queue depth,
 * offset, conflicts and delivery failure counters (status-counters.ts), for `channels.status`.
 */
import type { Env } from '../../env.ts';
import { createBotApi, describeError, type BotApiOptions } from './api.ts';
import { findTelegramAccount } from './config.ts';
import type { PollerStatus } from './polling.ts';
import { emptyCounters } from './status-counters.ts';

export { recordTelegramEvent, type TelegramCounters } from './status-counters.ts';

/** The status snapshot of one Telegram account. */
export interface TelegramAccountStatus {
  account: string;
  mode: 'webhook' | 'polling';
  /** Polling: the loop is on. Webhook: a webhook URL is configured (registration is checked separately). */
  running: boolean;
  streaming: boolean;
  lastUpdateAt: number | null;
  lastError: { at: number; message: string; source: string } | null;
  /** Updates waiting at Telegram (webhook: pending_update_count) or fetched but not yet handed off (polling). */
  queueDepth: number | null;
  /** Webhook: updates acknowledged and not yet handed to their sessions (the account's inbox); null when polling. */
  inboxPending: number | null;
  /** Polling offset (null in webhook mode). */
  offset: number | null;
  conflict: PollerStatus['conflict'];
  updates: number;
  deliveryFailures: number;
  typingFailures: number;
  draftFailures: number;
  webhook: { url: string; pendingUpdateCount: number; lastErrorMessage: string | null; lastErrorAt: number | null } | null;
}

const latest = (...errs: (TelegramAccountStatus['lastError'] | null)[]) =>
  errs.reduce<TelegramAccountStatus['lastError']>((a, b) => (b && (!a || b.at > a.at) ? b : a), null);

/**
 * The status of `accountId` (null when no such account): counters and poller state from its status
 * object, plus getWebhookInfo in webhook mode (skipped with `probe: false`; a failed probe is the last error).
 * @example const s = await telegramStatus(env, 'default'); s?.deliveryFailures
 */
export async function telegramStatus(env: Env, accountId: string, opts: { probe?: boolean; apiOptions?: BotApiOptions } = {}): Promise<TelegramAccountStatus | null> {
  const account = findTelegramAccount(env, accountId);
  if (!account) return null;
  const stub = env.TELEGRAM_POLLERS?.getByName(account.id);
  const counters = stub ? await stub.counters() : emptyCounters();
  const poller = account.transport === 'polling' && stub ? await stub.status() : null;
  const inboxPending = account.transport === 'webhook' && stub ? await stub.inboxPending() : null;
  let webhook: TelegramAccountStatus['webhook'] = null;
  let probeError: TelegramAccountStatus['lastError'] = null;
  if (account.transport === 'webhook' && opts.probe !== false) {
    try {
      const info = await createBotApi(account, { timeoutSeconds: 10, ...opts.apiOptions }).getWebhookInfo();
      webhook = {
        url: info.url ?? '',
        pendingUpdateCount: info.pending_update_count,
        lastErrorMessage: info.last_error_message ?? null,
        lastErrorAt: info.last_error_date ? info.last_error_date * 1000 : null,
      };
    } catch (err) {
      probeError = { at: Date.now(), message: `getWebhookInfo: ${describeError(err)}`, source: 'probe' };
    }
  }
  return {
    account: account.id,
    mode: account.transport,
    running: poller ? poller.running : Boolean(account.webhookUrl),
    streaming: account.streaming,
    lastUpdateAt: Math.max(counters.lastUpdateAt ?? 0, poller?.lastUpdateAt ?? 0) || null,
    lastError: latest(
      counters.lastError ? { at: counters.lastError.at, message: counters.lastError.message, source: counters.lastError.kind } : null,
      poller?.lastError ? { at: poller.lastError.at, message: poller.lastError.message, source: 'polling' } : null,
      webhook?.lastErrorMessage && webhook.lastErrorAt ? { at: webhook.lastErrorAt, message: webhook.lastErrorMessage, source: 'webhook' } : null,
      probeError,
    ),
    queueDepth: webhook ? webhook.pendingUpdateCount : poller ? (poller.pending ?? 0) : null,
    inboxPending,
    offset: poller ? poller.offset : null,
    conflict: poller?.conflict ?? null,
    updates: counters.updates + (poller?.updatesHandled ?? 0),
    deliveryFailures: counters.deliveryFailures,
    typingFailures: counters.typingFailures,
    draftFailures: counters.draftFailures,
    webhook,
  };
}
