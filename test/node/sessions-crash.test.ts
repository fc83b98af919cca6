// Crash test on the real Node server: producers send messages with idempotency keys (and random retries
// of the same key) to several sessions while the server is SIGKILLed and restarted at random points.
// Afterwards each session's processed sequence equals its accepted sequence: in order, no dup, no loss.
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_TOKEN } from '../contract/constants.ts';
import { CrashingServer, tempDir } from './server-process.ts';
import { contractServerEnv } from './contract-server.ts';

const SESSIONS = 12;
const MESSAGES = 30;
const CRASHES = 4;
const dir = tempDir();
const serverEnv = contractServerEnv(dir.path, { EDGECLAW_QUEUE_CAP: '1000', EDGECLAW_QUEUE_DROP: 'new', EDGECLAW_MAX_CONCURRENT: '4' });
const server = new CrashingServer(serverEnv);

afterAll(async () => {
  await server.stop();
  dir.cleanup();
});

const headers = { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' };

/** Sends one message until the server acknowledges it (queued or duplicate); returns its seq. */
async function deliver(session: string, id: string, text: string): Promise<number> {
  for (;;) {
    await server.ready();
    try {
      const res = await fetch(`${server.url}/sessions/${session}/queue`, { method: 'POST', headers, body: JSON.stringify({ text, id }) });
      const body = (await res.json()) as { status?: string; seq?: number };
      if (body.status === 'queued' || body.status === 'duplicate') return body.seq!;
    } catch {
      // connection refused or reset by the crash: retry the same key
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function history(session: string): Promise<{ seq: number | null; key: string | null; role: string }[]> {
  const res = await fetch(`${server.url}/sessions/${session}/history?limit=1000`, { headers });
  return ((await res.json()) as { history: { seq: number | null; key: string | null; role: string }[] }).history;
}

describe('sessions under SIGKILL (node)', () => {
  it('processes every accepted message exactly once, in acceptance order, across crashes', async () => {
    await server.start();
    const accepted = new Map<string, { seq: number; id: string }[]>();
    const producers = Array.from({ length: SESSIONS }, async (_, s) => {
      const session = `agent:crash:test:direct:s${s}`;
      const list: { seq: number; id: string }[] = [];
      accepted.set(session, list);
      for (let m = 0; m < MESSAGES; m++) {
        const id = `s${s}-m${m}`;
        const seq = await deliver(session, id, `message ${m}`);
        list.push({ seq, id });
        // A random retry of an earlier key must be acknowledged as its original seq.
        if (Math.random() < 0.2) {
          const earlier = list[Math.floor(Math.random() * list.length)]!;
          expect(await deliver(session, earlier.id, 'retry')).toBe(earlier.seq);
        }
      }
    });
    const killer = (async () => {
      for (let i = 0; i < CRASHES; i++) {
        await new Promise((r) => setTimeout(r, 150 + Math.random() * 400));
        await server.crash();
      }
    })();
    await Promise.all([...producers, killer]);
    for (const [session, list] of accepted) {
      // Acceptance order is seq order (each producer waits for its ack before the next message).
      expect(list.map((x) => x.seq)).toEqual([...list.map((x) => x.seq)].sort((a, b) => a - b));
      const deadline = Date.now() + 30_000;
      let users: { seq: number | null; key: string | null }[] = [];
      while (Date.now() < deadline) {
        users = (await history(session)).filter((h) => h.role === 'user');
        if (users.length >= list.length) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(users.map((u) => u.key)).toEqual(list.map((x) => x.id));
      expect(users.map((u) => u.seq)).toEqual(list.map((x) => x.seq));
    }
  });
});
