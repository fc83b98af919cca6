// Retry timing: Retry-After forms, jittered backoff bounds, abortable sleep.
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, backoffDelay, parseRetryAfter, sleep } from '../../../src/providers/retry.ts';

describe('retry timing', () => {
  it('reads Retry-After as seconds, as an HTTP date, and prefers retry-after-ms', () => {
    const now = Date.parse('2026-11-27T10:00:00Z');
    expect(parseRetryAfter(new Headers({ 'retry-after': '3' }), now)).toBe(3000);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'Fri, 27 Nov 2026 10:00:05 GMT' }), now)).toBe(5000);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'Fri, 27 Nov 2026 09:00:00 GMT' }), now)).toBe(0);
    expect(parseRetryAfter(new Headers({ 'retry-after': '3', 'retry-after-ms': '250' }), now)).toBe(250);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(parseRetryAfter(new Headers(), now)).toBeUndefined();
  });

  it('keeps jittered backoff between half and all of the capped exponential step', () => {
    const policy = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, policy, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, policy, () => 0.999999))).toEqual([99, 199, 399, 799, 999]);
  });

  it('rejects a sleep with the abort reason', async () => {
    const ctrl = new AbortController();
    const pending = sleep(60_000, ctrl.signal);
    ctrl.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
  });
});
