// SessionQueue, the per-session durable FIFO, over the Node host's `ctx.storage.sql` on a real SQLite file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeSqlStorage } from '../../node-adapter/sql-storage.ts';
import { openDatabase } from '../../node-adapter/sqlite.ts';
import { SessionQueue, type QueueLimits } from '../../src/scheduler/session-queue.ts';

const T0 = 1_700_000_000_000;
const LIMITS: QueueLimits = { queueCap: 10, historyCap: 100, historyMaxBytes: 1_000_000, idempotencyCap: 100 };

let dir: string;
let db: DatabaseSync;
let sql: NodeSqlStorage;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgeclaw-queue-'));
  db = openDatabase(join(dir, 'session.sqlite'));
  sql = new NodeSqlStorage(db);
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A migrated queue over this test's file with `limits` overriding the defaults. */
function queue(limits: Partial<QueueLimits> = {}): SessionQueue {
  const q = new SessionQueue(sql, { ...LIMITS, ...limits });
  q.migrate();
  return q;
}

/** Takes the head and completes it with its own text, as the SessionDO drain loop does. */
function drainOne(q: SessionQueue, now: number, reply?: string): void {
  const head = q.head();
  if (!head) throw new Error('queue is empty');
  q.complete(head, 'user', reply ?? head.text, now);
}

describe('SessionQueue', () => {
  it('hands items out in the order they were enqueued', () => {
    const q = queue();
    const results = ['a', 'b', 'c'].map((text, i) => q.enqueue({ text }, T0 + i));
    expect(results).toEqual([
      { status: 'queued', seq: 1, position: 1, wakeAt: T0 },
      { status: 'queued', seq: 2, position: 2, wakeAt: T0 },
      { status: 'queued', seq: 3, position: 3, wakeAt: T0 },
    ]);
    const seen: string[] = [];
    for (let now = T0 + 10; q.head(); now++) {
      seen.push(q.head()!.text);
      drainOne(q, now);
    }
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(q.history(10).map((h) => [h.seq, h.text])).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ]);
  });

  it('acknowledges a repeated key as a duplicate of the original seq without queueing it again', () => {
    const q = queue();
    expect(q.enqueue({ key: 'm1', text: 'hello' }, T0)).toMatchObject({ status: 'queued', seq: 1 });
    q.enqueue({ key: 'm2', text: 'other' }, T0);
    expect(q.enqueue({ key: 'm1', text: 'hello again' }, T0 + 1)).toEqual({ status: 'duplicate', seq: 1 });
    expect(q.pending(10).map((i) => i.text)).toEqual(['hello', 'other']);
    // Still a duplicate after it was processed.
    drainOne(q, T0 + 2);
    expect(q.enqueue({ key: 'm1', text: 'late retry' }, T0 + 3)).toEqual({ status: 'duplicate', seq: 1 });
    expect(q.status().lastSeq).toBe(2);
  });

  it('rejects an item beyond the queue cap and writes nothing for it', () => {
    const q = queue({ queueCap: 2 });
    q.enqueue({ text: 'a' }, T0);
    q.enqueue({ text: 'b' }, T0);
    const before = q.status();
    expect(q.enqueue({ key: 'k3', text: 'c' }, T0)).toEqual({ status: 'rejected', reason: 'queue_full', cap: 2 });
    expect(q.status()).toEqual(before);
    expect(q.pending(10).map((i) => i.text)).toEqual(['a', 'b']);
    // The rejected key was not remembered: once there is room, the same key is accepted.
    drainOne(q, T0 + 1);
    expect(q.enqueue({ key: 'k3', text: 'c' }, T0 + 2)).toMatchObject({ status: 'queued', seq: 3, position: 2 });
  });

  it('keeps only the newest historyCap history rows', () => {
    const q = queue({ historyCap: 3 });
    for (let i = 1; i <= 5; i++) {
      q.enqueue({ text: `m${i}` }, T0 + i);
      drainOne(q, T0 + i);
    }
    expect(q.history(100).map((h) => h.text)).toEqual(['m3', 'm4', 'm5']);
    expect(q.status()).toMatchObject({ historyRows: 3, processed: 5 });
  });

  it('prunes the oldest history rows beyond historyMaxBytes, counting UTF-8 bytes', () => {
    const q = queue({ historyMaxBytes: 10 });
    for (const text of ['aaaa', 'bbbb', 'cccc']) {
      q.enqueue({ text }, T0);
      drainOne(q, T0);
    }
    // 4 + 4 fit in 10 bytes, the third row would make 12.
    expect(q.history(100).map((h) => h.text)).toEqual(['bbbb', 'cccc']);
    // 'ééé' is 6 bytes: with 'cccc' that is exactly 10.
    q.enqueue({ text: 'ééé' }, T0);
    drainOne(q, T0);
    expect(q.history(100).map((h) => h.text)).toEqual(['cccc', 'ééé']);
  });

  it('always keeps the newest history row even when it alone exceeds historyMaxBytes', () => {
    const q = queue({ historyMaxBytes: 10 });
    q.enqueue({ text: 'small' }, T0);
    drainOne(q, T0);
    q.enqueue({ text: 'x'.repeat(50) }, T0);
    drainOne(q, T0);
    expect(q.history(100).map((h) => h.text)).toEqual(['x'.repeat(50)]);
    q.enqueue({ text: 'tiny' }, T0);
    drainOne(q, T0);
    expect(q.history(100).map((h) => h.text)).toEqual(['tiny']);
  });

  it('forgets the oldest idempotency keys beyond idempotencyCap, so a forgotten key is accepted again', () => {
    const q = queue({ idempotencyCap: 2 });
    q.enqueue({ key: 'k1', text: 'one' }, T0);
    q.enqueue({ key: 'k2', text: 'two' }, T0);
    q.enqueue({ key: 'k3', text: 'three' }, T0);
    expect(q.enqueue({ key: 'k2', text: 'two again' }, T0)).toEqual({ status: 'duplicate', seq: 2 });
    expect(q.enqueue({ key: 'k3', text: 'three again' }, T0)).toEqual({ status: 'duplicate', seq: 3 });
    expect(q.enqueue({ key: 'k1', text: 'one again' }, T0)).toMatchObject({ status: 'queued', seq: 4 });
    // Remembering k1 again pushed k2 out of the window.
    expect(q.enqueue({ key: 'k2', text: 'two, third time' }, T0)).toMatchObject({ status: 'queued', seq: 5 });
  });

  it('changes nothing when the same item is completed a second time', () => {
    const q = queue();
    q.enqueue({ key: 'k', text: 'once' }, T0);
    q.enqueue({ text: 'next' }, T0);
    const item = q.head()!;
    q.complete(item, 'user', 'once', T0 + 1);
    const status = q.status();
    const history = q.history(10);
    q.complete(item, 'user', 'once (redelivered)', T0 + 2);
    expect(q.status()).toEqual(status);
    expect(q.history(10)).toEqual(history);
    expect(q.pending(10).map((i) => i.text)).toEqual(['next']);
  });

  it('keeps an item that is not yet available at the head, and later items wait behind it', () => {
    const q = queue();
    const later = T0 + 60_000;
    expect(q.enqueue({ text: 'delayed', availableAt: later }, T0)).toEqual({ status: 'queued', seq: 1, position: 1, wakeAt: later });
    // A ready item behind it does not overtake it: the session wakes when the head is due.
    expect(q.enqueue({ text: 'ready' }, T0 + 1)).toEqual({ status: 'queued', seq: 2, position: 2, wakeAt: later });
    const head = q.head()!;
    expect(head).toMatchObject({ seq: 1, text: 'delayed', availableAt: later });
    expect(head.availableAt).toBeGreaterThan(T0 + 1);
    expect(q.status().headAvailableAt).toBe(later);
    // A past availableAt is clamped to the enqueue time.
    q.complete(head, 'user', 'delayed', later);
    q.complete(q.head()!, 'user', 'ready', later);
    expect(q.enqueue({ text: 'past', availableAt: T0 }, later + 5)).toMatchObject({ wakeAt: later + 5 });
  });

  it('counts attempts on an item before it completes', () => {
    const q = queue();
    q.enqueue({ text: 'flaky' }, T0);
    q.markAttempt(1);
    q.markAttempt(1);
    expect(q.head()).toMatchObject({ seq: 1, attempts: 2 });
  });

  it('binds one session key and refuses another', () => {
    const q = queue();
    expect(q.sessionKey()).toBeNull();
    q.bindSessionKey('chat:1');
    q.bindSessionKey('chat:1');
    expect(q.sessionKey()).toBe('chat:1');
    expect(() => q.bindSessionKey('chat:2')).toThrow(/bound to another key/);
  });

  it('keeps its state across a reopen of the file', () => {
    const q = queue();
    q.enqueue({ key: 'k', text: 'persisted' }, T0);
    db.close();
    db = openDatabase(join(dir, 'session.sqlite'));
    sql = new NodeSqlStorage(db);
    const reopened = queue();
    expect(reopened.head()).toMatchObject({ seq: 1, text: 'persisted' });
    expect(reopened.enqueue({ key: 'k', text: 'again' }, T0)).toEqual({ status: 'duplicate', seq: 1 });
  });

  it('migrates idempotently', () => {
    const q = queue();
    q.enqueue({ text: 'kept' }, T0);
    q.migrate();
    q.migrate();
    expect(q.pending(10).map((i) => i.text)).toEqual(['kept']);
    expect(sql.exec(`SELECT value FROM session_meta WHERE key = 'schema_version'`).one()).toEqual({ value: '1' });
  });

  it('refuses storage written by a newer schema version', () => {
    queue();
    sql.exec(`UPDATE session_meta SET value = '2' WHERE key = 'schema_version'`);
    expect(() => new SessionQueue(sql, LIMITS).migrate()).toThrow(/schema v2 is newer than this build \(v1\)/);
  });
});
