/**
 * SessionDO: one Durable Object per session key, a thin shell over SessionDriver (src/scheduler/): it
 * migrates storage, arms one alarm for the next due work and drains from `alarm()`, one turn at a time,
 * strictly in order. The same class runs on workerd and in node-adapter's host.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../src/env.ts';
import { refreshHotSettings, settingsOf } from '../src/config/settings.ts';
import type { Config } from '../src/config/schema.ts';
import { createLogger } from '../src/log.ts';
import { parseByChannel, type GlobalQueueSettings } from '../src/scheduler/decide.ts';
import { SessionDriver, type LimiterPort, type QueueBoundPort, type SessionSnapshot } from '../src/scheduler/session-driver.ts';
import { SessionQueue, type HistoryEntry, type HistoryPage, type QueueLimits } from '../src/scheduler/session-queue.ts';
import type { TurnRunner } from '../src/scheduler/turn-runner.ts';
import type { DroppedItem, EnqueueInput, EnqueueResult, SessionOverrides } from '../src/scheduler/types.ts';
import { ReplyLedger } from '../src/channels/reply-ledger.ts';

export type { SessionSnapshot } from '../src/scheduler/session-driver.ts';

/** The registry's session index (drizzle): imported on first use, so a session object that only answers pings does not load it. */
const sessionIndex = () => import('../src/storage/repos/sessions.ts');

/** How long a concurrency lease lasts without renewal (a holder that died frees its slot by then). */
const LEASE_TTL_MS = 60_000;
/** A running turn renews its lease this often (three renewals fit in one TTL). */
const LEASE_RENEW_MS = 20_000;
/** Name of the limiter object holding concurrency leases. */
const LIMITER_NAME = 'global';
/** The queue and history limits of a config. */
function limitsOf(s: Config): QueueLimits {
  return {
    queueCap: s.queue.cap,
    historyCap: s.history.cap,
    historyMaxBytes: s.history.maxBytes,
    toolResultMaxBytes: s.history.toolResultMaxBytes,
    idempotencyCap: s.queue.idempotencyCap,
    idempotencyTtlMs: s.queue.idempotencyTtlMs,
  };
}

/** The driver's global queue settings of a config. */
function queueSettingsOf(s: Config): GlobalQueueSettings & Pick<Config['queue'], 'maxConcurrent' | 'globalCap'> {
  return { ...s.queue, byChannel: parseByChannel(s.queue.byChannel) };
}

/** Name of the limiter object holding the global queue counts (a second object spreads the load). */
const QUEUE_BOUND_NAME = 'queue';

export class SessionDO extends DurableObject<Env> {
  #queue: SessionQueue;
  #driver: SessionDriver;
  #ready: Promise<void> | null = null;
  /** Channel replies of interrupted runs wait to be settled (their notice sent, their draft finalised). */
  #unsettled = false;

  /** The settings object the limits below were taken from (hot config replaces it; see #applyHot). */
  #seen: Config;
  /** Queue and history limits, shared by reference with the queue and its history: updated in place. */
  readonly #limits: QueueLimits;
  /** Global queue settings, shared by reference with the driver: updated in place. */
  readonly #queueSettings: GlobalQueueSettings & Pick<Config['queue'], 'maxConcurrent' | 'globalCap'>;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#seen = settingsOf(env);
    this.#limits = limitsOf(this.#seen);
    this.#queueSettings = queueSettingsOf(this.#seen);
    this.#queue = new SessionQueue(ctx.storage.sql, this.#limits);
    const limiter = env.LIMITER;
    const live = () => this.#queueSettings;
    const port: LimiterPort | undefined = limiter && {
      acquire: (holder, waitMs) => limiter.getByName(LIMITER_NAME).acquire(holder, live().maxConcurrent, LEASE_TTL_MS, waitMs),
      release: (holder) => limiter.getByName(LIMITER_NAME).release(holder),
      renew: (holder) => limiter.getByName(LIMITER_NAME).renew(holder, LEASE_TTL_MS),
      renewEveryMs: LEASE_RENEW_MS,
    };
    const bound: QueueBoundPort | undefined = limiter && {
      admit: (holder, desired) => limiter.getByName(QUEUE_BOUND_NAME).admit(holder, desired, live().globalCap),
      get cap() {
        return live().globalCap;
      },
    };
    this.#driver = new SessionDriver({
      queue: this.#queue,
      transaction: (fn) => ctx.storage.transactionSync(fn),
      settings: this.#queueSettings,
      runner: this.turnRunner(),
      ...(port ? { limiter: port } : {}),
      ...(bound ? { queueBound: bound } : {}),
    });
  }

  /**
   * The runner turns go through: the agent (models, tools, defender, approvals), or record-only when paused.
   * Loaded on the first turn, so an idle host does not carry the agent runtime in memory.
   */
  protected turnRunner(): TurnRunner {
    let runner: Promise<TurnRunner> | null = null;
    return async (input) => {
      runner ??= import('../src/agent/session-runner.ts').then((m) =>
        settingsOf(this.env).agent.runner === 'model' ? m.createAgentTurnRunner(this.env, { outboxSql: this.ctx.storage.sql }) : m.createRecordTurnRunner(this.env),
      );
      return (await runner)(input);
    };
  }

  /** Migrates once per instance and reports runs a dead process left running, holding events until done. */
  #ensureReady(): Promise<void> {
    this.#ready ??= this.ctx.blockConcurrencyWhile(async () => {
      this.ctx.storage.transactionSync(() => this.#queue.migrate());
      const interrupted = await this.#driver.recover();
      // Recovery reports every run left running; the ones still running-or-queued were resumed, the rest
      // are over for good and their channel replies are owed a notice (kept durable in the ledger).
      const over = interrupted.filter((id) => !this.#queue.pending(1_000).some((i) => i.runId === id));
      this.#unsettled = new ReplyLedger(this.ctx.storage.sql).markInterrupted(over) > 0;
      if (interrupted.length > 0) {
        createLogger(settingsOf(this.env).logLevel).warn('runs recovered after a restart (resumed once, then interrupted)', { session: this.#queue.sessionKey(), runs: interrupted });
      }
      if ((interrupted.length > 0 && this.#queue.head()) || this.#unsettled) await this.#armAlarm(Date.now());
    });
    return this.#ready;
  }

  /** Ready, with the current hot settings (Workers: pulled from the gateway object at most every few seconds). */
  async #prepare(): Promise<void> {
    await this.#ensureReady();
    if (this.env.CAPABILITIES?.host !== 'node') await refreshHotSettings(this.env, () => this.env.GATEWAY.getByName('main').hotSettings());
    const now = settingsOf(this.env);
    if (now === this.#seen) return;
    // config.patch replaced the hot sections: the queue, its history and the driver read these objects.
    this.#seen = now;
    Object.assign(this.#limits, limitsOf(now));
    Object.assign(this.#queueSettings, queueSettingsOf(now));
  }

  /** Liveness probe used by /readyz: proves the host can construct, migrate and call this class. */
  async ping(): Promise<{ ok: true; schema: 'ready' }> {
    await this.#ensureReady();
    return { ok: true, schema: 'ready' };
  }

  /** Durably appends an item (alarm armed first); returns only after commit. */
  async enqueue(sessionKey: string, input: EnqueueInput): Promise<EnqueueResult> {
    await this.#prepare();
    const now = Date.now();
    // Arm first: a crash between the two leaves a spurious alarm (a no-op drain), never a queued item
    // with no alarm to drain it.
    const at = Math.max(now, input.availableAt ?? now);
    await this.#armAlarm(at);
    const result = await this.#driver.enqueue(sessionKey, input);
    // Arm again after the commit: the enqueue awaits the global queue's admission, and the alarm armed above
    // may have fired and found nothing in that window; without this the new item would wait for the next one.
    if (result.status !== 'rejected') await this.#armAlarm(at);
    this.#publishIndex();
    return result;
  }

  /** Cancels queued turns (all, or `runId`), then aborts the active run. */
  async abort(runId?: string): Promise<{ aborted: DroppedItem[]; activeAborted: string | null }> {
    await this.#prepare();
    const result = this.#driver.abort(runId);
    this.#publishIndex();
    return result;
  }

  /** Sets per-session overrides (queueMode, queueCap, queueDrop, debounceMs, model); null clears one. */
  async patch(changes: { [K in keyof SessionOverrides]?: SessionOverrides[K] | null }): Promise<SessionOverrides> {
    await this.#prepare();
    const result = this.#driver.patch(changes);
    if (this.#queue.head()) await this.#armAlarm(Date.now());
    return result;
  }

  /** Status, overrides and the pending items. */
  async snapshot(pendingLimit = 50): Promise<SessionSnapshot> {
    await this.#prepare();
    return this.#driver.snapshot(pendingLimit);
  }

  /** The newest `limit` history rows (at most 1000), oldest first. */
  async history(limit = 50): Promise<HistoryEntry[]> {
    await this.#prepare();
    return this.#driver.history(limit, null).entries;
  }

  /** One history page (oldest first, at most 1000 rows); pass `nextCursor` back for older rows. */
  async historyPage(opts: { limit?: number; cursor?: string | null } = {}): Promise<HistoryPage> {
    await this.#prepare();
    return this.#driver.history(opts.limit ?? 50, opts.cursor ?? null);
  }

  /** Folds all but the newest `keep` history rows into one summary row. */
  async compact(keep?: number): Promise<{ folded: number }> {
    await this.#prepare();
    return this.#driver.compact(keep);
  }

  /** Archives history and starts a fresh window. */
  async reset(): Promise<{ archived: number; epoch: number }> {
    await this.#prepare();
    return this.#driver.reset();
  }

  /** Appends an assistant or system note to history without a run (`chat.inject`); returns its row id. */
  async inject(sessionKey: string, role: 'assistant' | 'system', text: string): Promise<{ id: number; ts: number }> {
    await this.#prepare();
    const now = Date.now();
    const id = this.ctx.storage.transactionSync(() => {
      this.#queue.bindSessionKey(sessionKey);
      this.#queue.history.append([{ role, text }], now);
      return this.#queue.historyPage(1).entries.at(-1)?.id ?? 0;
    });
    this.#publishIndex();
    return { id, ts: now };
  }

  /**
   * `sessions.delete`: cancels queued turns and the active run, archives the history (bounded archive)
   * and removes the session from the global index. Using the key again starts it afresh.
   */
  async remove(sessionKey: string): Promise<{ archived: number; aborted: number }> {
    await this.#prepare();
    const aborted = this.#driver.abort();
    const { archived } = this.#driver.reset();
    await (await sessionIndex()).deleteSessionIndex(this.env.DB, sessionKey);
    return { archived, aborted: aborted.aborted.length + (aborted.activeAborted ? 1 : 0) };
  }

  /** Drains due turns in order; re-arms for what is left. A throw makes the host retry the alarm. */
  override async alarm(): Promise<void> {
    await this.#prepare();
    if (this.#unsettled) {
      const { settleInterruptedReplies } = await import('../src/agent/channel-reply.ts');
      this.#unsettled = (await settleInterruptedReplies(this.env, this.ctx.storage.sql)) > 0;
      if (this.#unsettled) await this.#armAlarm(Date.now() + 30_000);
    }
    let wakeAt: number | null;
    try {
      wakeAt = await this.#driver.drain();
      this.#drainFailures = 0;
    } catch (err) {
      // Accepted work is never dropped: a failed drain (a limiter or registry call that failed, say during a
      // restart) is retried by this object itself with a capped backoff, not left to the runtime's retry
      // budget, which gives up after six tries.
      this.#drainFailures++;
      const delay = Math.min(30_000, 500 * 2 ** Math.min(this.#drainFailures - 1, 6));
      createLogger(settingsOf(this.env).logLevel).warn('session drain failed; retrying', { err: String(err), failures: this.#drainFailures, retryInMs: delay });
      wakeAt = Date.now() + delay;
    }
    if (wakeAt !== null) await this.#armAlarm(Math.max(Date.now(), wakeAt));
    this.#publishIndex();
  }

  /** Consecutive failed drains (in memory; a restart starts over, which only retries sooner). */
  #drainFailures = 0;

  async #armAlarm(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  /** Writes the session summary to the global registry after commit, off the caller's critical path. */
  #publishIndex(): void {
    const key = this.#queue.sessionKey();
    if (!key) return;
    const status = this.#queue.status();
    const now = Date.now();
    this.ctx.waitUntil(
      sessionIndex().then(({ recordSessionIndex }) => recordSessionIndex(this.env.DB, key, status, now)).catch((err: unknown) => {
        createLogger(settingsOf(this.env).logLevel).warn('session index update failed', { err });
      }),
    );
  }
}
