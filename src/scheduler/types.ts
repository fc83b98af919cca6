/** Scheduler vocabulary shared by the pure decisions, the SQL store and the SessionDO. */
import { z } from 'zod';

/** What a message does while a run is active (openclaw-protocol.md §8). */
export const QUEUE_MODES = ['steer', 'followup', 'collect', 'interrupt'] as const;
/** A queue mode. */
export type QueueMode = (typeof QUEUE_MODES)[number];
/** Zod schema of a queue mode. */
export const QueueModeSchema = z.enum(QUEUE_MODES);
/** What happens when a session's queue is at its cap. */
export const DROP_POLICIES = ['summarize', 'old', 'new'] as const;
/** A drop policy. */
export type DropPolicy = (typeof DROP_POLICIES)[number];
/** Zod schema of a drop policy. */
export const DropPolicySchema = z.enum(DROP_POLICIES);

/** States of a run; the last five are terminal. */
export type RunState = 'queued' | 'running' | 'done' | 'aborted' | 'failed' | 'interrupted' | 'dropped';
/** Terminal run states. */
export const TERMINAL_STATES: readonly RunState[] = ['done', 'aborted', 'failed', 'interrupted', 'dropped'];

/** The effective queue settings of one session. */
export interface QueuePolicy {
  readonly mode: QueueMode;
  readonly cap: number;
  readonly drop: DropPolicy;
  /** Collect mode's quiet window (ms); 0 merges whatever is queued without waiting. */
  readonly debounceMs: number;
}

/** The settings a session may override (sessions.patch, `/queue`). */
export interface SessionOverrides {
  queueMode?: QueueMode;
  queueCap?: number;
  queueDrop?: DropPolicy;
  debounceMs?: number;
  model?: string;
}

/** What the decisions need to know about a queued item. */
export interface ItemMeta {
  readonly seq: number;
  readonly mode: QueueMode;
  readonly thread: string | null;
  readonly channel: string | null;
  readonly enqueuedAt: number;
  readonly availableAt: number;
}

/** The active turn, as far as decisions need it. */
export interface ActiveMeta {
  readonly runId: string;
  readonly thread: string | null;
  readonly channel: string | null;
}

/** A session's scheduling state: queued items in order and the active turn (at most one). */
export interface QueueView {
  readonly items: readonly ItemMeta[];
  readonly active: ActiveMeta | null;
}

/** Producer-side input of an enqueue. */
export interface EnqueueInput {
  readonly text: string;
  /** Producer idempotency key (client idempotencyKey, transport message id). */
  readonly key?: string;
  readonly queueMode?: QueueMode;
  readonly thread?: string;
  readonly channel?: string;
  /** Channel metadata (JSON, at most MAX_ITEM_META bytes): the triggering message id, attachments. */
  readonly meta?: string;
  /** Earliest processing time (ms since epoch); later items still wait behind it. */
  readonly availableAt?: number;
}

/** Largest `meta` an item may carry (UTF-16 units); longer metadata is dropped, never the item. */
export const MAX_ITEM_META = 8192;

/** A drop reported to the producer. */
export interface DroppedItem {
  seq: number;
  runId: string;
  key: string | null;
}

/** Backpressure hint: the global concurrency limit deferred this session's last turn. */
export interface Deferred {
  reason: 'busy';
  retryAfterMs: number;
}

/** Outcome of an enqueue: expected results are values, never throws. */
export type EnqueueResult =
  | {
      status: 'queued';
      seq: number;
      runId: string;
      position: number;
      mode: QueueMode;
      wakeAt: number;
      dropped?: DroppedItem[];
      deferred?: Deferred;
      aborted?: DroppedItem[];
    }
  | { status: 'duplicate'; seq: number; runId: string; state: RunState | 'unknown' }
  | { status: 'rejected'; reason: RejectReason; cap: number; retryAfterMs: number };

/**
 * Why an enqueue was refused: the session's queue is at its cap (drop policy `new`), the global queue
 * across sessions is at `queue.globalCap`, or the global limiter could not be asked (fail closed).
 */
export type RejectReason = 'queue_full' | 'global_queue_full' | 'limiter_unavailable';

/** One input of a turn as the runner sees it. */
export interface TurnItem {
  /** Item seq, or null for a synthetic item (the summary of dropped messages). */
  seq: number | null;
  runId: string | null;
  text: string;
  key: string | null;
  thread: string | null;
  channel: string | null;
  /** Channel metadata the producer attached (see EnqueueInput.meta). */
  meta?: string | null;
  synthetic: boolean;
}

/** Token usage and cost of one run. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}
