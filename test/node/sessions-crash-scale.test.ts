// The crash test at full scale, through the gateway: 20 producers send 2,000 chat.send requests (POST /rpc,
// each with its idempotency key) to 50 sessions, retrying the same key on any failure and re-sending
// random earlier keys, while the server is SIGKILLed and restarted 5 times at random points of the
// stream. Afterwards each session's processed sequence equals its accepted sequence: in order, no
// duplicate, no loss. The agent is paused (record runner), so the test exercises the scheduler only.
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_TOKEN } from '../contract/constants.ts';
import { contractServerEnv } from './contract-server.ts';
import { CrashingServer, tempDir } from './server-process.ts';

const PRODUCERS = 20;
const MESSAGES = 2_000;
const SESSIONS = 50;
const CRASHES = 5;
const RETRY_SHARE = 0.1;

const dir = tempDir();
const serverEnv = contractServerEnv(dir.path, { EDGECLAW_QUEUE_CAP: '1000', EDGECLAW_QUEUE_DROP: 'new', EDGECLAW_AGENT_RUNNER: 'record' });
const server = new CrashingServer(serverEnv);
let acked = 0;

afterAll(async () => {
  await server.stop();
  dir.cleanup();
});

const headers = { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' };
let frameId = 0;

/** Sends chat.send until the gateway acknowledges it (started or deduplicated); returns its message seq. */
async function send(sessionKey: string, idempotencyKey: string, message: string): Promise<{ seq: number; status: string }> {
  for (;;) {
    await server.ready();
    try {
      const res = await fetch(`${server.url}/rpc`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ type: 'req', id: `f${++frameId}`, method: 'chat.send', params: { sessionKey, message, idempotencyKey } }),
      });
      const frame = (await res.json()) as { ok: boolean; payload?: { status: string; messageSeq: number } };
      if (frame.ok && frame.payload) return { seq: frame.payload.messageSeq, status: frame.payload.status };
    } catch {
      // refused or reset by the crash: retry the same key
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function userRows(session: string): Promise<{ seq: number | null; key: string | null }[]> {
  const res = await fetch(`${server.url}/sessions/${session}/history?limit=1000`, { headers });
  const body = (await res.json()) as { history: { seq: number | null; key: string | null; role: string }[] };
  return body.history.filter((h) => h.role === 'user');
}

describe('sessions at scale under SIGKILL (node, gateway chat.send)', () => {
  it('processes 2,000 messages from 20 producers in 50 sessions exactly once, in acceptance order, across 5 crashes', async () => {
    await server.start();
    const accepted = new Map<string, { seq: number; key: string }[]>();
    const sessionOf = (i: number) => `agent:scale:test:direct:s${i % SESSIONS}`;
    for (let s = 0; s < SESSIONS; s++) accepted.set(sessionOf(s), []);
    let next = 0;
    const producers = Array.from({ length: PRODUCERS }, async (_, p) => {
      const mine: { session: string; key: string; seq: number }[] = [];
      for (let i = next++; i < MESSAGES; i = next++) {
        const session = sessionOf(Math.floor(Math.random() * SESSIONS));
        const key = `p${p}-m${i}`;
        const { seq } = await send(session, key, `message ${i}`);
        accepted.get(session)!.push({ seq, key });
        mine.push({ session, key, seq });
        acked++;
        // A random retry of an earlier key is answered as that message, never queued again.
        if (Math.random() < RETRY_SHARE) {
          const earlier = mine[Math.floor(Math.random() * mine.length)]!;
          const again = await send(earlier.session, earlier.key, 'retry');
          expect(again.status).not.toBe('started');
          expect(again.seq).toBe(earlier.seq);
        }
      }
    });
    // Kill points are spread over the stream (random ack counts), whatever the machine's speed.
    const points = Array.from({ length: CRASHES }, () => Math.floor(MESSAGES * (0.05 + 0.9 * Math.random()))).sort((a, b) => a - b);
    const killer = (async () => {
      for (const at of points) {
        while (acked < at) await new Promise((r) => setTimeout(r, 5));
        await server.crash();
      }
    })();
    await Promise.all([...producers, killer]);
    let total = 0;
    for (const [session, list] of accepted) {
      total += list.length;
      const expected = [...list].sort((a, b) => a.seq - b.seq);
      expect(new Set(list.map((x) => x.seq)).size).toBe(list.length);
      let users: { seq: number | null; key: string | null }[] = [];
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        users = await userRows(session);
        if (users.length >= list.length) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(users.map((u) => u.key), session).toEqual(expected.map((x) => x.key));
      expect(users.map((u) => u.seq), session).toEqual(expected.map((x) => x.seq));
    }
    expect(total).toBe(MESSAGES);
  }, 180_000);
});
