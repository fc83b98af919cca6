/**
 * Long polling as one `step()` (getUpdates with the durable offset → hand each update off in order →
 * advance the offset past what was handed off) plus the delay before the next step. Drivers: an
 * in-process loop (runPollingLoop) or a Durable Object alarm (durable/telegram-poller-do.ts).
 * The offset only moves past an update once `handle` resolved for it (getUpdates confirms every update
 * below the offset: https://core.telegram.org/bots/api#getupdates). A 409 Conflict (a webhook is set, or
 * another poller runs) is reported in the status and backed off, never spun on.
 */
import { backoffDelay, REAL_CLOCK, type RetryClock } from '../retry.ts';
import { apiErrorCode, describeError, type BotApi } from './api.ts';
import { TelegramUpdateSchema, type TelegramUpdate } from './update.ts';

/** Where the offset lives (Durable Object storage in production). */
export interface OffsetStore {
  load(): Promise<number | null>;
  save(offset: number): Promise<void>;
}

/** Status snapshot of one polling account (for `channels.status` / `telegram.status`). */
export interface PollerStatus {
  account: string;
  mode: 'polling';
  running: boolean;
  /** The last getUpdates answered. */
  connected: boolean;
  offset: number;
  lastPollAt: number | null;
  lastUpdateAt: number | null;
  updatesHandled: number;
  consecutiveFailures: number;
  lastError: { at: number; message: string; code: number | null } | null;
  /** Set while getUpdates answers 409 (a webhook is registered, or another poller uses this token). */
  conflict: { since: number; count: number; description: string } | null;
  nextDelayMs: number;
  /** Updates fetched by the last getUpdates and not yet handed off (they are fetched again). */
  pending?: number;
}

/** Tunables of the loop. */
export interface PollerSettings {
  readonly timeoutSeconds: number;
  readonly limit: number;
  /** Pause between polls when short polling (timeout 0) found nothing, so it cannot spin. */
  readonly idleDelayMs: number;
  readonly backoff: { readonly baseDelayMs: number; readonly maxDelayMs: number };
  readonly conflictBackoff: { readonly baseDelayMs: number; readonly maxDelayMs: number };
}

/** Defaults: 25 s long poll, up to 100 updates, 1 s → 60 s backoff, 5 s → 5 min on conflicts. */
export const DEFAULT_POLLER_SETTINGS: PollerSettings = {
  timeoutSeconds: 25,
  limit: 100,
  idleDelayMs: 1_000,
  backoff: { baseDelayMs: 1_000, maxDelayMs: 60_000 },
  conflictBackoff: { baseDelayMs: 5_000, maxDelayMs: 300_000 },
};

/** Update kinds we ask for. */
export const ALLOWED_UPDATES = ['message', 'channel_post'] as const;

/** What one step did. */
export interface PollStep {
  readonly received: number;
  readonly handled: number;
  readonly delayMs: number;
  readonly status: PollerStatus;
}

/** A fresh status. */
export function initialStatus(account: string): PollerStatus {
  return { account, mode: 'polling', running: false, connected: false, offset: 0, lastPollAt: null, lastUpdateAt: null, updatesHandled: 0, consecutiveFailures: 0, lastError: null, conflict: null, nextDelayMs: 0 };
}

/** Dependencies of a poller. */
export interface PollerDeps {
  readonly account: string;
  readonly api: BotApi;
  readonly offsets: OffsetStore;
  /** Durably hands one update off; a throw keeps the offset at this update (it is fetched again). */
  handle(update: TelegramUpdate): Promise<void>;
  /** Called for updates that fail validation (skipped: a poison update must not block the bot). */
  onInvalid?(updateId: number, reason: string): void;
  readonly settings?: PollerSettings;
  readonly clock?: RetryClock;
  readonly now?: () => number;
  /** Status restored from storage (the DO keeps it across evictions). */
  readonly status?: PollerStatus;
}

/** The polling state machine of one account. */
export class TelegramPoller {
  readonly #d: PollerDeps;
  readonly #s: PollerSettings;
  readonly #clock: RetryClock;
  readonly #now: () => number;
  #status: PollerStatus;
  #loaded = false;

  constructor(deps: PollerDeps) {
    this.#d = deps;
    this.#s = deps.settings ?? DEFAULT_POLLER_SETTINGS;
    this.#clock = deps.clock ?? REAL_CLOCK;
    this.#now = deps.now ?? Date.now;
    this.#status = deps.status ? { ...deps.status } : initialStatus(deps.account);
  }

  /** A copy of the current status. */
  status(): PollerStatus {
    return { ...this.#status };
  }

  #fail(err: unknown, delayMs: number): PollStep {
    const s = this.#status;
    s.connected = false;
    s.lastError = { at: this.#now(), message: describeError(err), code: apiErrorCode(err) };
    s.nextDelayMs = delayMs;
    return { received: 0, handled: 0, delayMs, status: this.status() };
  }

  /** One getUpdates round; never throws (failures are in the status and the returned delay). */
  async step(signal?: AbortSignal): Promise<PollStep> {
    const s = this.#status;
    s.running = true;
    if (!this.#loaded) {
      s.offset = Math.max(s.offset, (await this.#d.offsets.load()) ?? 0);
      this.#loaded = true;
    }
    let updates: unknown[];
    try {
      const params = { offset: s.offset, limit: this.#s.limit, timeout: this.#s.timeoutSeconds, allowed_updates: [...ALLOWED_UPDATES] };
      // SAFETY: grammY's shared typings name abort-controller's AbortSignal; the web build uses the global one.
      updates = await this.#d.api.getUpdates(params, signal as never);
    } catch (err) {
      const code = apiErrorCode(err);
      s.consecutiveFailures++;
      if (code === 409) {
        const c = s.conflict;
        s.conflict = { since: c?.since ?? this.#now(), count: (c?.count ?? 0) + 1, description: describeError(err) };
        return this.#fail(err, backoffDelay(s.conflict.count, this.#s.conflictBackoff, this.#clock.random));
      }
      if (code === 429) {
        const after = (err as { parameters?: { retry_after?: number } }).parameters?.retry_after ?? 1;
        return this.#fail(err, Math.max(1, after) * 1000);
      }
      // 401/404: the token is wrong or revoked; nothing will change soon, so wait the longest.
      if (code === 401 || code === 404) return this.#fail(err, this.#s.backoff.maxDelayMs);
      return this.#fail(err, backoffDelay(s.consecutiveFailures, this.#s.backoff, this.#clock.random));
    }
    s.lastPollAt = this.#now();
    s.connected = true;
    s.conflict = null;
    const start = s.offset;
    let handled = 0;
    const sorted = updates
      .map((u) => u as { update_id?: unknown })
      .filter((u) => typeof u?.update_id === 'number' && u.update_id >= start)
      .sort((a, b) => (a.update_id as number) - (b.update_id as number));
    for (const raw of sorted) {
      const id = raw.update_id as number;
      const parsed = TelegramUpdateSchema.safeParse(raw);
      if (parsed.success) {
        try {
          await this.#d.handle(parsed.data);
        } catch (err) {
          s.consecutiveFailures++;
          if (s.offset !== start) await this.#d.offsets.save(s.offset);
          s.pending = sorted.length - handled;
          return { ...this.#fail(err, backoffDelay(s.consecutiveFailures, this.#s.backoff, this.#clock.random)), received: updates.length, handled };
        }
        handled++;
        s.updatesHandled++;
        s.lastUpdateAt = this.#now();
      } else {
        this.#d.onInvalid?.(id, parsed.error.issues[0]?.message ?? 'invalid update');
      }
      s.offset = id + 1;
    }
    if (s.offset !== start) await this.#d.offsets.save(s.offset);
    s.consecutiveFailures = 0;
    s.pending = 0;
    s.lastError = null;
    const delayMs = updates.length === 0 && this.#s.timeoutSeconds === 0 ? this.#s.idleDelayMs : 0;
    s.nextDelayMs = delayMs;
    return { received: updates.length, handled, delayMs, status: this.status() };
  }
}

/**
 * In-process driver: steps until `signal` aborts, sleeping the returned delays in between.
 * @example const stop = new AbortController(); void runPollingLoop(poller, { signal: stop.signal })
 */
export async function runPollingLoop(poller: TelegramPoller, opts: { signal: AbortSignal; clock?: RetryClock; onStep?: (s: PollStep) => void }): Promise<void> {
  const clock = opts.clock ?? REAL_CLOCK;
  while (!opts.signal.aborted) {
    const step = await poller.step(opts.signal);
    opts.onStep?.(step);
    if (step.delayMs > 0) await clock.sleep(step.delayMs, opts.signal);
  }
}
