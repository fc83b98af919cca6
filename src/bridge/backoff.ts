// Reconnect backoff: jittered exponential delays that reset once a connection has stayed healthy long enough.

/** Backoff tuning: first delay, cap, and how long a connection must live before the next failure starts over. */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** Jitter fraction in [0, 1]: a delay d becomes d * (1 - jitter * r) for r in [0, 1). */
  jitter: number;
}

/** Defaults matching the reference client (1 s doubling to 30 s), with 50 % downward jitter. */
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 30_000, jitter: 0.5 };

/**
 * The delay before reconnect attempt `attempt` (0-based), jittered with `random` in [0, 1).
 * @example backoffDelay(3, DEFAULT_BACKOFF, () => 0) // 8000
 */
export function backoffDelay(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(Math.max(0, attempt), 30));
  const r = Math.min(Math.max(random(), 0), 0.999_999);
  return Math.max(1, Math.round(exp * (1 - Math.min(Math.max(opts.jitter, 0), 1) * r)));
}

/** A stateful backoff: `next()` gives the next delay and advances; `reset()` starts over. */
export class Backoff {
  #attempt = 0;
  readonly #opts: BackoffOptions;
  readonly #random: () => number;
  constructor(opts: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random) {
    this.#opts = opts;
    this.#random = random;
  }

  /** How many delays were handed out since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The next delay in ms (then advances). */
  next(): number {
    const d = backoffDelay(this.#attempt, this.#opts, this.#random);
    if (this.#attempt < 64) this.#attempt += 1;
    return d;
  }

  /** Starts over from the base delay (after a healthy period). */
  reset(): void {
    this.#attempt = 0;
  }
}
