/**
 * The foundation behaviour suite, written once and run against both hosts: health, readiness, auth,
 * the SessionDO FIFO with dedupe and cap, and queue durability across a crash.
 */
import { describe, expect, it } from 'vitest';
import { authed, uniqueSession, waitFor, type Harness } from './harness.ts';

interface HistoryBody {
  ok: boolean;
  history: { seq: number; key: string | null; text: string }[];
}

async function enqueue(h: Harness, session: string, body: Record<string, unknown>) {
  const res = await authed(h, `/sessions/${session}/queue`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function history(h: Harness, session: string): Promise<HistoryBody['history']> {
  const res = await authed(h, `/sessions/${session}/history?limit=500`);
  expect(res.status).toBe(200);
  return ((await res.json()) as HistoryBody).history;
}

/** Registers the suite; `harness` is read when tests run (hosts start in beforeAll). */
export function describeFoundation(host: string, harness: () => Harness): void {
  describe(`foundation contract (${host})`, () => {
    it('answers /healthz with live status', async () => {
      const res = await harness().fetch('/healthz');
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ ok: true, status: 'live' });
    });

    it('answers /readyz with ready once storage is migrated and objects answer', async () => {
      const res = await harness().fetch('/readyz');
      expect(await res.json()).toEqual({ ready: true });
      expect(res.status).toBe(200);
    });

    it('answers an unknown path with the JSON 404, also under route families loaded on first use', async () => {
      const h = harness();
      for (const [method, path] of [['GET', '/nope'], ['GET', '/rpc'], ['POST', '/status'], ['GET', '/status/x'], ['GET', '/control/nope.js'], ['GET', '/signal/default/x'], ['GET', '/chat/nope']] as const) {
        const res = await h.fetch(path, { method });
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(await res.json()).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: `no route for ${method} ${path}` } });
      }
      const methods = await h.fetch('/rpc/methods');
      expect(methods.status).toBe(200);
      expect(((await methods.json()) as { methods: unknown[] }).methods.length).toBeGreaterThan(10);
    });

    it('refuses control routes without the admin token, and with a wrong one', async () => {
      const h = harness();
      const none = await h.fetch('/sessions');
      expect(none.status).toBe(401);
      expect(((await none.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
      const wrong = await h.fetch('/sessions', { headers: { authorization: `Bearer ${h.token}x` } });
      expect(wrong.status).toBe(401);
      const right = await authed(h, '/sessions');
      expect(right.status).toBe(200);
    });

    it('rejects malformed bodies and session keys with INVALID_REQUEST naming the problem', async () => {
      const h = harness();
      const session = uniqueSession('bad');
      const notJson = await authed(h, `/sessions/${session}/queue`, { method: 'POST', body: '{"text":' });
      expect(notJson.status).toBe(400);
      expect(((await notJson.json()) as { error: { message: string } }).error.message).toBe('malformed JSON body');
      const extra = await enqueue(h, session, { text: 'x', surprise: 1 });
      expect(extra.status).toBe(400);
      expect(JSON.stringify(extra.body)).toContain('surprise');
      const badKey = await authed(h, `/sessions/${encodeURIComponent('bad key!')}/queue`, { method: 'POST', body: '{"text":"x"}' });
      expect(badKey.status).toBe(400);
      expect(((await badKey.json()) as { error: { message: string } }).error.message).toMatch(/^invalid session key/);
      expect(await history(h, session)).toEqual([]);
    });

    it('processes queued items exactly once, in arrival order, and acknowledges duplicates', async () => {
      const h = harness();
      const session = uniqueSession('fifo');
      const texts = Array.from({ length: h.queueCap }, (_, i) => `message ${i + 1}`);
      for (const [i, text] of texts.entries()) {
        const r = await enqueue(h, session, { text, id: `m${i + 1}` });
        expect(r.status).toBe(202);
        expect(r.body).toMatchObject({ status: 'queued', seq: i + 1 });
      }
      const dup = await enqueue(h, session, { text: 'message 1', id: 'm1' });
      expect(dup.status).toBe(200);
      expect(dup.body).toMatchObject({ status: 'duplicate', seq: 1 });
      const done = await waitFor(async () => {
        const rows = await history(h, session);
        return rows.length >= texts.length ? rows : undefined;
      }, 20_000, 'all items processed');
      expect(done.map((r) => r.text)).toEqual(texts);
      expect(done.map((r) => r.seq)).toEqual(texts.map((_, i) => i + 1));
    });

    it('rejects an item beyond the queue cap with QUEUE_FULL and keeps what it accepted', async () => {
      const h = harness();
      const session = uniqueSession('cap');
      for (let i = 1; i <= h.queueCap; i++) {
        expect((await enqueue(h, session, { text: `held ${i}`, delayMs: 60_000 })).status).toBe(202);
      }
      const over = await enqueue(h, session, { text: 'one too many', delayMs: 60_000 });
      expect(over.status).toBe(429);
      expect(over.body).toMatchObject({ ok: false, error: { code: 'QUEUE_FULL', retryable: true, details: { cap: h.queueCap } } });
      const snap = (await (await authed(h, `/sessions/${session}`)).json()) as { session: { queued: number; pending: { text: string }[] } };
      expect(snap.session.queued).toBe(h.queueCap);
      expect(snap.session.pending.map((p) => p.text)).toEqual(Array.from({ length: h.queueCap }, (_, i) => `held ${i + 1}`));
    });

    it('keeps queued items across a crash and processes each exactly once, in order', async () => {
      const h = harness();
      const session = uniqueSession('crash');
      const texts = Array.from({ length: h.queueCap }, (_, i) => `durable ${i + 1}`);
      for (const [i, text] of texts.entries()) {
        expect((await enqueue(h, session, { text, id: `d${i}`, delayMs: 1_500 })).status).toBe(202);
      }
      expect(await history(h, session)).toEqual([]);
      await h.crashAndRestart();
      const done = await waitFor(async () => {
        const rows = await history(h, session);
        return rows.length >= texts.length ? rows : undefined;
      }, 30_000, 'items processed after restart');
      expect(done.map((r) => r.text)).toEqual(texts);
      // Redelivery after the crash must not duplicate: ids stay deduped too.
      const again = await enqueue(h, session, { text: 'durable 1', id: 'd0' });
      expect(again.body).toMatchObject({ status: 'duplicate', seq: 1 });
      await new Promise((r) => setTimeout(r, 300));
      expect((await history(h, session)).map((r) => r.text)).toEqual(texts);
    });

    it('lists sessions from the global registry after their objects commit', async () => {
      const h = harness();
      const session = uniqueSession('index');
      await enqueue(h, session, { text: 'indexed' });
      const row = await waitFor(async () => {
        const res = await authed(h, '/sessions?limit=500');
        const body = (await res.json()) as { sessions: { key: string; processed: number }[] };
        return body.sessions.find((s) => s.key === session && s.processed === 1);
      }, 20_000, 'session index row');
      expect(row).toMatchObject({ key: session, processed: 1 });
    });
  });
}
