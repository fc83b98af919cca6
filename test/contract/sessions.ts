/**
 * The sessions behaviour suite, written once and run against both hosts through the HTTP routes: run
 * ids and idempotency, drop policies at the cap, abort, interrupt, patch validation, history paging,
 * compaction and reset. Hosts run the record-only runner, so each processed item is one user turn.
 */
import { describe, expect, it } from 'vitest';
import { authed, uniqueSession, waitFor, type Harness } from './harness.ts';

interface Entry {
  id: number;
  seq: number | null;
  role: string;
  text: string;
}

async function post(h: Harness, path: string, body: Record<string, unknown>) {
  const res = await authed(h, path, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const enqueue = (h: Harness, s: string, body: Record<string, unknown>) => post(h, `/sessions/${s}/queue`, body);

async function page(h: Harness, s: string, query = 'limit=1000'): Promise<{ history: Entry[]; nextCursor: string | null }> {
  const res = await authed(h, `/sessions/${s}/history?${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as { history: Entry[]; nextCursor: string | null };
}

/** History once at least `n` rows are there. */
const settled = (h: Harness, s: string, n: number) =>
  waitFor(async () => {
    const rows = (await page(h, s)).history;
    return rows.length >= n ? rows : undefined;
  }, 20_000, `${n} history rows`);

async function snapshot(h: Harness, s: string) {
  return ((await (await authed(h, `/sessions/${s}`)).json()) as { session: Record<string, any> }).session;
}

/** Registers the suite; `harness` is read when tests run. The host's queue cap is h.queueCap. */
export function describeSessions(host: string, harness: () => Harness): void {
  describe(`sessions contract (${host})`, () => {
    it('gives each accepted message a run id and answers a repeated key with the same run and its state', async () => {
      const h = harness();
      const s = uniqueSession('runs');
      const first = await enqueue(h, s, { text: 'hello', id: 'k1' });
      expect(first).toMatchObject({ status: 202, body: { status: 'queued', seq: 1, runId: 'run-1', mode: 'steer' } });
      await settled(h, s, 1);
      // The user row is in history once the turn starts; the run's state is `done` once it ends.
      const again = await waitFor(async () => {
        const r = await enqueue(h, s, { text: 'hello', id: 'k1' });
        return r.body.state === 'running' ? undefined : r;
      }, 20_000, 'run-1 to end');
      expect(again).toMatchObject({ status: 200, body: { status: 'duplicate', seq: 1, runId: 'run-1', state: 'done' } });
    });

    it('drops the oldest queued message at the cap under `old` and reports the drop', async () => {
      const h = harness();
      const s = uniqueSession('old');
      expect((await post(h, `/sessions/${s}/patch`, { queueDrop: 'old' })).body.overrides).toEqual({ queueDrop: 'old' });
      await enqueue(h, s, { text: 'held', id: 'held', delayMs: 60_000 });
      for (let i = 2; i <= h.queueCap; i++) await enqueue(h, s, { text: `m${i}`, delayMs: 60_000 });
      const over = await enqueue(h, s, { text: 'newest' });
      expect(over).toMatchObject({ status: 202, body: { status: 'queued', dropped: [{ seq: 1, runId: 'run-1', key: 'held' }] } });
      expect((await enqueue(h, s, { text: 'held', id: 'held' })).body).toMatchObject({ status: 'duplicate', state: 'dropped' });
    });

    it('drops the oldest under `summarize` and injects one summary turn before the next processed message', async () => {
      const h = harness();
      const s = uniqueSession('sum');
      await post(h, `/sessions/${s}/patch`, { queueDrop: 'summarize' });
      await enqueue(h, s, { text: 'the dropped one', delayMs: 60_000 });
      for (let i = 2; i <= h.queueCap; i++) await enqueue(h, s, { text: `m${i}` });
      await enqueue(h, s, { text: 'last' });
      const rows = await settled(h, s, h.queueCap + 1);
      expect(rows[0]).toMatchObject({ role: 'system', text: '[1 queued message was dropped because the queue was full]\n• the dropped one' });
      expect(rows.slice(1).map((r) => r.text)).toEqual([...Array.from({ length: h.queueCap - 1 }, (_, i) => `m${i + 2}`), 'last']);
    });

    it('rejects the newest under `new` with QUEUE_FULL, never silently', async () => {
      const h = harness();
      const s = uniqueSession('new');
      await post(h, `/sessions/${s}/patch`, { queueDrop: 'new' });
      for (let i = 1; i <= h.queueCap; i++) await enqueue(h, s, { text: `m${i}`, delayMs: 60_000 });
      const over = await enqueue(h, s, { text: 'rejected' });
      expect(over).toMatchObject({ status: 429, body: { error: { code: 'QUEUE_FULL', retryable: true, details: { cap: h.queueCap } } } });
      expect((await snapshot(h, s)).queued).toBe(h.queueCap);
    });

    it('aborts every queued turn and reports which', async () => {
      const h = harness();
      const s = uniqueSession('abort');
      for (let i = 1; i <= 3; i++) await enqueue(h, s, { text: `m${i}`, id: `a${i}`, delayMs: 60_000 });
      const r = await post(h, `/sessions/${s}/abort`, {});
      expect(r.body).toMatchObject({ ok: true, activeAborted: null, aborted: [{ seq: 1, key: 'a1' }, { seq: 2 }, { seq: 3 }] });
      expect((await snapshot(h, s)).queued).toBe(0);
      expect((await enqueue(h, s, { text: 'm1', id: 'a1' })).body).toMatchObject({ status: 'duplicate', state: 'aborted' });
    });

    it('lets an interrupt message supersede older queued ones and run next', async () => {
      const h = harness();
      const s = uniqueSession('intr');
      await enqueue(h, s, { text: 'stale 1', delayMs: 60_000 });
      await enqueue(h, s, { text: 'stale 2', delayMs: 60_000 });
      const r = await enqueue(h, s, { text: 'do this now', queueMode: 'interrupt' });
      expect(r.body).toMatchObject({ status: 'queued', seq: 3, mode: 'interrupt', aborted: [{ seq: 1 }, { seq: 2 }] });
      expect((await settled(h, s, 1)).map((e) => e.text)).toEqual(['do this now']);
    });

    it('validates patch, abort, compact and history input with INVALID_REQUEST', async () => {
      const h = harness();
      const s = uniqueSession('val');
      expect((await post(h, `/sessions/${s}/patch`, { queueMode: 'sometimes' })).status).toBe(400);
      expect((await post(h, `/sessions/${s}/patch`, { surprise: true })).status).toBe(400);
      expect((await post(h, `/sessions/${s}/compact`, { keep: 0 })).status).toBe(400);
      expect((await enqueue(h, s, { text: 'x', queueMode: 'loud' })).status).toBe(400);
      expect((await authed(h, `/sessions/${s}/history?limit=1001`)).status).toBe(400);
      expect((await authed(h, `/sessions/${s}/history?cursor=bogus`)).status).toBe(400);
      const patched = await post(h, `/sessions/${s}/patch`, { queueMode: 'collect', model: 'fast' });
      expect(patched.body.overrides).toEqual({ queueMode: 'collect', model: 'fast' });
      expect((await post(h, `/sessions/${s}/patch`, { model: null })).body.overrides).toEqual({ queueMode: 'collect' });
      expect((await enqueue(h, s, { text: 'collected' })).body).toMatchObject({ mode: 'collect' });
    });

    it('pages history with a cursor, compacts on request and resets into a fresh window', async () => {
      const h = harness();
      const s = uniqueSession('page');
      const n = h.queueCap;
      for (let i = 1; i <= n; i++) await enqueue(h, s, { text: `m${i}` });
      await settled(h, s, n);
      const newest = await page(h, s, 'limit=2');
      expect(newest.history.map((e) => e.text)).toEqual([`m${n - 1}`, `m${n}`]);
      const older = await page(h, s, `limit=1000&cursor=${newest.nextCursor}`);
      expect(older.history.map((e) => e.text)).toEqual(Array.from({ length: n - 2 }, (_, i) => `m${i + 1}`));
      expect(older.nextCursor).toBeNull();
      expect((await post(h, `/sessions/${s}/compact`, { keep: 1 })).body).toEqual({ ok: true, folded: n - 1 });
      const compacted = (await page(h, s)).history;
      expect(compacted.map((e) => e.role)).toEqual(['summary', 'user']);
      expect(compacted[0]!.text).toMatch(new RegExp(`^\\[summary of ${n - 1} earlier messages\\]`));
      expect((await post(h, `/sessions/${s}/reset`, {})).body).toEqual({ ok: true, archived: 2, epoch: 1 });
      expect((await page(h, s)).history.map((e) => e.role)).toEqual(['system']);
    });
  });
}
