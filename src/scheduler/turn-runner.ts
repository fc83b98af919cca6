/**
 * The TurnRunner port: how the SessionDO hands one turn to whoever answers it (the agent runtime, once it
 * plugs in). The scheduler owns ordering, durability and aborts; the runner owns the model call.
 */
import type { TurnItem, Usage } from './types.ts';

/** What a runner gets for one turn. */
export interface TurnInput {
  readonly sessionKey: string;
  readonly runId: string;
  /** The turn's inputs in order (a synthetic summary of dropped messages may come first). */
  readonly items: readonly TurnItem[];
  /** Per-session model override (sessions.patch), if any. */
  readonly model?: string;
  /** Messages that arrived in `steer` mode since the last call; call before each model call. Each is returned once. */
  steering(): Promise<TurnItem[]>;
  /** Aborted by `abort`, by an `interrupt` message, or at shutdown; pass it to the provider stream and tools. */
  readonly signal: AbortSignal;
  /** The newest history rows (this turn's user items included), oldest first, for the model's context. */
  context(limit: number): readonly { role: string; text: string }[];
}

/** What a runner returns; a throw ends the run `failed` (or `aborted` when the signal fired). */
export interface TurnResult {
  /** Assistant replies and tool results to keep in history (tool results are truncated before storage). */
  readonly messages: readonly { role: 'assistant' | 'tool'; text: string }[];
  readonly usage?: Partial<Usage>;
  /** User items (by seq) the defender withheld from the model; their history text becomes `note`. */
  readonly withheld?: readonly { seq: number; note: string }[];
}

/** Runs one turn. */
export type TurnRunner = (input: TurnInput) => Promise<TurnResult>;

/**
 * The default runner until the agent runtime plugs in: the user turn is already recorded by the
 * scheduler, so it answers nothing and uses nothing.
 */
export const recordOnlyTurnRunner: TurnRunner = async () => ({ messages: [] });
