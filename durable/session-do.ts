/**
 * SessionDO: one Durable Object per session key. It owns the session's durable FIFO and bounded
 * history (src/scheduler/session-queue.ts) and drains the queue from its alarm, one item at a time,
 * strictly in order. The same class runs on workerd and in node-adapter's host.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../src/env.ts';
import { settingsOf } from '../src/config/settings.ts';
import {
  SessionQueue,
  type EnqueueInput,
  type EnqueueResult,
  type HistoryEntry,
  type QueueStatus,
  type QueuedItem,
} from '../src/scheduler/session-queue.ts';
import { recordSessionIndex } from '../src/storage/repos/sessions.ts';
import { createLogger } from '../src/log.ts';

/** Items handled per alarm invocation before yielding (the alarm re-arms for the rest). */
const DRAIN_BATCH = 50;
/** Dedupe window: idempotency keys remembered per session. */
const IDEMPOTENCY_CAP = 1000;

/** A session's status as the routes report it. */
export interface SessionSnapshot extends QueueStatus {
  sessionKey: string | null;
  pending: QueuedItem[];
}

export class SessionDO extends DurableObject<Env> {
  #queue: SessionQueue;
  #ready: Promise<void> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const { queue, history } = settingsOf(env);
    this.#queue = new SessionQueue(ctx.storage.sql, {
      queueCap: queue.cap,
      historyCap: history.cap,
      historyMaxBytes: history.maxBytes,
      idempotencyCap: IDEMPOTENCY_CAP,
    });
  }

  /** Migrates storage once per instance, holding every event until it is done. */
  #ensureReady(): Promise<void> {
    this.#ready ??= this.ctx.blockConcurrencyWhile(async () => this.#queue.migrate());
    return this.#ready;
  }

  /** Liveness probe used by /readyz: proves the host can construct, migrate and call this class. */
  async ping(): Promise<{ ok: true; schema: 'ready' }> {
    await this.#ensureReady();
    return { ok: true, schema: 'ready' };
  }

  /** Durably appends an item and arms the alarm in the same transaction; returns only after commit. */
  async enqueue(sessionKey: string, input: EnqueueInput): Promise<EnqueueResult> {
    await this.#ensureReady();
    const now = Date.now();
    // Arm first: a crash between the two leaves a spurious alarm (a no-op drain), never a queued item
    // with no alarm to drain it.
    await this.#armAlarm(Math.max(now, input.availableAt ?? now));
    const result = this.ctx.storage.transactionSync(() => {
      this.#queue.bindSessionKey(sessionKey);
      return this.#queue.enqueue(input, now);
    });
    this.#publishIndex();
    return result;
  }

  /** Status, the pending items and nothing else. */
  async snapshot(pendingLimit = 50): Promise<SessionSnapshot> {
    await this.#ensureReady();
    return { sessionKey: this.#queue.sessionKey(), ...this.#queue.status(), pending: this.#queue.pending(pendingLimit) };
  }

  /** The newest history entries, oldest first. */
  async history(limit = 50): Promise<HistoryEntry[]> {
    await this.#ensureReady();
    return this.#queue.history(limit);
  }

  /** Drains due items in order; re-arms for what is left. A throw makes the host retry the alarm. */
  override async alarm(): Promise<void> {
    await this.#ensureReady();
    for (let handled = 0; handled < DRAIN_BATCH; handled++) {
      const item = this.#queue.head();
      if (!item) break;
      if (item.availableAt > Date.now()) break;
      this.#queue.markAttempt(item.seq);
      const reply = await this.#process(item);
      this.ctx.storage.transactionSync(() => this.#queue.complete(item, reply.role, reply.text, Date.now()));
    }
    const head = this.#queue.head();
    if (head) await this.#armAlarm(Math.max(Date.now(), head.availableAt));
    this.#publishIndex();
  }

  /**
   * Handles one item. The foundation records the user turn; the agent runtime replaces this with a
   * model run whose effects are idempotent per item seq (so a redelivered item is answered once).
   */
  async #process(item: QueuedItem): Promise<{ role: string; text: string }> {
    return { role: 'user', text: item.text };
  }

  async #armAlarm(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  /** Writes the session summary to the global registry after commit, off the caller's critical path. */
  #publishIndex(): void {
    const key = this.#queue.sessionKey();
    if (!key) return;
    const status = this.#queue.status();
    this.ctx.waitUntil(
      recordSessionIndex(this.env.DB, key, status, Date.now()).catch((err: unknown) => {
        createLogger(settingsOf(this.env).logLevel).warn('session index update failed', { err });
      }),
    );
  }
}
