/**
 * Pure scheduling decisions: plain state and `now` in, a decision out. No storage, no clocks, no I/O;
 * the SQL store applies what these return, and property tests drive them directly.
 */
import type { DropPolicy, ItemMeta, QueueMode, QueuePolicy, QueueView, SessionOverrides } from './types.ts';

/** Global queue settings from config, plus per-channel modes. */
export interface GlobalQueueSettings {
  readonly mode: QueueMode;
  readonly cap: number;
  readonly drop: DropPolicy;
  readonly debounceMs: number;
  readonly byChannel: Readonly<Record<string, QueueMode>>;
}

/**
 * The mode of one message: per-request mode > per-session override > per-channel config > global.
 * @example resolveQueueMode({ global: { mode: 'steer', ... }, channel: 'telegram' }) // byChannel.telegram ?? 'steer'
 */
export function resolveQueueMode(args: {
  request?: QueueMode | undefined;
  session?: SessionOverrides | undefined;
  channel?: string | null | undefined;
  global: GlobalQueueSettings;
}): QueueMode {
  if (args.request) return args.request;
  if (args.session?.queueMode) return args.session.queueMode;
  const byChannel = args.channel ? args.global.byChannel[args.channel.toLowerCase()] : undefined;
  return byChannel ?? args.global.mode;
}

/** The session's effective cap, drop policy and quiet window (session override > global). */
export function resolvePolicy(global: GlobalQueueSettings, session: SessionOverrides, mode: QueueMode): QueuePolicy {
  return {
    mode,
    cap: session.queueCap ?? global.cap,
    drop: session.queueDrop ?? global.drop,
    debounceMs: session.debounceMs ?? global.debounceMs,
  };
}

/** What to do with a new item. */
export type EnqueueDecision =
  | { kind: 'reject' }
  | {
      kind: 'accept';
      /** Queued seqs dropped to make room (oldest first), under `old` or `summarize`. */
      drop: number[];
      /** Queued seqs superseded by an `interrupt` item. */
      abortQueued: number[];
      /** Whether the active run must be aborted (interrupt). */
      abortActive: boolean;
    };

/** Decides an enqueue: interrupt supersedes everything older; otherwise the cap and drop policy apply. */
export function decideEnqueue(view: QueueView, policy: QueuePolicy): EnqueueDecision {
  if (policy.mode === 'interrupt') {
    return { kind: 'accept', drop: [], abortQueued: view.items.map((i) => i.seq), abortActive: view.active !== null };
  }
  const over = view.items.length + 1 - policy.cap;
  if (over <= 0) return { kind: 'accept', drop: [], abortQueued: [], abortActive: false };
  if (policy.drop === 'new') return { kind: 'reject' };
  return { kind: 'accept', drop: view.items.slice(0, over).map((i) => i.seq), abortQueued: [], abortActive: false };
}

/** What the drain loop does next. */
export type TurnDecision =
  | { kind: 'idle' }
  | { kind: 'busy' }
  | { kind: 'wait'; until: number }
  | { kind: 'start'; seqs: number[] };

const sameTarget = (a: { thread: string | null; channel: string | null }, b: { thread: string | null; channel: string | null }) =>
  a.thread === b.thread && a.channel === b.channel;

/**
 * The next turn: the head item alone, or for `collect` the contiguous run of collect items aimed at the
 * head's thread and channel, once its quiet window has passed (or once something else queues behind it,
 * which closes the batch).
 */
export function decideNextTurn(view: QueueView, debounceMs: number, now: number): TurnDecision {
  if (view.active) return { kind: 'busy' };
  const head = view.items[0];
  if (!head) return { kind: 'idle' };
  if (head.availableAt > now) return { kind: 'wait', until: head.availableAt };
  if (head.mode !== 'collect') return { kind: 'start', seqs: [head.seq] };
  const batch: ItemMeta[] = [];
  for (const item of view.items) {
    if (item.mode !== 'collect' || !sameTarget(item, head) || item.availableAt > now) break;
    batch.push(item);
  }
  const closed = batch.length < view.items.length;
  const quietUntil = Math.max(...batch.map((i) => i.enqueuedAt)) + debounceMs;
  if (!closed && now < quietUntil) return { kind: 'wait', until: quietUntil };
  return { kind: 'start', seqs: batch.map((i) => i.seq) };
}

/**
 * Items the active run may take as steering: the contiguous `steer` items at the head aimed at the
 * active run's thread and channel (order is kept: nothing behind a non-steer item jumps it).
 */
export function decideSteer(view: QueueView, now: number): number[] {
  if (!view.active) return [];
  const out: number[] = [];
  for (const item of view.items) {
    if (item.mode !== 'steer' || !sameTarget(item, view.active) || item.availableAt > now) break;
    out.push(item.seq);
  }
  return out;
}

/** What `abort` cancels: a named run; without one, every queued turn first (so none starts), then the active run. */
export function decideAbort(view: QueueView, runId?: string): { abortQueued: number[]; abortActive: boolean } {
  if (runId !== undefined) {
    if (view.active?.runId === runId) return { abortQueued: [], abortActive: true };
    const item = view.items.find((i) => `run-${i.seq}` === runId);
    return { abortQueued: item ? [item.seq] : [], abortActive: false };
  }
  return { abortQueued: view.items.map((i) => i.seq), abortActive: view.active !== null };
}

/** The run id of an item (stable, unique per session: seqs never repeat, even across reset). */
export function runIdOf(seq: number): string {
  return `run-${seq}`;
}

/**
 * Per-channel modes from the config's `channel=mode,...` string.
 * @example parseByChannel('telegram=collect') // { telegram: 'collect' }
 */
export function parseByChannel(text: string): Record<string, QueueMode> {
  const out: Record<string, QueueMode> = {};
  for (const pair of text.split(',')) {
    const [channel, mode] = pair.split('=');
    if (channel && mode) out[channel.trim().toLowerCase()] = mode.trim() as QueueMode;
  }
  return out;
}
