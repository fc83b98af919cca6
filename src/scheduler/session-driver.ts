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

/** The global concurrency limiter as the driver sees it. */
export interface LimiterPort {
  acquire(holder: string): Promise<{ granted: boolean; retryAfterMs?: number }>;
  release(holder: string): Promise<void>;
}

/** What the driver needs from its host. */
export interface DriverDeps {
  readonly queue: SessionQueue;
  /** Runs `fn` atomically (ctx.storage.transactionSync). */
  transaction<T>(fn: () => T): T;
  readonly settings: GlobalQueueSettings;
  readonly runner?: TurnRunner;
  readonly limiter?: LimiterPort;
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
  #deferred: (Deferred & { until: number }) | null = null;

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
    return ids;
  }

  /** Durably enqueues; an `interrupt` item aborts the active run. Returns the result and when to wake. */
  enqueue(sessionKey: string, input: EnqueueInput): EnqueueResult {
    const now = this.#now();
    const { abortActive, ...result } = this.#d.transaction(() => {
      this.#d.queue.bindSessionKey(sessionKey);
      return this.#d.queue.enqueueWith(input, this.#d.settings, now);
    });
    if (abortActive) this.#active?.controller.abort(new Error('interrupted by a newer message'));
    if (result.status === 'queued' && this.#deferred && this.#deferred.until > now) {
      return { ...result, deferred: { reason: 'busy', retryAfterMs: this.#deferred.until - now } };
    }
    return result;
  }

  /** Cancels queued turns first (all, or the named run), then the active run's signal. */
  abort(runId?: string): { aborted: DroppedItem[]; activeAborted: string | null } {
    const r = this.#d.transaction(() => this.#d.queue.abort(this.#now(), runId));
    if (r.abortActive && this.#active?.runId === r.abortActive) this.#active.controller.abort(new Error('aborted by request'));
    return { aborted: r.aborted, activeAborted: r.abortActive };
  }

  /** Applies per-session overrides (null clears one). */
  patch(changes: Parameters<SessionQueue['patch']>[0]): SessionOverrides {
    return this.#d.transaction(() => this.#d.queue.patch(changes));
  }

  /** Status, overrides and the first pending items. */
  snapshot(pendingLimit = 50): SessionSnapshot {
    const q = this.#d.queue;
    const deferred = this.#deferred && this.#deferred.until > this.#now() ? { reason: 'busy' as const, retryAfterMs: this.#deferred.until - this.#now() } : null;
    return { sessionKey: q.sessionKey(), ...q.status(), pending: q.pending(pendingLimit), overrides: q.overrides(), deferred };
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
      if (this.#d.limiter) {
        const lease = await this.#d.limiter.acquire(key);
        if (!lease.granted) {
          const retry = lease.retryAfterMs ?? 250;
          this.#deferred = { reason: 'busy', retryAfterMs: retry, until: this.#now() + retry };
          return this.#now() + retry;
        }
      }
      this.#deferred = null;
      try {
        await this.#runTurn(key, next.seqs);
      } finally {
        if (this.#d.limiter) await this.#d.limiter.release(key).catch(() => undefined);
      }
    }
    return q.head() ? this.#now() : null;
  }

  async #runTurn(sessionKey: string, seqs: number[]): Promise<void> {
    const q = this.#d.queue;
    const turn = this.#d.transaction(() => q.startTurn(seqs, this.#now()));
    const controller = new AbortController();
    this.#active = { runId: turn.runId, controller };
    let outcome: TurnOutcome;
    try {
      const model = q.overrides().model;
      const result = await (this.#d.runner ?? recordOnlyTurnRunner)({
        sessionKey,
        runId: turn.runId,
        items: turn.items,
        ...(model ? { model } : {}),
        steering: async () => (controller.signal.aborted ? [] : this.#d.transaction(() => q.steer(this.#now()))),
        signal: controller.signal,
        context: (limit) => q.historyPage(Math.min(Math.max(1, limit), 1000), null).entries,
      });
      outcome = { state: controller.signal.aborted ? 'aborted' : 'done', messages: result.messages, ...(result.usage ? { usage: result.usage } : {}) };
    } catch (err) {
      outcome = controller.signal.aborted
        ? { state: 'aborted' }
        : { state: 'failed', error: err instanceof Error ? err.message.slice(0, 200) : 'runner failed' };
    } finally {
      this.#active = null;
    }
    this.#d.transaction(() => q.finishTurn(turn.runId, outcome, this.#now()));
  }
}
