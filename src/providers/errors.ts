// Provider failures, split by where they failed: the API answered with an error, or no usable answer came.

/** Why no usable answer came. */
export type NoAnswerReason = 'timeout' | 'network' | 'truncated' | 'malformed' | 'oversize';

/** Base class: `retryable` says whether another attempt (or another provider) may succeed. */
export abstract class ProviderError extends Error {
  abstract readonly kind: 'api' | 'no_answer';
  abstract readonly retryable: boolean;
}

/** The API answered with an error status (or an error object inside the stream). */
export class ProviderApiError extends ProviderError {
  override readonly name = 'ProviderApiError';
  readonly kind = 'api';
  readonly status: number;
  readonly code: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly retryable: boolean;

  constructor(status: number, message: string, opts: { code?: string; retryAfterMs?: number; retryable?: boolean } = {}) {
    super(message);
    this.status = status;
    this.code = opts.code;
    this.retryAfterMs = opts.retryAfterMs;
    this.retryable = opts.retryable ?? isRetryableStatus(status);
  }
}

/** No usable answer: timeout, connection failure, a stream cut short, or a body that is not the protocol. */
export class ProviderNoAnswerError extends ProviderError {
  override readonly name = 'ProviderNoAnswerError';
  readonly kind = 'no_answer';
  readonly reason: NoAnswerReason;
  readonly retryable: boolean;

  constructor(reason: NoAnswerReason, message: string, opts: { cause?: unknown } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.reason = reason;
    this.retryable = reason !== 'oversize';
  }
}

/** 408, 409 (OpenAI's lock contention), 425, 429 and every 5xx are worth another try. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 425 || status === 429 || status >= 500;
}

/** True for the error an aborted signal produces (never retried, never failed over). */
export function isAbortError(err: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted) return true;
  return err instanceof Error && err.name === 'AbortError';
}

/** The chat-event error kind (`refusal|timeout|rate_limit|context_length|unknown`) for a failure. */
export function errorKindOf(err: unknown): 'timeout' | 'rate_limit' | 'context_length' | 'unknown' {
  if (err instanceof ProviderNoAnswerError && err.reason === 'timeout') return 'timeout';
  if (err instanceof ProviderApiError) {
    if (err.status === 429) return 'rate_limit';
    if (err.code === 'context_length_exceeded') return 'context_length';
  }
  return 'unknown';
}

/** A short, secret-free summary of a failure for attempt records. */
export function describeFailure(err: unknown): { kind: string; message: string; status?: number; retryable: boolean } {
  if (err instanceof ProviderApiError) return { kind: 'api', status: err.status, message: err.message, retryable: err.retryable };
  if (err instanceof ProviderNoAnswerError) return { kind: err.reason, message: err.message, retryable: err.retryable };
  if (isAbortError(err)) return { kind: 'aborted', message: 'aborted', retryable: false };
  return { kind: 'internal', message: err instanceof Error ? err.message : String(err), retryable: false };
}
