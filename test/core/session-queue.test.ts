// SessionQueue, the per-session durable FIFO, over the Node host's `ctx.storage.sql` on a real SQLite file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeSqlStorage } from '../../node-adapter/sql-storage.ts';
import { openDatabase } from '../../node-adapter/sqlite.ts';
import { SessionQueue, type QueueLimits } from '../../src/scheduler/session-queue.ts';
import { SCHEMA_VERSION } from '../../src/scheduler/session-schema.ts';

const T0 = 1_700_000_000_000;
const LIMITS: QueueLimits = {
  queueCap: 10,
  historyCap: 100,
  historyMaxBytes: 1_000_000,
  toolResultMaxBytes: 1_000,
  idempotencyCap: 100,
  idempotencyTtlMs: 86_400_000,
};

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

/** Runs the head as one turn with the record-only behaviour, as the SessionDO drain loop does. */
function drainOne(q: SessionQueue, now: number): void {
  const head = q.head();
  if (!head) throw new Error('queue is empty');
  const turn = q.startTurn([head.seq], now);
  q.finishTurn(turn.runId, { state: 'done' }, now);
}

/** History texts, oldest first. */
function texts(q: SessionQueue): string[] {
  return q.historyPage(1000).entries.map((h) => h.text);
}

describe('SessionQueue', () => {
  it('hands items out in the order they were enqueued, each with its own run id', () => {
    const q = queue();
    const results = ['a', 'b', 'c'].map((text, i) => q.enqueue({ text }, T0 + i));
    expect(results).toEqual([
      { status: 'queued', seq: 1, runId: 'run-1', mode: 'followup', position: 1, wakeAt: T0 },
      { status: 'queued', seq: 2, runId: 'run-2', mode: 'followup', position: 2, wakeAt: T0 + 1 },
      { status: 'queued', seq: 3, runId: 'run-3', mode: 'followup', position: 3, wakeAt: T0 + 2 },
    ]);
    const seen: string[] = [];
    for (let now = T0 + 10; q.head(); now++) {
      seen.push(q.head()!.text);
      drainOne(q, now);
    }
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(q.historyPage(10).entries.map((h) => [h.seq, h.role, h.text])).toEqual([
      [1, 'user', 'a'],
      [2, 'user', 'b'],
      [3, 'user', 'c'],
    ]);
    expect(q.runs(10).map((r) => [r.runId, r.state])).toEqual([
      ['run-3', 'done'],
      ['run-2', 'done'],
      ['run-1', 'done'],
    ]);
  });

  it('acknowledges a repeated key as a duplicate of the original run without queueing it again', () => {
    const q = queue();
    expect(q.enqueue({ key: 'm1', text: 'hello' }, T0)).toMatchObject({ status: 'queued', seq: 1 });
    q.enqueue({ key: 'm2', text: 'other' }, T0);
    expect(q.enqueue({ key: 'm1', text: 'hello again' }, T0 + 1)).toEqual({ status: 'duplicate', seq: 1, runId: 'run-1', state: 'queued' });
    expect(q.pending(10).map((i) => i.text)).toEqual(['hello', 'other']);
    // Still a duplicate after it was processed, now reporting the finished run.
    drainOne(q, T0 + 2);
    expect(q.enqueue({ key: 'm1', text: 'late retry' }, T0 + 3)).toEqual({ status: 'duplicate', seq: 1, runId: 'run-1', state: 'done' });
    expect(q.status().lastSeq).toBe(2);
  });

  it('rejects an item beyond the cap under drop policy new and writes nothing for it', () => {
    const q = queue({ queueCap: 2 });
    q.enqueue({ text: 'a' }, T0);
    q.enqueue({ text: 'b' }, T0);
    const before = q.status();
    expect(q.enqueue({ key: 'k3', text: 'c' }, T0)).toEqual({ status: 'rejected', reason: 'queue_full', cap: 2, retryAfterMs: 1_000 });
    expect(q.status()).toEqual(before);
    expect(q.pending(10).map((i) => i.text)).toEqual(['a', 'b']);
    // The rejected key was not remembered: once there is room, the same key is accepted.
    drainOne(q, T0 + 1);
    expect(q.enqueue({ key: 'k3', text: 'c' }, T0 + 2)).toMatchObject({ status: 'queued', seq: 3, position: 2 });
  });

  it('compacts the oldest history rows into one summary row beyond historyCap', () => {
    const q = queue({ historyCap: 3 });
    for (let i = 1; i <= 5; i++) {
      q.enqueue({ text: `m${i}` }, T0 + i);
      drainOne(q, T0 + i);
    }
    const rows = q.historyPage(100).entries;
    expect(rows.map((h) => h.role)).toEqual(['summary', 'user', 'user']);
    expect(rows[0]!.text).toMatch(/^\[summary of 3 earlier messages\]\nuser: m1\nuser: m2\nuser: m3$/);
    expect(rows.slice(1).map((h) => h.text)).toEqual(['m4', 'm5']);
    expect(q.status()).toMatchObject({ historyRows: 3, processed: 5 });
  });

  it('prunes the oldest history rows beyond a tiny historyMaxBytes, counting UTF-8 bytes', () => {
    // With 10 bytes there is no room for a summary row, so the oldest rows go.
    const q = queue({ historyMaxBytes: 10 });
    for (const text of ['aaaa', 'bbbb', 'cccc']) {
      q.enqueue({ text }, T0);
      drainOne(q, T0);
    }
    expect(texts(q)).toEqual(['bbbb', 'cccc']);
    // 'ééé' is 6 bytes: with 'cccc' that is exactly 10.
    q.enqueue({ text: 'ééé' }, T0);
    drainOne(q, T0);
    expect(texts(q)).toEqual(['cccc', 'ééé']);
  });

  it('always keeps the newest history row even when it alone exceeds historyMaxBytes', () => {
    const q = queue({ historyMaxBytes: 10 });
    q.enqueue({ text: 'small' }, T0);
    drainOne(q, T0);
    q.enqueue({ text: 'x'.repeat(50) }, T0);
    drainOne(q, T0);
    expect(texts(q)).toEqual(['x'.repeat(50)]);
    q.enqueue({ text: 'tiny' }, T0);
    drainOne(q, T0);
    expect(texts(q)).toEqual(['tiny']);
  });

  it('forgets the oldest idempotency keys beyond idempotencyCap, so a forgotten key is accepted again', () => {
    const q = queue({ idempotencyCap: 2 });
    q.enqueue({ key: 'k1', text: 'one' }, T0);
    q.enqueue({ key: 'k2', text: 'two' }, T0);
    q.enqueue({ key: 'k3', text: 'three' }, T0);
    expect(q.enqueue({ key: 'k2', text: 'two again' }, T0)).toMatchObject({ status: 'duplicate', seq: 2 });
    expect(q.enqueue({ key: 'k3', text: 'three again' }, T0)).toMatchObject({ status: 'duplicate', seq: 3 });
    expect(q.enqueue({ key: 'k1', text: 'one again' }, T0)).toMatchObject({ status: 'queued', seq: 4 });
    // Remembering k1 again pushed k2 out of the window.
    expect(q.enqueue({ key: 'k2', text: 'two, third time' }, T0)).toMatchObject({ status: 'queued', seq: 5 });
  });

  it('forgets idempotency keys older than idempotencyTtlMs', () => {
    const q = queue({ idempotencyTtlMs: 1_000 });
    q.enqueue({ key: 'k', text: 'first' }, T0);
    expect(q.enqueue({ key: 'k', text: 'retry' }, T0 + 999)).toMatchObject({ status: 'duplicate', seq: 1 });
    expect(q.enqueue({ key: 'k', text: 'much later' }, T0 + 1_000)).toMatchObject({ status: 'queued', seq: 2 });
  });

  it('changes nothing when the same run is finished a second time', () => {
    const q = queue();
    q.enqueue({ key: 'k', text: 'once' }, T0);
    q.enqueue({ text: 'next' }, T0);
    const turn = q.startTurn([1], T0 + 1);
    q.finishTurn(turn.runId, { state: 'done' }, T0 + 1);
    const status = q.status();
    const history = q.historyPage(10).entries;
    q.finishTurn(turn.runId, { state: 'failed', error: 'late' }, T0 + 2);
    expect(q.status()).toEqual(status);
    expect(q.historyPage(10).entries).toEqual(history);
    expect(q.pending(10).map((i) => i.text)).toEqual(['next']);
  });

  it('keeps an item that is not yet available at the head, and later items wait behind it', () => {
    const q = queue();
    const later = T0 + 60_000;
    expect(q.enqueue({ text: 'delayed', availableAt: later }, T0)).toMatchObject({ status: 'queued', seq: 1, position: 1, wakeAt: later });
    // A ready item behind it does not overtake it: the session wakes when the head is due.
    expect(q.enqueue({ text: 'ready' }, T0 + 1)).toMatchObject({ status: 'queued', seq: 2, position: 2, wakeAt: later });
    expect(q.nextTurn(T0 + 2, 0)).toEqual({ kind: 'wait', until: later });
    expect(q.status().headAvailableAt).toBe(later);
    expect(q.nextTurn(later, 0)).toEqual({ kind: 'start', seqs: [1] });
    // A past availableAt is clamped to the enqueue time.
    expect(q.enqueue({ text: 'past', availableAt: T0 }, later + 5)).toMatchObject({ seq: 3 });
    expect(q.pending(10)[2]).toMatchObject({ seq: 3, availableAt: later + 5 });
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
    expect(reopened.enqueue({ key: 'k', text: 'again' }, T0)).toMatchObject({ status: 'duplicate', seq: 1 });
  });

  it('migrates idempotently', () => {
    const q = queue();
    q.enqueue({ text: 'kept' }, T0);
    q.migrate();
    q.migrate();
    expect(q.pending(10).map((i) => i.text)).toEqual(['kept']);
    expect(sql.exec(`SELECT value FROM session_meta WHERE key = 'schema_version'`).one()).toEqual({ value: String(SCHEMA_VERSION) });
  });

  it('upgrades v1 storage: queued items get queued runs and history keeps its rows in order', () => {
    const v1 = [
      `CREATE TABLE session_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
      `CREATE TABLE queue (seq INTEGER PRIMARY KEY, item_key TEXT, text TEXT NOT NULL, enqueued_at INTEGER NOT NULL, available_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0)`,
      `CREATE TABLE history (seq INTEGER PRIMARY KEY, item_key TEXT, role TEXT NOT NULL, text TEXT NOT NULL, bytes INTEGER NOT NULL, enqueued_at INTEGER NOT NULL, processed_at INTEGER NOT NULL)`,
      `CREATE TABLE idempotency (item_key TEXT PRIMARY KEY, seq INTEGER NOT NULL, at INTEGER NOT NULL)`,
      `INSERT INTO session_meta VALUES ('schema_version', '1'), ('last_seq', '2'), ('processed', '1')`,
      `INSERT INTO history VALUES (1, 'a', 'user', 'done one', 8, ${T0}, ${T0})`,
      `INSERT INTO queue VALUES (2, 'b', 'waiting', ${T0}, ${T0}, 0)`,
      `INSERT INTO idempotency VALUES ('a', 1, ${T0}), ('b', 2, ${T0})`,
    ];
    for (const ddl of v1) sql.exec(ddl);
    const q = queue();
    expect(q.historyPage(10).entries.map((h) => [h.seq, h.text])).toEqual([[1, 'done one']]);
    expect(q.pending(10).map((i) => [i.seq, i.text, i.mode])).toEqual([[2, 'waiting', 'followup']]);
    expect(q.run('run-2')).toMatchObject({ state: 'queued' });
    expect(q.enqueue({ key: 'a', text: 'again' }, T0 + 1)).toEqual({ status: 'duplicate', seq: 1, runId: 'run-1', state: 'done' });
  });

  it('refuses storage written by a newer schema version', () => {
    queue();
    sql.exec(`UPDATE session_meta SET value = '${SCHEMA_VERSION + 1}' WHERE key = 'schema_version'`);
    expect(() => new SessionQueue(sql, LIMITS).migrate()).toThrow(`schema v${SCHEMA_VERSION + 1} is newer than this build (v${SCHEMA_VERSION})`);
  });
});
