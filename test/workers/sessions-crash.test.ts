// Crash scenarios on real workerd: the pool's abortAllDurableObjects() tears down every object instance
// (as an eviction or a crash of the isolate does) while a session is mid-run; after the object restarts,
// every accepted message is processed exactly once, in acceptance order.
import { abortAllDurableObjects, env, runInDurableObject } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { SessionDO } from '../../durable/session-do.ts';
import { SessionQueue } from '../../src/scheduler/session-queue.ts';
import { TEST_QUEUE_CAP, TEST_TOKEN } from '../contract/constants.ts';
import { useWorkersHarness } from './contract-harness.ts';

useWorkersHarness();

const headers = { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' };
const call = (path: string, init?: RequestInit) => exports.default.fetch(new Request(`https://edgeclaw.test${path}`, { headers, ...init }));

interface Row {
  seq: number | null;
  key: string | null;
  role: string;
  text: string;
}

async function history(session: string): Promise<Row[]> {
  const res = await call(`/sessions/${session}/history?limit=1000`);
  return ((await res.json()) as { history: Row[] }).history;
}

/** User rows once `n` of them are in history (alarms run on their own, real timers). */
async function processed(session: string, n: number): Promise<Row[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const users = (await history(session)).filter((r) => r.role === 'user');
    if (users.length >= n || Date.now() > deadline) return users;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Enqueues until the session acknowledges the key (queued or duplicate); a refusal or an abort retries. */
async function deliver(session: string, id: string, text: string): Promise<number> {
  for (;;) {
    try {
      const res = await call(`/sessions/${session}/queue`, { method: 'POST', body: JSON.stringify({ text, id }) });
      const body = (await res.json()) as { status?: string; seq?: number };
      if (body.status === 'queued' || body.status === 'duplicate') return body.seq!;
    } catch {
      // the object was aborted under this request: retry the same key
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('sessions under Durable Object aborts (workers)', () => {
  it('resumes a turn that was running when its object was aborted, once, and keeps the order', async () => {
    const session = 'agent:crash:workers:direct:midrun';
    const stub = env.SESSIONS.getByName(session);
    await stub.ping();
    // Leave the object exactly as a crash mid-turn does: three accepted items, the first one running
    // (its run `running`, its item kept in `inflight`, its user row already in history), no reply yet.
    await runInDurableObject(stub, (_instance: SessionDO, state) => {
      const q = new SessionQueue(state.storage.sql, { queueCap: TEST_QUEUE_CAP, historyCap: 1000, historyMaxBytes: 1 << 20, toolResultMaxBytes: 16_384, idempotencyCap: 5000, idempotencyTtlMs: 86_400_000 });
      state.storage.transactionSync(() => {
        q.bindSessionKey(session);
        for (const k of ['k1', 'k2', 'k3']) q.enqueue({ text: `message ${k}`, key: k, queueMode: 'followup' }, Date.now());
        q.startTurn([1], Date.now());
      });
      expect(q.run('run-1')).toMatchObject({ state: 'running' });
    });
    await abortAllDurableObjects();
    // The next event constructs a fresh instance, which recovers the interrupted turn and drains.
    const users = await processed(session, 3);
    expect(users.map((u) => u.key)).toEqual(['k1', 'k2', 'k3']);
    expect(users.map((u) => u.seq)).toEqual([1, 2, 3]);
    const snap = (await (await call(`/sessions/${session}`)).json()) as { session: { queued: number; activeRunId: string | null } };
    expect(snap.session).toMatchObject({ queued: 0, activeRunId: null });
    // The repeated key is still the same, finished run (resumed once, then done: not interrupted).
    const again = (await (await call(`/sessions/${session}/queue`, { method: 'POST', body: JSON.stringify({ text: 'again', id: 'k1' }) })).json()) as Record<string, unknown>;
    expect(again).toMatchObject({ status: 'duplicate', seq: 1, runId: 'run-1', state: 'done' });
  });

  it('processes every accepted message exactly once, in order, while all objects are aborted at random points', async () => {
    const sessions = ['a', 'b', 'c'].map((s) => `agent:crash:workers:direct:${s}`);
    const accepted = new Map(sessions.map((s) => [s, [] as { seq: number; id: string }[]]));
    let acked = 0;
    const producers = sessions.map(async (session, p) => {
      for (let m = 0; m < 25; m++) {
        const id = `p${p}-m${m}`;
        accepted.get(session)!.push({ seq: await deliver(session, id, `message ${m}`), id });
        acked++;
        if (Math.random() < 0.2) {
          const list = accepted.get(session)!;
          const earlier = list[Math.floor(Math.random() * list.length)]!;
          expect(await deliver(session, earlier.id, 'retry')).toBe(earlier.seq);
        }
      }
    });
    const aborter = (async () => {
      const points = Array.from({ length: 5 }, () => Math.floor(75 * Math.random())).sort((a, b) => a - b);
      for (const at of points) {
        while (acked < at) await new Promise((r) => setTimeout(r, 2));
        await abortAllDurableObjects();
      }
    })();
    await Promise.all([...producers, aborter]);
    for (const [session, list] of accepted) {
      expect(list.map((x) => x.seq)).toEqual([...list.map((x) => x.seq)].sort((a, b) => a - b));
      const users = await processed(session, list.length);
      expect(users.map((u) => u.key)).toEqual(list.map((x) => x.id));
      expect(users.map((u) => u.seq)).toEqual(list.map((x) => x.seq));
    }
  });
});
