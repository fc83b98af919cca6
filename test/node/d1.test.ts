// NodeD1Database (the Node host's D1 binding) on a migrated registry file, driven through drizzle-orm's
// D1 driver exactly as src/storage does on Workers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { asc, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeD1Database } from '../../node-adapter/d1.ts';
import { migrateRegistry } from '../../node-adapter/migrate.ts';
import { openDatabase } from '../../node-adapter/sqlite.ts';
import type { DbBinding } from '../../src/env.ts';
import { listSessions, recordSessionIndex } from '../../src/storage/repos/sessions.ts';
import { audit, meta, sessions } from '../../src/storage/schema.ts';
import type { QueueStatus } from '../../src/scheduler/session-queue.ts';

let dir: string;
let db: DatabaseSync;
let d1: NodeD1Database;
let binding: DbBinding;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgeclaw-d1-'));
  db = openDatabase(join(dir, 'registry.sqlite'));
  migrateRegistry(db);
  d1 = new NodeD1Database(db);
  // SAFETY: NodeD1Database implements the D1 surface DbBinding names (prepare/batch/exec); this suite checks it.
  binding = d1 as unknown as DbBinding;
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function orm() {
  return drizzle(binding as D1Database, { schema: { sessions, audit, meta } });
}

function status(queued: number, processed: number, lastSeq: number): QueueStatus {
  return { queued, processed, lastSeq, historyRows: processed, headAvailableAt: null };
}

async function count(table: string): Promise<number> {
  return (await d1.prepare(`SELECT COUNT(*) AS n FROM ${table}`).first<number>('n'))!;
}

describe('NodeD1Database through drizzle-orm/d1', () => {
  it('inserts and selects rows of the real schema, with JSON columns and SQL defaults', async () => {
    const before = Date.now();
    await orm().insert(audit).values([
      { at: 1, actor: 'admin', action: 'login', detail: { ip: '127.0.0.1', ok: true } },
      { at: 2, actor: 'admin', action: 'config', detail: null },
    ]);
    await orm().insert(meta).values({ key: 'instance', value: 'abc' });

    const rows = await orm().select().from(audit).orderBy(asc(audit.at)).all();
    expect(rows).toEqual([
      { id: 1, at: 1, actor: 'admin', action: 'login', detail: { ip: '127.0.0.1', ok: true } },
      { id: 2, at: 2, actor: 'admin', action: 'config', detail: null },
    ]);
    const fact = await orm().select().from(meta).where(eq(meta.key, 'instance')).get();
    expect(fact).toMatchObject({ key: 'instance', value: 'abc' });
    // updated_at defaults to unixepoch() * 1000 (second precision).
    expect(fact!.updatedAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
  });

  it('updates and deletes rows and reports what changed', async () => {
    await orm().insert(meta).values([
      { key: 'a', value: '1', updatedAt: 1 },
      { key: 'b', value: '2', updatedAt: 1 },
    ]);
    const updated = await orm().update(meta).set({ value: '3' }).where(eq(meta.key, 'a')).run();
    expect(updated.meta.changes).toBe(1);
    const returned = await orm().delete(meta).where(eq(meta.key, 'b')).returning();
    expect(returned).toEqual([{ key: 'b', value: '2', updatedAt: 1 }]);
    expect(await orm().select({ key: meta.key, value: meta.value }).from(meta).all()).toEqual([{ key: 'a', value: '3' }]);
  });

  it('records a session index row and lists sessions most recently updated first', async () => {
    await recordSessionIndex(binding, 'chat:a', status(1, 0, 1), 1_000);
    await recordSessionIndex(binding, 'chat:b', status(2, 0, 2), 3_000);
    await recordSessionIndex(binding, 'chat:c', status(0, 4, 4), 2_000);
    const listed = await listSessions(binding, 10);
    expect(listed.map((s) => s.key)).toEqual(['chat:b', 'chat:c', 'chat:a']);
    expect(listed[0]).toEqual({ key: 'chat:b', createdAt: 3_000, updatedAt: 3_000, queued: 2, processed: 0, lastSeq: 2 });
    expect((await listSessions(binding, 2)).map((s) => s.key)).toEqual(['chat:b', 'chat:c']);
  });

  it('never lets an older session snapshot overwrite a newer one', async () => {
    await recordSessionIndex(binding, 'chat:a', status(2, 3, 5), 5_000);
    // Arrives late: fewer processed, lower seq, earlier time.
    await recordSessionIndex(binding, 'chat:a', status(4, 1, 5), 4_000);
    expect(await listSessions(binding, 1)).toEqual([
      { key: 'chat:a', createdAt: 5_000, updatedAt: 5_000, queued: 2, processed: 3, lastSeq: 5 },
    ]);
    // Same processed count but a newer seq: a new item was queued, so its queued count wins.
    await recordSessionIndex(binding, 'chat:a', status(3, 3, 6), 6_000);
    // A newer snapshot replaces the counts; createdAt stays the first one.
    await recordSessionIndex(binding, 'chat:a', status(0, 6, 6), 7_000);
    expect(await listSessions(binding, 1)).toEqual([
      { key: 'chat:a', createdAt: 5_000, updatedAt: 7_000, queued: 0, processed: 6, lastSeq: 6 },
    ]);
  });

  it('takes the queued count of a snapshot with the same processed count and a newer seq', async () => {
    await recordSessionIndex(binding, 'chat:a', status(1, 2, 3), 1_000);
    await recordSessionIndex(binding, 'chat:a', status(2, 2, 4), 1_000);
    expect((await listSessions(binding, 1))[0]).toMatchObject({ queued: 2, processed: 2, lastSeq: 4 });
    // The reverse order keeps the newer one.
    await recordSessionIndex(binding, 'chat:a', status(1, 2, 3), 1_000);
    expect((await listSessions(binding, 1))[0]).toMatchObject({ queued: 2, processed: 2, lastSeq: 4 });
  });
});

describe('NodeD1Database', () => {
  it('applies a batch atomically: when a later statement fails, earlier ones are rolled back', async () => {
    const insert = d1.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    await expect(d1.batch([insert.bind('first', '1'), insert.bind('first', 'duplicate key')])).rejects.toThrow(
      /^D1_ERROR: .*UNIQUE constraint failed: meta\.key/,
    );
    expect(await count('meta')).toBe(0);
    // The connection is usable afterwards and a good batch commits every statement.
    const results = await d1.batch([insert.bind('a', '1'), insert.bind('b', '2'), d1.prepare('SELECT key FROM meta ORDER BY key')]);
    expect(results[2]!.results).toEqual([{ key: 'a' }, { key: 'b' }]);
    expect(await count('meta')).toBe(2);
  });

  it('applies a drizzle batch atomically', async () => {
    const o = orm();
    await expect(
      o.batch([o.insert(meta).values({ key: 'x', value: '1' }), o.insert(meta).values({ key: 'x', value: '2' })]),
    ).rejects.toThrow(/D1_ERROR/);
    expect(await count('meta')).toBe(0);
  });

  it('first(column) returns that column of the first row, null without rows, and fails on an unknown column', async () => {
    await d1.exec(`INSERT INTO meta (key, value) VALUES ('a', 'one'); INSERT INTO meta (key, value) VALUES ('b', 'two')`);
    expect(await d1.prepare('SELECT value FROM meta ORDER BY key').first('value')).toBe('one');
    expect(await d1.prepare('SELECT key, value FROM meta ORDER BY key DESC').first()).toEqual({ key: 'b', value: 'two' });
    expect(await d1.prepare(`SELECT value FROM meta WHERE key = ?`).bind('zzz').first('value')).toBeNull();
    await expect(d1.prepare('SELECT value FROM meta').first('nope')).rejects.toThrow(/^D1_ERROR: no such column: nope/);
  });

  it('raw({ columnNames: true }) keeps every column of a join that repeats a column name', async () => {
    await d1.exec(`INSERT INTO sessions (key, created_at, updated_at) VALUES ('chat:1', 1, 2);
      INSERT INTO meta (key, value) VALUES ('owner', 'chat:1')`);
    const stmt = d1.prepare('SELECT s.key, m.key, m.value FROM sessions s JOIN meta m ON m.value = s.key');
    expect(await stmt.raw({ columnNames: true })).toEqual([
      ['key', 'key', 'value'],
      ['chat:1', 'owner', 'chat:1'],
    ]);
    expect(await stmt.raw()).toEqual([['chat:1', 'owner', 'chat:1']]);
  });

  it('prefixes every error with D1_ERROR', async () => {
    await expect(d1.prepare('SELECT * FROM missing_table').all()).rejects.toThrow(/^D1_ERROR: no such table: missing_table/);
    await expect(d1.prepare('SELEC nonsense').run()).rejects.toThrow(/^D1_ERROR: /);
    await expect(d1.prepare('SELECT * FROM missing_table').raw()).rejects.toThrow(/^D1_ERROR: /);
    await expect(d1.exec('CREATE TABLE ok_table (a); INSERT INTO missing_table VALUES (1)')).rejects.toThrow(/^D1_ERROR: /);
    await expect(d1.batch([d1.prepare('SELECT * FROM missing_table')])).rejects.toThrow(/^D1_ERROR: no such table/);
  });

  it('returns BLOBs as arrays of byte values', async () => {
    await d1.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)');
    await d1.prepare('INSERT INTO blobs (data) VALUES (?)').bind(new Uint8Array([0, 1, 127, 255])).run();
    await d1.prepare('INSERT INTO blobs (data) VALUES (?)').bind(new Uint8Array([42]).buffer).run();
    expect(await d1.prepare('SELECT data FROM blobs WHERE id = 1').first('data')).toEqual([0, 1, 127, 255]);
    expect((await d1.prepare('SELECT data FROM blobs ORDER BY id').all()).results).toEqual([
      { data: [0, 1, 127, 255] },
      { data: [42] },
    ]);
    expect(await d1.prepare('SELECT id, data FROM blobs ORDER BY id').raw()).toEqual([
      [1, [0, 1, 127, 255]],
      [2, [42]],
    ]);
  });

  it('reports changes and last_row_id in run() meta', async () => {
    const first = await d1.prepare(`INSERT INTO audit (at, actor, action) VALUES (1, 'a', 'x')`).run();
    expect(first.meta).toMatchObject({ changes: 1, last_row_id: 1, changed_db: true, rows_written: 1 });
    const second = await d1.prepare(`INSERT INTO audit (at, actor, action) VALUES (2, 'a', 'y')`).run();
    expect(second.meta.last_row_id).toBe(2);
    const read = await d1.prepare('SELECT * FROM audit').all();
    expect(read.meta).toMatchObject({ changes: 0, rows_written: 0, changed_db: false, rows_read: 2 });
    // A read that starts with WITH writes nothing either, right after a write.
    await d1.prepare(`INSERT INTO audit (at, actor, action) VALUES (3, 'a', 'z')`).run();
    const cte = await d1.prepare('WITH recent AS (SELECT * FROM audit WHERE at > 1) SELECT COUNT(*) AS n FROM recent').all();
    expect(cte.results).toEqual([{ n: 2 }]);
    expect(cte.meta).toMatchObject({ changes: 0, rows_written: 0, changed_db: false });
    const returning = await d1.prepare(`DELETE FROM audit WHERE at = 1 RETURNING id`).all();
    expect(returning.results).toEqual([{ id: 1 }]);
    expect(returning.meta).toMatchObject({ changes: 1, rows_written: 1 });
  });
});

describe('openDatabase', () => {
  it('opens new and existing files in WAL with synchronous=NORMAL (a new file only skips syncs while still empty)', () => {
    const path = join(dir, 'object.sqlite');
    for (let i = 0; i < 2; i++) {
      const o = openDatabase(path);
      expect(o.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
      expect(o.prepare('PRAGMA synchronous').get()).toEqual({ synchronous: 1 });
      if (i === 0) o.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
      else expect(o.prepare('SELECT x FROM t').all()).toEqual([{ x: 1 }]);
      o.close();
    }
  });
});
