// Retry timing: exponential backoff with full jitter, Retry-After parsing, and an abortable sleep.

/** Retry policy of a client. All bounds are finite. */
export interface RetryPolicy {
  /** Total attempts including the first (1 = no retry). */
  maxAttempts: number;
  /** First backoff step. */
  baseDelayMs: number;
  /** Largest single backoff step. */
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the failure goes to the caller (and the fallback chain). */
  maxRetryAfterMs: number;
  /** Sum of all waits of one request; once spent, the last failure is returned. */
  budgetMs: number;
}

/** Defaults: 3 attempts, 500 ms → 8 s backoff, Retry-After up to 30 s, 60 s of waiting in total. */
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 8_000, maxRetryAfterMs: 30_000, budgetMs: 60_000 };

/** Full-jitter backoff for the given retry number (1-based). `random` returns [0, 1). */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(cap / 2 + random() * (cap / 2));
}

/**
 * Milliseconds to wait from `retry-after-ms` (OpenAI) or `Retry-After` (seconds or an HTTP date).
 * @example parseRetryAfter(new Headers({ 'retry-after': '2' }), Date.now()) // 2000
 */
export function parseRetryAfter(headers: Headers, now: number): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms));
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
