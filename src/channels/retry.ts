/**
 * Retry with a finite budget for outbound channel calls (STYLE.md §6): rate limits wait the server's
 * `retry_after` and do not grow the backoff; 5xx and network failures back off exponentially with
 * jitter; anything else is final. Time is injected (`sleep`, `random`) so tests are deterministic.
 */

/** How one failure is to be treated. */
export type Failure =
  | { readonly kind: 'rate_limited'; readonly retryAfterMs: number; readonly message: string }
  | { readonly kind: 'transient'; readonly message: string }
  | { readonly kind: 'final'; readonly message: string };

/** The budget of one operation. */
export interface RetryPolicy {
  /** Attempts after transient failures (the first call counts). */
  readonly maxAttempts: number;
  /** Waits after rate limits (each honours the server's retry_after). */
  readonly maxRateLimitWaits: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A retry_after longer than this is not waited for in-line: the operation fails as rate_limited. */
  readonly maxRetryAfterMs: number;
  /** Total time spent waiting across all retries. */
  readonly maxTotalWaitMs: number;
}

/** Defaults sized for a Worker alarm or a webhook-side send (minutes, not hours). */
export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 5,
  maxRateLimitWaits: 8,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 60_000,
  maxTotalWaitMs: 180_000,
};

/** Injected time: `sleep` may resolve early when `signal` aborts. */
export interface RetryClock {
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Uniform in [0, 1). */
  random(): number;
}

/** The real clock (setTimeout, Math.random). */
export const REAL_CLOCK: RetryClock = {
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
  random: Math.random,
};

/**
 * Exponential backoff with jitter for the n-th transient failure (n >= 1): between half and all of
 * `min(max, base * 2^(n-1))`.
 * @example backoffDelay(1, DEFAULT_RETRY, () => 0) === 250
 */
export function backoffDelay(n: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random: () => number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, n - 1));
  return Math.round(exp / 2 + (random() * exp) / 2);
}

/** Outcome of withRetry: the value, or the last failure once the budget is spent. */
export type RetryOutcome<T> =
  | { readonly ok: true; readonly value: T; readonly attempts: number; readonly waitedMs: number }
  | { readonly ok: false; readonly failure: Failure; readonly attempts: number; readonly waitedMs: number };

/**
 * Runs `op` until it succeeds, fails finally, or the budget is spent. Never throws for op failures.
 * @example await withRetry(() => api.sendMessage(...), classifyTelegramError, { policy: DEFAULT_RETRY, clock: REAL_CLOCK })
 */
export async function withRetry<T>(
  op: (attempt: number) => Promise<T>,
  classify: (err: unknown) => Failure,
  opts: { policy?: RetryPolicy; clock?: RetryClock; signal?: AbortSignal; onRetry?: (f: Failure, delayMs: number) => void },
): Promise<RetryOutcome<T>> {
  const policy = opts.policy ?? DEFAULT_RETRY;
  const clock = opts.clock ?? REAL_CLOCK;
  let attempts = 0;
  let transient = 0;
  let rateWaits = 0;
  let waitedMs = 0;
  for (;;) {
    attempts++;
    let failure: Failure;
    try {
      return { ok: true, value: await op(attempts), attempts, waitedMs };
    } catch (err) {
      failure = classify(err);
    }
    let delay: number;
    if (failure.kind === 'final') return { ok: false, failure, attempts, waitedMs };
    if (failure.kind === 'rate_limited') {
      rateWaits++;
      if (rateWaits > policy.maxRateLimitWaits || failure.retryAfterMs > policy.maxRetryAfterMs) return { ok: false, failure, attempts, waitedMs };
      delay = failure.retryAfterMs;
    } else {
      transient++;
      if (transient >= policy.maxAttempts) return { ok: false, failure, attempts, waitedMs };
      delay = backoffDelay(transient, policy, clock.random);
    }
    if (waitedMs + delay > policy.maxTotalWaitMs || opts.signal?.aborted) return { ok: false, failure, attempts, waitedMs };
    opts.onRetry?.(failure, delay);
    await clock.sleep(delay, opts.signal);
    waitedMs += delay;
    if (opts.signal?.aborted) return { ok: false, failure, attempts, waitedMs };
  }
}
