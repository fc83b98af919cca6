// The global caps on the real Node server: the global bounded queue (queue.globalCap) refuses producers
// with a precise, retryable error on every ingress (HTTP queue route, gateway chat.send) and admits again
// once items leave the queue; the global concurrency limit (queue.maxConcurrent = 1) lets every
// session's turns through, one at a time, with waiting sessions granted as slots free.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_TOKEN } from '../contract/constants.ts';
import { contractServerEnv } from './contract-server.ts';
import { spawnServer, tempDir, type ServerProcess } from './server-process.ts';

const dir = tempDir();
let server: ServerProcess;
const headers = { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' };

beforeAll(async () => {
  server = await spawnServer(contractServerEnv(dir.path, { EDGECLAW_QUEUE_GLOBAL_CAP: '3', EDGECLAW_MAX_CONCURRENT: '1', EDGECLAW_QUEUE_CAP: '10' }));
});

afterAll(async () => {
  server.child.kill('SIGTERM');
  await server.exited;
  dir.cleanup();
});

async function post(path: string, body: unknown): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(`${server.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

async function users(session: string): Promise<string[]> {
  const res = await fetch(`${server.url}/sessions/${session}/history?limit=1000`, { headers });
  return ((await res.json()) as { history: { role: string; key: string | null }[] }).history.filter((h) => h.role === 'user').map((h) => h.key ?? '');
}

describe('global caps (node)', () => {
  it('refuses beyond queue.globalCap with UNAVAILABLE and retryAfterMs, on HTTP and chat.send, and admits again after a drain', async () => {
    const held = { delayMs: 600_000 };
    expect((await post('/sessions/agent:caps:test:direct:a/queue', { text: 'a1', id: 'a1', ...held })).status).toBe(202);
    expect((await post('/sessions/agent:caps:test:direct:a/queue', { text: 'a2', id: 'a2', ...held })).status).toBe(202);
    expect((await post('/sessions/agent:caps:test:direct:b/queue', { text: 'b1', id: 'b1', ...held })).status).toBe(202);
    const over = await post('/sessions/agent:caps:test:direct:c/queue', { text: 'c1', id: 'c1' });
    expect(over.status).toBe(503);
    expect(over.body.error).toMatchObject({ code: 'UNAVAILABLE', retryable: true, details: { reason: 'global_queue_full', cap: 3 } });
    expect(over.body.error.retryAfterMs).toBeGreaterThan(0);
    expect(over.body.error.message).toContain('queue.globalCap 3');
    const rpc = await post('/rpc', { type: 'req', id: 'r1', method: 'chat.send', params: { sessionKey: 'agent:caps:test:direct:c', message: 'c1', idempotencyKey: 'c1' } });
    expect(rpc.body).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE', retryable: true, details: { reason: 'global_queue_full' } } });
    // A repeated key of an accepted message is still answered as a duplicate, not refused.
    expect((await post('/sessions/agent:caps:test:direct:a/queue', { text: 'a1', id: 'a1' })).body).toMatchObject({ status: 'duplicate', seq: 1 });
    // Nothing refused was queued.
    expect(await users('agent:caps:test:direct:c')).toEqual([]);
    // Aborting a's held items frees their room; c is admitted and processed.
    expect((await post('/sessions/agent:caps:test:direct:a/abort', {})).status).toBe(200);
    let admitted: { status: number; body: Record<string, any> } | null = null;
    for (let i = 0; i < 200 && admitted?.status !== 202; i++) {
      admitted = await post('/sessions/agent:caps:test:direct:c/queue', { text: 'c1', id: 'c1' });
      if (admitted.status !== 202) await new Promise((r) => setTimeout(r, 25));
    }
    expect(admitted?.status).toBe(202);
    for (let i = 0; i < 200 && (await users('agent:caps:test:direct:c')).length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(await users('agent:caps:test:direct:c')).toEqual(['c1']);
    await post('/sessions/agent:caps:test:direct:b/abort', {});
  });

  it('runs every session\'s turns under maxConcurrent = 1: waiting sessions are granted as slots free', async () => {
    const sessions = Array.from({ length: 6 }, (_, i) => `agent:caps:test:direct:conc${i}`);
    for (let round = 0; round < 2; round++) {
      await Promise.all(sessions.map(async (s) => {
        for (;;) {
          const r = await post(`/sessions/${s}/queue`, { text: `m${round}`, id: `${s}-m${round}` });
          if (r.status === 202 || r.status === 200) return;
          // The global cap (3) pushes back: retry after the hint, as a producer should.
          expect(r.body.error).toMatchObject({ code: 'UNAVAILABLE', details: { reason: 'global_queue_full' } });
          await new Promise((res) => setTimeout(res, 20));
        }
      }));
    }
    for (const s of sessions) {
      let keys: string[] = [];
      for (let i = 0; i < 400; i++) {
        keys = await users(s);
        if (keys.length >= 2) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(keys).toEqual([`${s}-m0`, `${s}-m1`]);
    }
  });
});
