// Retry budget and the outbox: 429 waits retry_after, 5xx backs off, budgets end, chunks are sent once.
import { describe, expect, it } from 'vitest';
import { deliverChunks, MemoryOutboxStore } from '../../../src/channels/outbox.ts';
import { backoffDelay, DEFAULT_RETRY, withRetry, type Failure, type RetryClock } from '../../../src/channels/retry.ts';

/** A clock that records requested sleeps and returns at once. */
function fakeClock(random = 0.5): RetryClock & { slept: number[] } {
  const slept: number[] = [];
  return { slept, sleep: async (ms) => void slept.push(ms), random: () => random };
}

const classify = (err: unknown): Failure => err as Failure;

describe('withRetry', () => {
  it('waits exactly retry_after on a rate limit and then succeeds', async () => {
    const clock = fakeClock();
    let n = 0;
    const out = await withRetry(async () => (++n === 1 ? Promise.reject({ kind: 'rate_limited', retryAfterMs: 7000, message: '429' }) : 'ok'), classify, { clock });
    expect(out).toMatchObject({ ok: true, value: 'ok', attempts: 2 });
    expect(clock.slept).toEqual([7000]);
  });

  it('backs off exponentially with jitter on transient failures', async () => {
    const clock = fakeClock(1);
    let n = 0;
    await withRetry(async () => (++n < 4 ? Promise.reject({ kind: 'transient', message: '500' }) : 'ok'), classify, { clock });
    expect(clock.slept).toEqual([500, 1000, 2000]);
    expect(backoffDelay(1, DEFAULT_RETRY, () => 0)).toBe(250);
  });

  it('gives up after maxAttempts transient failures', async () => {
    const clock = fakeClock();
    const out = await withRetry(() => Promise.reject({ kind: 'transient', message: '502' }), classify, { clock, policy: { ...DEFAULT_RETRY, maxAttempts: 3 } });
    expect(out).toMatchObject({ ok: false, attempts: 3, failure: { kind: 'transient' } });
    expect(clock.slept.length).toBe(2);
  });

  it('does not wait for a retry_after beyond maxRetryAfterMs', async () => {
    const clock = fakeClock();
    const out = await withRetry(() => Promise.reject({ kind: 'rate_limited', retryAfterMs: 3_600_000, message: '429' }), classify, { clock });
    expect(out).toMatchObject({ ok: false, attempts: 1, failure: { kind: 'rate_limited' } });
    expect(clock.slept).toEqual([]);
  });

  it('stops once the total wait budget would be exceeded', async () => {
    const clock = fakeClock();
    const policy = { ...DEFAULT_RETRY, maxRateLimitWaits: 100, maxTotalWaitMs: 25_000 };
    const out = await withRetry(() => Promise.reject({ kind: 'rate_limited', retryAfterMs: 10_000, message: '429' }), classify, { clock, policy });
    expect(out.ok).toBe(false);
    expect(clock.slept).toEqual([10_000, 10_000]);
  });

  it('never retries a final failure', async () => {
    const clock = fakeClock();
    const out = await withRetry(() => Promise.reject({ kind: 'final', message: '400' }), classify, { clock });
    expect(out).toMatchObject({ ok: false, attempts: 1 });
  });
});

describe('deliverChunks', () => {
  it('sends each chunk once even when one send fails with a 500 and is retried', async () => {
    const store = new MemoryOutboxStore();
    const sent: string[] = [];
    let failed = false;
    const send = async (chunk: string) => {
      if (chunk === 'c1' && !failed) {
        failed = true;
        throw { kind: 'transient', message: '500' };
      }
      sent.push(chunk);
      return `m${sent.length}`;
    };
    const report = await deliverChunks({ key: 'k', chunks: ['c0', 'c1', 'c2'], store, send, classify, clock: fakeClock() });
    expect(report).toMatchObject({ status: 'sent', chunks: 3, sentNow: 3 });
    expect(sent).toEqual(['c0', 'c1', 'c2']);
  });

  it('resumes after a partial delivery without resending what was sent', async () => {
    const store = new MemoryOutboxStore();
    const sent: string[] = [];
    let down = true;
    const send = async (chunk: string) => {
      if (chunk === 'c1' && down) throw { kind: 'final', message: 'down' };
      sent.push(chunk);
      return chunk;
    };
    const first = await deliverChunks({ key: 'k', chunks: ['c0', 'c1', 'c2'], store, send, classify, clock: fakeClock() });
    expect(first).toMatchObject({ status: 'partial', sentNow: 1 });
    expect(store.get('k', 1)).toMatchObject({ state: 'failed' });
    down = false;
    const second = await deliverChunks({ key: 'k', chunks: ['c0', 'c1', 'c2'], store, send, classify, clock: fakeClock() });
    expect(second).toMatchObject({ status: 'sent', sentNow: 2, alreadySent: 1, messageIds: ['c0', 'c1', 'c2'] });
    expect(sent).toEqual(['c0', 'c1', 'c2']);
  });

  it('keeps the memory store bounded by dropping the oldest records', () => {
    const store = new MemoryOutboxStore(3);
    for (let i = 0; i < 5; i++) store.put({ key: `k${i}`, chunk: 0, state: 'sent', messageId: '1', attempts: 1, error: null, at: i });
    expect(store.size).toBe(3);
    expect(store.get('k0', 0)).toBeNull();
    expect(store.get('k4', 0)).not.toBeNull();
  });
});

describe('SqlOutboxStore', () => {
  it('keeps sent chunks across a restart and prunes old rows', async () => {
    const { openDatabase } = await import('../../../node-adapter/sqlite.ts');
    const { NodeSqlStorage } = await import('../../../node-adapter/sql-storage.ts');
    const { SqlOutboxStore } = await import('../../../src/channels/outbox.ts');
    const db = openDatabase(':memory:');
    const sent: string[] = [];
    const send = async (chunk: string) => (sent.push(chunk), `id-${chunk}`);
    const first = new SqlOutboxStore(new NodeSqlStorage(db));
    await deliverChunks({ key: 's#r', chunks: ['a', 'b'], store: first, send, classify, clock: fakeClock(), now: () => 1_000 });
    const again = new SqlOutboxStore(new NodeSqlStorage(db)); // a new instance over the same file: a restart
    const report = await deliverChunks({ key: 's#r', chunks: ['a', 'b'], store: again, send, classify, clock: fakeClock() });
    expect(report).toMatchObject({ status: 'sent', sentNow: 0, alreadySent: 2, messageIds: ['id-a', 'id-b'] });
    expect(sent).toEqual(['a', 'b']);
    expect(again.prune(2_000, 10)).toBe(2);
    expect(again.get('s#r', 0)).toBeNull();
    db.close();
  });
});
