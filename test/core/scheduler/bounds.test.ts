// Overflow of every per-session bound: queue cap under each drop policy, history rows and bytes with
// compaction, paging, forced compaction, reset with a bounded archive, and the limiter's lease cap.
import { describe, expect, it } from 'vitest';
import { NodeSqlStorage } from '../../../node-adapter/sql-storage.ts';
import { openDatabase } from '../../../node-adapter/sqlite.ts';
import type { GlobalQueueSettings } from '../../../src/scheduler/decide.ts';
import { decideAcquire, decideAdmit, LeaseWaiters, nextExpiry, RETRY_MS } from '../../../src/scheduler/limiter.ts';
import { SessionQueue, type QueueLimits } from '../../../src/scheduler/session-queue.ts';
import { planCompaction, truncateToolResult } from '../../../src/scheduler/text.ts';

const T0 = 1_700_000_000_000;

function queue(limits: Partial<QueueLimits> = {}) {
  const q = new SessionQueue(new NodeSqlStorage(openDatabase(':memory:')), {
    queueCap: 3, historyCap: 1000, historyMaxBytes: 1 << 20, toolResultMaxBytes: 100, idempotencyCap: 100, idempotencyTtlMs: 86_400_000, ...limits,
  });
  q.migrate();
  return q;
}
const settings = (drop: GlobalQueueSettings['drop']): GlobalQueueSettings => ({ mode: 'followup', cap: 3, drop, debounceMs: 0, byChannel: {} });

function runAll(q: SessionQueue, now: number): void {
  for (let d = q.nextTurn(now, 0); d.kind === 'start'; d = q.nextTurn(now, 0)) {
    q.finishTurn(q.startTurn(d.seqs, now).runId, { state: 'done' }, now);
  }
}

describe('per-session bounds', () => {
  it('drops the oldest queued item at the cap under `old` and reports it', () => {
    const q = queue();
    for (const t of ['a', 'b', 'c']) q.enqueueWith({ text: t, key: t }, settings('old'), T0);
    const r = q.enqueueWith({ text: 'd' }, settings('old'), T0);
    expect(r).toMatchObject({ status: 'queued', seq: 4, position: 3, dropped: [{ seq: 1, runId: 'run-1', key: 'a' }] });
    expect(q.run('run-1')).toMatchObject({ state: 'dropped', reason: 'old' });
    runAll(q, T0);
    expect(q.historyPage(100).entries.map((h) => h.text)).toEqual(['b', 'c', 'd']);
  });

  it('drops the oldest under `summarize` and injects one synthetic summary before the next turn', () => {
    const q = queue();
    for (const t of ['first message', 'second', 'third', 'fourth', 'fifth']) q.enqueueWith({ text: t }, settings('summarize'), T0);
    const turn = q.startTurn([3], T0);
    expect(turn.items.map((i) => [i.synthetic, i.seq])).toEqual([[true, null], [false, 3]]);
    expect(turn.items[0]!.text).toBe('[2 queued messages were dropped because the queue was full]\n• first message\n• second');
    q.finishTurn(turn.runId, { state: 'done' }, T0);
    runAll(q, T0);
    expect(q.historyPage(100).entries.map((h) => h.role)).toEqual(['system', 'user', 'user', 'user']);
  });

  it('rejects the newest under `new` with the cap and a retry hint', () => {
    const q = queue();
    for (const t of ['a', 'b', 'c']) q.enqueueWith({ text: t }, settings('new'), T0);
    expect(q.enqueueWith({ text: 'd' }, settings('new'), T0)).toEqual({ status: 'rejected', reason: 'queue_full', cap: 3, retryAfterMs: 1_000 });
    expect(q.pending(10).map((i) => i.text)).toEqual(['a', 'b', 'c']);
  });

  it('honours a per-session cap and drop override over the global settings', () => {
    const q = queue();
    q.patch({ queueCap: 1, queueDrop: 'new' });
    q.enqueueWith({ text: 'a' }, settings('old'), T0);
    expect(q.enqueueWith({ text: 'b' }, settings('old'), T0)).toMatchObject({ status: 'rejected', cap: 1 });
    q.patch({ queueCap: null, queueDrop: null });
    expect(q.enqueueWith({ text: 'b' }, settings('old'), T0)).toMatchObject({ status: 'queued' });
  });

  it('keeps history within its row cap by compacting, with counts carried across compactions', () => {
    const q = queue({ historyCap: 5 });
    for (let i = 1; i <= 20; i++) {
      q.enqueueWith({ text: `m${i}` }, settings('new'), T0);
      runAll(q, T0);
      expect(q.history.count()).toBeLessThanOrEqual(5);
    }
    const rows = q.historyPage(100).entries;
    expect(rows[0]!.text).toMatch(/^\[summary of 16 earlier messages\]/);
    expect(rows.slice(1).map((h) => h.text)).toEqual(['m17', 'm18', 'm19', 'm20']);
  });

  it('keeps history within its byte cap, the summary included', () => {
    const q = queue({ historyMaxBytes: 1_000 });
    for (let i = 1; i <= 50; i++) {
      q.enqueueWith({ text: `${i}:${'x'.repeat(60)}` }, settings('new'), T0);
      runAll(q, T0);
      expect(q.history.bytes()).toBeLessThanOrEqual(1_000);
    }
    expect(q.historyPage(100).entries[0]!.role).toBe('summary');
  });

  it('pages history newest-first with a cursor, each page oldest first, up to 1000 rows', () => {
    const q = queue({ queueCap: 2000, historyCap: 5000 });
    for (let i = 1; i <= 1205; i++) q.enqueueWith({ text: `m${i}` }, { ...settings('new'), cap: 2000 }, T0);
    runAll(q, T0);
    const first = q.historyPage(5000);
    expect(first.entries).toHaveLength(1000);
    expect(first.entries.at(-1)!.text).toBe('m1205');
    const second = q.historyPage(1000, first.nextCursor);
    expect(second.entries.map((e) => e.text)).toEqual(Array.from({ length: 205 }, (_, i) => `m${i + 1}`));
    expect(second.nextCursor).toBeNull();
    expect(() => q.historyPage(10, 'bogus')).toThrow(/invalid history cursor/);
  });

  it('compacts on request and resets into a bounded archive', () => {
    const q = queue({ historyCap: 10 });
    for (let i = 1; i <= 8; i++) q.enqueueWith({ text: `m${i}` }, settings('new'), T0), runAll(q, T0);
    expect(q.history.compact(2, T0)).toBe(6);
    expect(q.historyPage(100).entries.map((h) => h.role)).toEqual(['summary', 'user', 'user']);
    expect(q.reset(T0)).toEqual({ archived: 3, epoch: 1 });
    expect(q.historyPage(100).entries.map((h) => h.text)).toEqual(['[session reset: 3 earlier rows archived]']);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 9; i++) q.enqueueWith({ text: `r${round}.${i}` }, settings('new'), T0), runAll(q, T0);
      q.reset(T0);
    }
    expect(q.history.archivedCount()).toBeLessThanOrEqual(10);
  });

  it('truncates tool results with a marker and plans no compaction within bounds', () => {
    expect(truncateToolResult('short', 100)).toBe('short');
    const cut = truncateToolResult('é'.repeat(100), 50);
    expect(new TextEncoder().encode(cut).byteLength).toBeLessThanOrEqual(50);
    expect(cut).toMatch(/…\[truncated \d+ bytes\]$/);
    expect(planCompaction([{ bytes: 1, weight: 1 }], 10, 100, 64)).toEqual({ fold: 0, summary: false });
  });
});

describe('global limiter leases', () => {
  it('grants up to max holders, renews a holder, refuses the next with a retry hint, and expires leases', () => {
    const now = 1_000;
    const leases = [{ holder: 'a', expiresAt: now + 10 }, { holder: 'b', expiresAt: now + 10 }];
    expect(decideAcquire(leases, 'c', 2, 60_000, now)).toEqual({ granted: false, retryAfterMs: RETRY_MS, expired: [] });
    expect(decideAcquire(leases, 'a', 2, 60_000, now)).toMatchObject({ granted: true });
    expect(decideAcquire(leases, 'c', 2, 60_000, now + 10)).toMatchObject({ granted: true, expired: ['a', 'b'] });
    expect(nextExpiry(leases, now)).toBe(now + 10);
    expect(nextExpiry(leases, now + 10)).toBeNull();
  });

  it('does not let a newcomer take a free slot while others wait ahead of it (FIFO), but renews a holder', () => {
    const leases = [{ holder: 'a', expiresAt: 2_000 }];
    expect(decideAcquire(leases, 'c', 2, 60_000, 1_000, 1)).toMatchObject({ granted: false });
    expect(decideAcquire(leases, 'a', 2, 60_000, 1_000, 1)).toMatchObject({ granted: true });
  });

  it('grants waiters in arrival order as slots free, and times a waiter out without granting it', async () => {
    const w = new LeaseWaiters();
    let free = 0;
    const first = w.wait('a', 1, 60_000, 10_000);
    const second = w.wait('b', 1, 60_000, 10_000);
    const late = w.wait('c', 1, 60_000, 1);
    w.grantInOrder(() => free-- > 0);
    expect(w.size).toBe(3);
    free = 1;
    w.grantInOrder(() => free-- > 0);
    expect(await first).toBe(true);
    expect(w.size).toBe(2);
    expect(await late).toBe(false);
    expect(w.size).toBe(1);
    free = 1;
    w.grantInOrder(() => free-- > 0);
    expect(await second).toBe(true);
  });
});

describe('global queue bound', () => {
  it('admits a session count while the total stays within the cap and refuses growth beyond it', () => {
    expect(decideAdmit(9, 2, 3, 10)).toEqual({ admitted: true, total: 10 });
    expect(decideAdmit(10, 2, 3, 10)).toEqual({ admitted: false, total: 10, retryAfterMs: RETRY_MS });
  });

  it('always accepts a shrinking or unchanged count, even over the cap (a crash left it stale)', () => {
    expect(decideAdmit(15, 5, 0, 10)).toEqual({ admitted: true, total: 10 });
    expect(decideAdmit(15, 5, 5, 10)).toEqual({ admitted: true, total: 15 });
  });
});
