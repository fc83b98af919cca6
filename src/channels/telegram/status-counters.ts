/**
 * Counters of one Telegram account (updates, delivery/typing/draft failures, last error). They live in
 * the account's TelegramPollerDO (one object per account on both hosts, in either mode); SessionDOs and
 * webhook isolates add to them in batches (at most one RPC per account every STATUS_FLUSH_MS per
 * isolate), never on a reply's path. No grammY here: the poller object loads this eagerly.
 */
import type { Env } from '../../env.ts';

/** Counted events: an update received (webhook), and failures that never fail a run. */
export type TelegramEventKind = 'update' | 'typing_failed' | 'draft_failed' | 'delivery_failed';

/** The counters an account's status object keeps. */
export interface TelegramCounters {
  updates: number;
  lastUpdateAt: number | null;
  deliveryFailures: number;
  typingFailures: number;
  draftFailures: number;
  lastError: { at: number; message: string; kind: TelegramEventKind } | null;
}

/** A batch of events to add to the counters. */
export interface TelegramCounterDelta {
  readonly counts: Readonly<Partial<Record<TelegramEventKind, number>>>;
  readonly lastUpdateAt: number | null;
  readonly lastError: TelegramCounters['lastError'];
}

/** Empty counters. */
export function emptyCounters(): TelegramCounters {
  return { updates: 0, lastUpdateAt: null, deliveryFailures: 0, typingFailures: 0, draftFailures: 0, lastError: null };
}

/**
 * Adds a delta to counters (pure; the status object stores the result).
 * @example applyDelta(emptyCounters(), { counts: { update: 2 }, lastUpdateAt: 5, lastError: null }).updates === 2
 */
export function applyDelta(c: TelegramCounters, d: TelegramCounterDelta): TelegramCounters {
  return {
    updates: c.updates + (d.counts.update ?? 0),
    lastUpdateAt: Math.max(c.lastUpdateAt ?? 0, d.lastUpdateAt ?? 0) || null,
    deliveryFailures: c.deliveryFailures + (d.counts.delivery_failed ?? 0),
    typingFailures: c.typingFailures + (d.counts.typing_failed ?? 0),
    draftFailures: c.draftFailures + (d.counts.draft_failed ?? 0),
    lastError: d.lastError && (!c.lastError || d.lastError.at >= c.lastError.at) ? d.lastError : c.lastError,
  };
}

/** Most time events wait in an isolate before they are sent to the status object. */
export const STATUS_FLUSH_MS = 2_000;
/** Accounts with unsent events per isolate at most (the oldest batch is flushed early past it). */
const MAX_PENDING_ACCOUNTS = 64;

interface Pending {
  env: Env;
  counts: Partial<Record<TelegramEventKind, number>>;
  lastUpdateAt: number | null;
  lastError: TelegramCounters['lastError'];
  flushed: Promise<void>;
}
const pending = new Map<string, Pending>();

function flush(account: string): Promise<void> {
  const p = pending.get(account);
  if (!p) return Promise.resolve();
  pending.delete(account);
  const stub = p.env.TELEGRAM_POLLERS?.getByName(account);
  if (!stub) return Promise.resolve();
  return stub.recordEvents({ counts: p.counts, lastUpdateAt: p.lastUpdateAt, lastError: p.lastError }).catch(() => undefined);
}

/**
 * Counts one event for `account` (batched; never throws). The promise settles when the batch is stored:
 * a webhook isolate hands it to waitUntil, others may ignore it.
 * @example void recordTelegramEvent(env, 'default', 'typing_failed', '502: Bad Gateway')
 */
export function recordTelegramEvent(env: Env, account: string, kind: TelegramEventKind, detail?: string): Promise<void> {
  const now = Date.now();
  let p = pending.get(account);
  if (!p) {
    if (pending.size >= MAX_PENDING_ACCOUNTS) void flush(pending.keys().next().value!);
    let resolve!: () => void;
    const flushed = new Promise<void>((r) => (resolve = r));
    p = { env, counts: {}, lastUpdateAt: null, lastError: null, flushed };
    pending.set(account, p);
    setTimeout(() => void flush(account).then(resolve), STATUS_FLUSH_MS);
  }
  p.counts[kind] = (p.counts[kind] ?? 0) + 1;
  if (kind === 'update') p.lastUpdateAt = now;
  else p.lastError = { at: now, message: (detail ?? kind).slice(0, 300), kind };
  return p.flushed;
}
