/** The one mapping from a refused enqueue to the producer's error (never a silent drop). */
import { GatewayError } from '../errors.ts';
import type { EnqueueResult } from './types.ts';

/**
 * The error a producer gets for a refused enqueue: `QUEUE_FULL` (HTTP 429) for the session's own cap,
 * `UNAVAILABLE` (503) for the global queue cap or an unreachable limiter; always retryable with
 * `retryAfterMs`, and `details.reason` says which cap.
 * @example throw rejectionError({ status: 'rejected', reason: 'global_queue_full', cap: 10_000, retryAfterMs: 1_000 });
 */
export function rejectionError(r: Extract<EnqueueResult, { status: 'rejected' }>, scope = 'session'): GatewayError {
  const opts = { retryable: true, retryAfterMs: r.retryAfterMs, details: { reason: r.reason, cap: r.cap } };
  if (r.reason === 'queue_full') return new GatewayError('QUEUE_FULL', `${scope} queue is full (cap ${r.cap}); retry later`, opts);
  if (r.reason === 'global_queue_full') return new GatewayError('UNAVAILABLE', `global queue is full (queue.globalCap ${r.cap}); retry later`, opts);
  return new GatewayError('UNAVAILABLE', 'the global queue limiter is unavailable; retry later', opts);
}
