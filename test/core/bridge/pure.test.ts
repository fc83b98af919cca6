// Pure parts of bridge mode: backoff, the decided-ids LRU, and Defender → resolve decision mapping.
import { describe, expect, it } from 'vitest';
import { Backoff, backoffDelay, DecidedIds, decideApproval, isRetryableConnectError, resolutionFor, connectParams } from '../../../src/bridge/index.ts';
import { DEFAULT_POLICY } from '../../../src/defender/index.ts';

const opts = { baseMs: 1000, maxMs: 30_000, jitter: 0.5 };
const req = (command: string, extra: Record<string, unknown> = {}) => ({ id: 'a1', request: { command, ...extra } });

describe('backoff', () => {
  it('doubles from the base up to the cap without jitter', () => {
    expect([0, 1, 2, 3, 4, 5, 9].map((a) => backoffDelay(a, opts, () => 0))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });
  it('jitters downwards by at most the jitter fraction', () => {
    for (let a = 0; a < 8; a++) {
      const full = backoffDelay(a, opts, () => 0);
      const low = backoffDelay(a, opts, () => 0.999999);
      expect(low).toBeGreaterThanOrEqual(Math.floor(full * 0.5));
      expect(low).toBeLessThanOrEqual(full);
    }
  });
  it('starts over after reset', () => {
    const b = new Backoff(opts, () => 0);
    expect([b.next(), b.next(), b.next()]).toEqual([1000, 2000, 4000]);
    b.reset();
    expect(b.next()).toBe(1000);
  });
});

describe('DecidedIds', () => {
  it('drops the least recently used id when the cap is reached', () => {
    const ids = new DecidedIds(2);
    ids.add('a');
    ids.add('b');
    expect(ids.has('a')).toBe(true); // touches a, so b is now the oldest
    ids.add('c');
    expect([ids.has('a'), ids.has('b'), ids.has('c'), ids.size]).toEqual([true, false, true, 2]);
  });
  it('rejects a non-positive capacity', () => {
    expect(() => new DecidedIds(0)).toThrow(RangeError);
  });
});

describe('decision mapping', () => {
  it('maps allow to allow-once, block to deny and review to a human', () => {
    expect([resolutionFor('allow'), resolutionFor('block'), resolutionFor('review')]).toEqual(['allow-once', 'deny', null]);
  });
  it('denies rm -rf ~ with a command_guard reason and allows ls', () => {
    const bad = decideApproval(req('rm -rf ~'), DEFAULT_POLICY);
    expect(bad).toMatchObject({ action: 'block', resolve: 'deny' });
    expect(bad.reasons[0]?.guard).toBe('command_guard');
    expect(decideApproval(req('ls'), DEFAULT_POLICY)).toMatchObject({ action: 'allow', resolve: 'allow-once', score: 0 });
  });
  it('scores the argv when the display command is blank', () => {
    expect(decideApproval(req(' ', { commandArgv: ['rm', '-rf', '/'] }), DEFAULT_POLICY).resolve).toBe('deny');
  });
  it('denies instead of allowing when the gateway does not offer allow-once', () => {
    expect(decideApproval(req('ls', { allowedDecisions: ['deny'] }), DEFAULT_POLICY).resolve).toBe('deny');
  });
  it('leaves review-level commands to the review path', () => {
    const policy = { ...DEFAULT_POLICY, reviewThreshold: 10, blockThreshold: 95 };
    expect(decideApproval(req('sudo ls'), policy)).toMatchObject({ action: 'review', resolve: null });
  });
});

describe('protocol helpers', () => {
  it('connects as gateway-client in backend mode with exec-approvals and tool-events caps', () => {
    expect(connectParams('T', { version: '1', platform: 'linux', instanceId: 'i' }, ['operator.approvals'])).toMatchObject({
      minProtocol: 4, maxProtocol: 4, role: 'operator', caps: ['exec-approvals', 'tool-events'], scopes: ['operator.approvals'], auth: { token: 'T' },
      client: { id: 'gateway-client', mode: 'backend' },
    });
  });
  it('retries busy or starting gateways but not auth failures', () => {
    expect(isRetryableConnectError({ code: 'UNAVAILABLE', message: 'gateway starting', retryAfterMs: 500 })).toBe(true);
    expect(isRetryableConnectError({ code: 'INVALID_REQUEST', message: 'unauthorized', details: { code: 'AUTH_TOKEN_MISMATCH' } })).toBe(false);
    expect(isRetryableConnectError({ code: 'INVALID_REQUEST', message: 'slow down', details: { code: 'AUTH_RATE_LIMITED' } })).toBe(true);
  });
});
