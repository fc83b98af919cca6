/**
 * SessionDriver: the scheduling loop of one session, runtime-neutral. It turns RPCs into transactions on
 * SessionQueue, runs turns through the TurnRunner port (one at a time, with steering and an abort signal),
 * takes a global concurrency lease per turn, and tells its host when to wake next. SessionDO only wires it.
 */
import type { GlobalQueueSettings } from './decide.ts';
import type { QueuedItem, SessionQueue, SessionStatus, TurnOutcome } from './session-queue.ts';
import type { HistoryPage } from './session-history.ts';
import { recordOnlyTurnRunner, type TurnRunner } from './turn-runner.ts';
import type { Deferred, DroppedItem, EnqueueInput, EnqueueResult, SessionOverrides } from './types.ts';

/** The global concurrency limiter as the driver sees it (LimiterDO `global`). */
export interface LimiterPort {
  /** Takes a slot, waiting up to `waitMs` for one to free (0: answer now). */
  acquire(holder: string, waitMs: number): Promise<{ granted: boolean; retryAfterMs?: number }>;
  release(holder: string): Promise<void>;
  /** Extends the holder's lease; called every `renewEveryMs` while a turn runs. */
  renew?(holder: string): Promise<boolean>;
  readonly renewEveryMs?: number;
}

/** The global queue bound as the driver sees it (LimiterDO `queue`): absolute per-session counts. */
export interface QueueBoundPort {
  /** Records `desired` queued items for `holder` unless the global total would pass the cap. */
  admit(holder: string, desired: number): Promise<{ admitted: boolean; retryAfterMs?: number }>;
  readonly cap: number;
}

/** How long one drain pass waits for a concurrency slot before it yields (the alarm then waits again). */
export const SLOT_WAIT_MS = 60_000;
/** Wake-up delay after the limiter could not be reached (an error, not a refusal). */
const LIMITER_ERROR_RETRY_MS = 250;

/** What the driver needs from its host. */
export interface DriverDeps {
  readonly queue: SessionQueue;
  /** Runs `fn` atomically (ctx.storage.transactionSync). */
  transaction<T>(fn: () => T): T;
  readonly settings: GlobalQueueSettings;
  readonly runner?: TurnRunner;
  readonly limiter?: LimiterPort;
  readonly queueBound?: QueueBoundPort;
  readonly now?: () => number;
}

/** Turns one drain pass starts at most before yielding (the host re-arms for the rest). */
export const DRAIN_BATCH = 50;

/** A session's status as the routes report it. */
export interface SessionSnapshot extends SessionStatus {
  sessionKey: string | null;
  pending: QueuedItem[];
  overrides: SessionOverrides;
  deferred: Deferred | null;
}

/** The scheduling loop of one session. */
export class SessionDriver {
  readonly #d: DriverDeps;
  readonly #now: () => number;
  #active: { runId: string; controller: AbortController } | null = null;
  /** Set while a turn waits for a global concurrency slot (producers see it as `deferred`). */
  #deferred: Deferred | null = null;
  /** Serialises this session's calls to the global queue bound, so each carries the count at its turn. */
  #boundChain: Promise<unknown> = Promise.resolve();

  constructor(deps: DriverDeps) {
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** After a restart: marks runs left running `interrupted` (reported in history) and frees their leases. */
  async recover(): Promise<string[]> {
    const r = this.#d.transaction(() => this.#d.queue.recoverInterrupted(this.#now()));
    const ids = [...r.resumed, ...r.interrupted];
    const key = this.#d.queue.sessionKey();
    if (ids.length > 0 && key && this.#d.limiter) await this.#d.limiter.release(key).catch(() => undefined);
    // A crash may have left the global queue count stale (admitted, never committed): correct it.
    void this.reportQueued();
    return ids;
  }

  /**
   * Durably enqueues; an `interrupt` item aborts the active run. With a global queue bound the session's
   * new count is admitted first (a refusal is a `rejected` result, never a silent drop); a repeated key
   * is answered as a duplicate without asking.
   */
  async enqueue(sessionKey: string, input: EnqueueInput): Promise<EnqueueResult> {
    const bound = this.#d.queueBound;
    const dup = input.key === undefined ? null : this.#d.queue.duplicate(input.key, this.#now());
    if (dup || !bound) return dup ?? this.#enqueueNow(sessionKey, input);
    return this.#serialBound(async () => {
      const again = input.key === undefined ? null : this.#d.queue.duplicate(input.key, this.#now());
      if (again) return again;
      const desired = this.#d.queue.queuedCount() + 1;
      const admit = await bound.admit(sessionKey, desired).catch(() => null);
      if (!admit?.admitted) {
        return { status: 'rejected', reason: admit ? 'global_queue_full' : 'limiter_unavailable', cap: bound.cap, retryAfterMs: admit?.retryAfterMs ?? LIMITER_ERROR_RETRY_MS * 4 };
      }
      const result = this.#enqueueNow(sessionKey, input);
      // Drops, a per-session rejection or a turn that started meanwhile make the real count differ.
      const actual = this.#d.queue.queuedCount();
      if (actual !== desired) await bound.admit(sessionKey, actual).catch(() => undefined);
      return result;
    });
  }

  /** Reports the session's queued count to the global bound after items left the queue (no-op without one). */
  reportQueued(): Promise<void> {
    const bound = this.#d.queueBound;
    const key = this.#d.queue.sessionKey();
    if (!bound || !key) return Promise.resolve();
    return this.#serialBound(async () => {
      await bound.admit(key, this.#d.queue.queuedCount()).catch(() => undefined);
    });
  }

  #serialBound<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#boundChain.then(fn);
    this.#boundChain = next.catch(() => undefined);
    return next;
  }

  #enqueueNow(sessionKey: string, input: EnqueueInput): EnqueueResult {
    const now = this.#now();
    const { abortActive, ...result } = this.#d.transaction(() => {
      this.#d.queue.bindSessionKey(sessionKey);
      return this.#d.queue.enqueueWith(input, this.#d.settings, now);
    });
    if (abortActive) this.#active?.controller.abort(new Error('interrupted by a newer message'));
    if (result.status === 'queued' && this.#deferred) return { ...result, deferred: this.#deferred };
    return result;
  }

  /** Cancels queued turns first (all, or the named run), then the active run's signal. */
  abort(runId?: string): { aborted: DroppedItem[]; activeAborted: string | null } {
    const r = this.#d.transaction(() => this.#d.queue.abort(this.#now(), runId));
    if (r.abortActive && this.#active?.runId === r.abortActive) this.#active.controller.abort(new Error('aborted by request'));
    if (r.aborted.length > 0) void this.reportQueued();
    return { aborted: r.aborted, activeAborted: r.abortActive };
  }

  /** Applies per-session overrides (null clears one). */
  patch(changes: Parameters<SessionQueue['patch']>[0]): SessionOverrides {
    return this.#d.transaction(() => this.#d.queue.patch(changes));
  }

  /** Status, overrides and the first pending items. */
  snapshot(pendingLimit = 50): SessionSnapshot {
    const q = this.#d.queue;
    return { sessionKey: q.sessionKey(), ...q.status(), pending: q.pending(pendingLimit), overrides: q.overrides(), deferred: this.#deferred };
  }

  /** A history page, oldest first. */
  history(limit: number, cursor: string | null): HistoryPage {
    return this.#d.queue.historyPage(limit, cursor);
  }

  /** Folds all but the newest `keep` history rows into one summary row. */
  compact(keep = 10): { folded: number } {
    return { folded: this.#d.transaction(() => this.#d.queue.history.compact(keep, this.#now())) };
  }

  /** Archives history and starts fresh. */
  reset(): { archived: number; epoch: number } {
    return this.#d.transaction(() => this.#d.queue.reset(this.#now()));
  }

  /**
   * Runs due turns in order, one at a time, until the queue is empty, must wait (delay, quiet window,
   * concurrency limit) or DRAIN_BATCH turns ran. Returns when to wake next (null: nothing left).
   */
  async drain(): Promise<number | null> {
    const q = this.#d.queue;
    for (let turns = 0; turns < DRAIN_BATCH; turns++) {
      const debounce = q.overrides().debounceMs ?? this.#d.settings.debounceMs;
      const next = q.nextTurn(this.#now(), debounce);
      if (next.kind === 'wait') return next.until;
      if (next.kind !== 'start') return null;
      const key = q.sessionKey() ?? 'unbound';
      const limiter = this.#d.limiter;
      if (limiter) {
        const wake = await this.#takeSlot(limiter, key);
        if (wake !== null) return wake;
      }
      try {
        await this.#runTurn(key, next.seqs, limiter);
      } finally {
        if (limiter) await limiter.release(key).catch(() => undefined);
      }
    }
    return q.head() ? this.#now() : null;
  }

  /**
   * Takes a global concurrency slot: asks, and when none is free waits for the limiter to grant one
   * (it answers the moment a slot frees; no polling). Returns null once granted, else when to wake.
   */
  async #takeSlot(limiter: LimiterPort, key: string): Promise<number | null> {
    const first = await limiter.acquire(key, 0).catch(() => null);
    if (first?.granted) return null;
    if (!first) return this.#now() + LIMITER_ERROR_RETRY_MS;
    this.#deferred = { reason: 'busy', retryAfterMs: first.retryAfterMs ?? LIMITER_ERROR_RETRY_MS * 4 };
    try {
      const waited = await limiter.acquire(key, SLOT_WAIT_MS).catch(() => null);
      if (waited?.granted) return null;
      // Timed out (ask again right away) or the limiter failed (back off briefly).
      return this.#now() + (waited ? 0 : LIMITER_ERROR_RETRY_MS);
    } finally {
      this.#deferred = null;
    }
  }

  async #runTurn(sessionKey: string, seqs: number[], limiter?: LimiterPort): Promise<void> {
    const q = this.#d.queue;
    const turn = this.#d.transaction(() => q.startTurn(seqs, this.#now()));
    void this.reportQueued();
    const controller = new AbortController();
    this.#active = { runId: turn.runId, controller };
    // A long turn keeps its lease alive; a holder that died stops renewing and its slot frees at expiry.
    const renew = limiter?.renew && limiter.renewEveryMs ? setInterval(() => void limiter.renew!(sessionKey).catch(() => undefined), limiter.renewEveryMs) : null;
    let outcome: TurnOutcome;
    try {
      const model = q.overrides().model;
      const result = await (this.#d.runner ?? recordOnlyTurnRunner)({
        sessionKey,
        runId: turn.runId,
        items: turn.items,
        ...(model ? { model } : {}),
        steering: async () => {
          if (controller.signal.aborted) return [];
          const steered = this.#d.transaction(() => q.steer(this.#now()));
          if (steered.length > 0) void this.reportQueued();
          return steered;
        },
        signal: controller.signal,
        context: (limit) => q.historyPage(Math.min(Math.max(1, limit), 1000), null).entries,
      });
      outcome = { state: controller.signal.aborted ? 'aborted' : 'done', messages: result.messages, ...(result.usage ? { usage: result.usage } : {}), ...(result.withheld?.length ? { withheld: result.withheld } : {}) };
    } catch (err) {
      outcome = controller.signal.aborted
        ? { state: 'aborted' }
        : { state: 'failed', error: err instanceof Error ? err.message.slice(0, 200) : 'runner failed' };
    } finally {
      this.#active = null;
      if (renew) clearInterval(renew);
    }
    this.#d.transaction(() => q.finishTurn(turn.runId, outcome, this.#now()));
  }
}
