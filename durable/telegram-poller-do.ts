/**
 * TelegramPollerDO: one object per polling account (`getByName(accountId)`), so exactly one getUpdates
 * loop runs per bot token on either host. Each alarm runs one long-poll step and re-arms after the
 * step's delay; offset and status live in the object's storage, so the loop survives eviction,
 * restarts and deploys. A thin shell over src/channels/telegram/poller-host.ts.
 *
 * In webhook mode it is the account's inbox (src/channels/telegram/inbox.ts): `accept` commits the raw
 * update (deduplicated by update_id) so the webhook can answer 200 at once, then starts handing pending
 * updates to the sessions in the background. A safety alarm (armed once, not per update) drains what a
 * crash or an eviction left behind; a failed hand-off is retried with a capped backoff.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../src/env.ts';
import { createLogger } from '../src/log.ts';
import { findTelegramAccount } from '../src/channels/telegram/config.ts';
import type { InboxDrainer, PollerHostOptions } from '../src/channels/telegram/poller-host.ts';
import type { PollerStatus, TelegramPoller } from '../src/channels/telegram/polling.ts';
import { applyDelta, emptyCounters, type TelegramCounterDelta, type TelegramCounters } from '../src/channels/telegram/status-counters.ts';
import { drainInbox, TelegramInbox, type InboxAcceptResult } from '../src/channels/telegram/inbox.ts';

/** Storage keys (mirrors POLLER_KEYS in poller-host.ts, which loads grammY; kept here so status reads stay light). */
const POLLER_KEYS = { account: 'account', offset: 'offset', status: 'status' } as const;
import type { TelegramBindings } from '../src/channels/telegram/routes.ts';

const RUNNING = 'running';
/** Storage key of the account's counters (both modes: this object is the account's status home). */
const COUNTERS = 'counters';
/** Storage key of the account whose webhook inbox this object holds. */
const INBOX_ACCOUNT = 'inboxAccount';
/** Longest wait between two attempts to hand off a pending update that failed. */
const INBOX_MAX_BACKOFF_MS = 30_000;
/** The safety alarm after an accepted update: drains what a crash or an eviction left in the inbox. */
const INBOX_SAFETY_MS = 5_000;

export class TelegramPollerDO extends DurableObject<Env & TelegramBindings> {
  #poller: TelegramPoller | null = null;
  /** What was last announced as telegram.status (in memory: a restart announces the state once more). */
  #lastSig = '';
  #busy = false;
  #inbox: TelegramInbox | null = null;
  #inboxAccount: string | null = null;
  #drainer: InboxDrainer | null = null;
  /** The inbox drain in progress (at most one per object). */
  #drainRun: Promise<number | null> | null = null;
  /** A drain is scheduled to start. */
  #kicked = false;
  /** Consecutive drains that ended with a failed hand-off (in memory: a restart only retries sooner). */
  #drainFailures = 0;

  /** Overrides for tests (a fake Bot API's fetch, a deterministic clock); production passes none. */
  protected hostOptions(): PollerHostOptions {
    return {};
  }

  /** Starts (or keeps) polling `accountId`: drops a registered webhook (else getUpdates answers 409), arms the alarm. */
  async start(accountId: string, opts: { deleteWebhook?: boolean } = {}): Promise<PollerStatus> {
    const account = findTelegramAccount(this.env, accountId);
    if (!account) throw new Error(`no telegram account "${accountId}"`);
    if (account.transport !== 'polling') throw new Error(`telegram account "${accountId}" uses ${account.transport}, not polling`);
    await this.ctx.storage.put(POLLER_KEYS.account, accountId);
    await this.ctx.storage.put(RUNNING, true);
    if (opts.deleteWebhook !== false) {
      const { createBotApi } = await import('../src/channels/telegram/api.ts');
      await createBotApi(account, this.hostOptions().apiOptions)
        .deleteWebhook({ drop_pending_updates: false })
        .catch((err: unknown) => createLogger().warn('telegram deleteWebhook failed', { account: accountId, err }));
    }
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now());
    return this.status();
  }

  /**
   * Webhook inbox: commits the raw update of `accountId` once (`duplicate` when its update_id is known,
   * `full` at the account's `inboxCap`), then hands it to its session in the background; the safety alarm
   * covers a crash before that.
   */
  async accept(accountId: string, updateId: number, body: string): Promise<InboxAcceptResult> {
    const inbox = await this.#inboxFor(accountId);
    const now = Date.now();
    const result = inbox.accept(updateId, body, now);
    if (result.status !== 'accepted') return result;
    // Crash safety first (one alarm for a burst, not one per update), then the hand-off right away.
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(now + INBOX_SAFETY_MS);
    this.#kick();
    return result;
  }

  /** Starts a background drain unless one runs (a running drain reads the inbox again before it stops). */
  #kick(): void {
    if (this.#drainRun || this.#kicked) return;
    this.#kicked = true;
    // On a timer: the acknowledgement goes out before the hand-off starts using the CPU.
    const started = new Promise<void>((resolve) => setTimeout(resolve, 0)).then(() => {
      this.#kicked = false;
      return this.#drain();
    });
    this.ctx.waitUntil(started.then((retryAt) => this.#wakeAt(retryAt)));
  }

  /** Runs one drain, or joins the one running. Resolves with when to retry a failed hand-off (null: none). */
  #drain(): Promise<number | null> {
    this.#drainRun ??= this.#drainInbox().then((retryAt) => {
      this.#drainRun = null;
      // An update accepted while the last round finished is picked up right away.
      if (retryAt === null && (this.#inbox?.pendingCount() ?? 0) > 0) this.#kick();
      return retryAt;
    });
    return this.#drainRun;
  }

  /** Arms the alarm for `at` unless an earlier one is set. */
  async #wakeAt(at: number | null): Promise<void> {
    if (at === null) return;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  /** Pending webhook updates of this account (accepted, not yet handed to a session). */
  async inboxPending(): Promise<number> {
    return (await this.#inboxOrNull())?.pendingCount() ?? 0;
  }

  async #inboxFor(accountId: string): Promise<TelegramInbox> {
    if (this.#inbox && this.#inboxAccount === accountId) return this.#inbox;
    const account = findTelegramAccount(this.env, accountId);
    if (!account) throw new Error(`no telegram account "${accountId}"`);
    if ((await this.ctx.storage.get<string>(INBOX_ACCOUNT)) !== accountId) await this.ctx.storage.put(INBOX_ACCOUNT, accountId);
    const inbox = new TelegramInbox(this.ctx.storage.sql, account.inboxCap);
    inbox.migrate();
    this.#inbox = inbox;
    this.#inboxAccount = accountId;
    this.#drainer = null;
    return inbox;
  }

  async #inboxOrNull(): Promise<TelegramInbox | null> {
    if (this.#inbox) return this.#inbox;
    const accountId = await this.ctx.storage.get<string>(INBOX_ACCOUNT);
    return accountId && findTelegramAccount(this.env, accountId) ? this.#inboxFor(accountId) : null;
  }

  /**
   * Hands pending inbox updates to their sessions. Returns when to try again after a failed hand-off
   * (null: nothing failed). Never throws: a failure is retried with a capped backoff.
   */
  async #drainInbox(): Promise<number | null> {
    let failed = 0;
    try {
      const inbox = await this.#inboxOrNull();
      if (!inbox || inbox.pendingCount() === 0) return null;
      if (!this.#drainer) {
        const { createInboxDrainer } = await import('../src/channels/telegram/poller-host.ts');
        this.#drainer = createInboxDrainer(this.env, this.#inboxAccount!, this.hostOptions());
      }
      const drainer = this.#drainer;
      // The account left the config: keep its updates and look again later (no spinning).
      if (!drainer) return Date.now() + INBOX_MAX_BACKOFF_MS;
      const account = this.#inboxAccount;
      failed = (
        await drainInbox(inbox, (row) => drainer.handle(row), (row) => drainer.chatOf(row), {
          // An update that fails while others go through is set aside after a few tries (logged with its id).
          onSetAside: (row, err) => createLogger().error('telegram update set aside after repeated failed hand-offs', { account, updateId: row.updateId, attempts: row.attempts + 1, err: String(err).slice(0, 300) }),
        })
      ).failed;
    } catch (err) {
      failed = 1;
      createLogger().warn('telegram inbox drain failed', { account: this.#inboxAccount, err: String(err) });
    }
    if (failed === 0) {
      this.#drainFailures = 0;
      return null;
    }
    this.#drainFailures++;
    return Date.now() + Math.min(INBOX_MAX_BACKOFF_MS, 500 * 2 ** Math.min(this.#drainFailures - 1, 6));
  }

  /** Stops polling; the offset is kept for the next start. */
  async stop(): Promise<PollerStatus> {
    await this.ctx.storage.put(RUNNING, false);
    await this.ctx.storage.deleteAlarm();
    const status = { ...(await this.status()), running: false };
    await this.ctx.storage.put(POLLER_KEYS.status, status);
    await this.#announce(status);
    return status;
  }

  /** The last persisted status (offset, conflict, last error, ...). */
  async status(): Promise<PollerStatus> {
    if (this.#poller) return this.#poller.status();
    const stored = await this.ctx.storage.get<PollerStatus>(POLLER_KEYS.status);
    const account = (await this.ctx.storage.get<string>(POLLER_KEYS.account)) ?? 'unknown';
    const offset = (await this.ctx.storage.get<number>(POLLER_KEYS.offset)) ?? 0;
    const { initialStatus } = await import('../src/channels/telegram/polling.ts');
    return { ...(stored ?? initialStatus(account)), offset: Math.max(offset, stored?.offset ?? 0) };
  }

  /** Adds a batch of counted events (webhook updates, delivery/typing/draft failures) to the counters. */
  async recordEvents(delta: TelegramCounterDelta): Promise<void> {
    const current = (await this.ctx.storage.get<TelegramCounters>(COUNTERS)) ?? emptyCounters();
    const next = applyDelta(current, delta);
    await this.ctx.storage.put(COUNTERS, next);
    // A new failure is news for operators; plain update counts are not (they are in channels.status).
    if (delta.lastError && delta.lastError.at !== current.lastError?.at) await this.#broadcast({ account: (await this.ctx.storage.get<string>(POLLER_KEYS.account)) ?? null, counters: next });
  }

  /**
   * `telegram.status` (operator.read) when the poller's state changes: started or stopped, connected or not,
   * a 409 conflict begins or ends, a new error. Offsets and poll times alone are not announced.
   */
  async #announce(status: PollerStatus): Promise<void> {
    const sig = JSON.stringify([status.running, status.connected, status.conflict?.since ?? null, status.lastError?.at ?? null]);
    if (sig === this.#lastSig) return;
    this.#lastSig = sig;
    await this.#broadcast({ account: status.account, mode: 'polling', running: status.running, connected: status.connected, offset: status.offset, lastUpdateAt: status.lastUpdateAt, lastError: status.lastError, conflict: status.conflict });
  }

  async #broadcast(payload: Record<string, unknown>): Promise<void> {
    await this.env.GATEWAY?.getByName('main').broadcast('telegram.status', { ...payload, ts: Date.now() }).catch(() => undefined);
  }

  /** The account's counters. */
  async counters(): Promise<TelegramCounters> {
    return (await this.ctx.storage.get<TelegramCounters>(COUNTERS)) ?? emptyCounters();
  }

  /** Drains the webhook inbox, then one poll step (polling accounts), then re-arms for what is left. */
  override async alarm(): Promise<void> {
    // Join a background drain, then drain what is left; whatever is still pending keeps an alarm.
    if (this.#drainRun) await this.#drainRun;
    const retryAt = await this.#drain();
    if (retryAt !== null) await this.ctx.storage.setAlarm(retryAt);
    else if ((this.#inbox?.pendingCount() ?? 0) > 0) await this.#wakeAt(Date.now() + INBOX_SAFETY_MS);
    await this.#poll();
  }

  /** One poll step, then re-arm after its delay. Never overlaps itself (a second poll would 409). */
  async #poll(): Promise<void> {
    if (this.#busy || !(await this.ctx.storage.get<boolean>(RUNNING))) return;
    const accountId = await this.ctx.storage.get<string>(POLLER_KEYS.account);
    if (!accountId) return;
    this.#busy = true;
    try {
      if (!this.#poller) {
        const { createAccountPoller } = await import('../src/channels/telegram/poller-host.ts');
        const built = await createAccountPoller(this.env, accountId, this.ctx.storage, this.hostOptions());
        if (!built) {
          await this.stop();
          return;
        }
        this.#poller = built.poller;
      }
      const step = await this.#poller.step();
      await this.ctx.storage.put(POLLER_KEYS.status, step.status);
      await this.#announce(step.status);
      if (await this.ctx.storage.get<boolean>(RUNNING)) {
        const next = Date.now() + step.delayMs;
        const current = await this.ctx.storage.getAlarm();
        // Keep an earlier alarm (inbox work) in place.
        if (current === null || current > next) await this.ctx.storage.setAlarm(next);
      }
    } finally {
      this.#busy = false;
    }
  }
}
