/**
 * The gateway protocol contract, run against both hosts with a real WebSocket client: handshake,
 * hello-ok shape, auth failures, granted scopes, the scope matrix, frame limits, fuzzing, and POST /rpc.
 */
import { describe, expect, it } from 'vitest';
import { connectParams, FrameClient, type Frame } from './ws-client.ts';
import { READ_TOKEN, TEST_HOOKS_TOKEN, TEST_TOKEN } from './constants.ts';

/** What a host must offer the gateway suite. */
export interface GatewayHarness {
  /** Opens a WebSocket to `/` (optionally as `remote`, for the auth limiter). */
  open(remote?: string): Promise<FrameClient>;
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

async function handshake(h: GatewayHarness, token: string, scopes?: string[]): Promise<{ client: FrameClient; hello: Frame }> {
  const client = await h.open();
  const challenge = await client.next();
  expect(challenge).toMatchObject({ type: 'event', event: 'connect.challenge' });
  const hello = await client.req('connect', connectParams({ token }, scopes));
  return { client, hello };
}

/** Registers the suite. */
export function describeGateway(host: string, harness: () => GatewayHarness): void {
  describe(`gateway contract (${host})`, () => {
    it('sends connect.challenge first, then hello-ok with the full required shape', async () => {
      const h = harness();
      const client = await h.open();
      const challenge = await client.next();
      expect(challenge.type).toBe('event');
      expect(challenge.event).toBe('connect.challenge');
      expect(challenge.seq).toBeUndefined();
      expect(challenge.payload.nonce).toMatch(/^[0-9a-f-]{36}$/);
      expect(typeof challenge.payload.ts).toBe('number');
      const res = await client.req('connect', connectParams({ token: TEST_TOKEN }, ['operator.read']));
      expect(res.ok).toBe(true);
      const hello = res.payload;
      expect(hello).toMatchObject({ type: 'hello-ok', protocol: 4, auth: { role: 'operator', scopes: ['operator.read'] } });
      expect(Object.keys(hello).sort()).toEqual(['auth', 'features', 'policy', 'protocol', 'server', 'snapshot', 'type']);
      expect(hello.server).toMatchObject({ version: expect.any(String), connId: expect.any(String) });
      expect(hello.snapshot).toMatchObject({ presence: expect.any(Array), stateVersion: { presence: 0, health: 0 }, uptimeMs: expect.any(Number), sessionDefaults: { mainSessionKey: 'agent:main:main' } });
      expect(hello.policy).toMatchObject({ maxPayload: expect.any(Number), maxBufferedBytes: expect.any(Number), tickIntervalMs: expect.any(Number) });
      const listed = (await (await h.fetch('/rpc/methods')).json()) as { methods: { name: string }[] };
      expect(hello.features.methods).toEqual(listed.methods.map((m) => m.name).sort());
      expect(hello.features.methods).toEqual(expect.arrayContaining(['health', 'status', 'system-presence', 'sessions.list', 'chat.send', 'agent']));
      const health = await client.req('health', {});
      expect(health).toMatchObject({ ok: true, payload: { ok: true, defaultAgentId: 'main', agents: expect.any(Array), sessions: { count: expect.any(Number) } } });
      client.ws.close(1000, 'done');
    });

    it('broadcasts presence when operators connect, with per-socket event seq', async () => {
      const h = harness();
      const watcher = (await handshake(h, TEST_TOKEN, ['operator.read'])).client;
      const other = (await handshake(h, TEST_TOKEN, ['operator.read'])).client;
      const event = await watcher.next((f) => f.event === 'presence');
      expect(event.seq).toBeGreaterThanOrEqual(1);
      expect(event.payload.presence[0]).toMatchObject({ host: 'edgeclaw', reason: 'self' });
      expect(event.payload.presence.length).toBeGreaterThanOrEqual(3);
      other.ws.close(1000);
      const after = await watcher.next((f) => f.event === 'presence');
      expect(after.seq).toBeGreaterThan(event.seq!);
      watcher.ws.close(1000);
    });

    it('logs.tail returns recent lines where the host keeps them, and UNAVAILABLE where it does not', async () => {
      const { client } = await handshake(harness(), TEST_TOKEN, ['operator.read']);
      const res = await client.req('logs.tail', { limit: 5 });
      if (res.ok) {
        expect(res.payload).toMatchObject({ cursor: expect.any(Number), lines: expect.any(Array) });
        expect(res.payload.lines.length).toBeLessThanOrEqual(5);
      } else {
        expect(res.error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('wrangler tail') });
      }
      client.ws.close(1000);
    });

    it('manages sessions over the socket: patch, describe, preview, abort, compact and reset need their scopes', async () => {
      const h = harness();
      const writer = (await handshake(h, TEST_TOKEN, ['operator.write'])).client;
      const admin = (await handshake(h, TEST_TOKEN, ['operator.admin'])).client;
      const key = `agent:main:gwsess:${crypto.randomUUID().slice(0, 8)}`;
      expect((await writer.req('chat.send', { sessionKey: key, message: 'first', idempotencyKey: `k-${key}` })).ok).toBe(true);
      const patched = await writer.req('sessions.patch', { key, model: 'fake/echo', queueMode: 'followup' });
      expect(patched.payload).toMatchObject({ ok: true, key, entry: { model: 'fake/echo', queueMode: 'followup' } });
      const changed = await writer.next((f) => f.event === 'sessions.changed' && f.payload.sessionKey === key);
      expect(changed.payload.reason).toBe('patch');
      expect((await writer.req('sessions.describe', { key })).payload.entry).toMatchObject({ key, model: 'fake/echo' });
      const preview = await writer.req('sessions.preview', { keys: [key], limit: 3 });
      expect(preview.payload.previews[0]).toMatchObject({ key, status: 'ok' });
      expect((await writer.req('chat.abort', { sessionKey: key })).payload).toMatchObject({ ok: true });
      expect((await writer.req('sessions.reset', { key })).error).toMatchObject({ code: 'FORBIDDEN', details: { missingScope: 'operator.admin' } });
      expect((await admin.req('sessions.compact', { key })).payload).toMatchObject({ ok: true, key });
      expect((await admin.req('sessions.reset', { key })).payload).toMatchObject({ ok: true, key });
      const models = await writer.req('models.list', {});
      expect(models.payload.models.length).toBeGreaterThan(5);
      expect(JSON.stringify(models.payload)).not.toMatch(/apiKey/i);
      expect((await writer.req('tools.catalog', {})).payload.tools.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(['web_fetch', 'sessions_send', 'memory']));
      writer.ws.close(1000);
      admin.ws.close(1000);
    });

    it('rejects a first frame that is not connect with INVALID_REQUEST and close 1008', async () => {
      const client = await harness().open();
      await client.next();
      const res = await client.req('health', {});
      expect(res.error).toEqual({ code: 'INVALID_REQUEST', message: 'invalid handshake: first request must be connect' });
      expect((await client.closed()).code).toBe(1008);
    });

    it('rejects a wrong token with AUTH_TOKEN_MISMATCH and a missing one with AUTH_TOKEN_MISSING, closing 1008', async () => {
      const h = harness();
      const wrong = await h.open('198.51.100.1');
      await wrong.next();
      const bad = await wrong.req('connect', connectParams({ token: `${TEST_TOKEN}x` }));
      expect(bad.error.code).toBe('INVALID_REQUEST');
      expect(bad.error.message).toMatch(/^unauthorized: gateway token mismatch/);
      expect(bad.error.details).toMatchObject({ code: 'AUTH_TOKEN_MISMATCH', authReason: 'token_mismatch' });
      expect((await wrong.closed()).code).toBe(1008);
      const none = await h.open('198.51.100.1');
      await none.next();
      const missing = await none.req('connect', connectParams({}));
      expect(missing.error.details.code).toBe('AUTH_TOKEN_MISSING');
      expect((await none.closed()).code).toBe(1008);
    });

    it('closes with 1002 on protocol mismatch, naming the expected protocol', async () => {
      const client = await harness().open();
      await client.next();
      const res = await client.req('connect', { ...connectParams({ token: TEST_TOKEN }), minProtocol: 5, maxProtocol: 6 });
      expect(res.error).toMatchObject({ code: 'INVALID_REQUEST', message: 'protocol mismatch', details: { code: 'PROTOCOL_MISMATCH', expectedProtocol: 4 } });
      expect((await client.closed()).code).toBe(1002);
    });

    it('grants only what the credential allows: a read-only token asking for admin gets read', async () => {
      const { client, hello } = await handshake(harness(), READ_TOKEN, ['operator.admin', 'operator.read', 'operator.write']);
      expect(hello.payload.auth.scopes).toEqual(['operator.read']);
      const denied = await client.req('chat.send', { sessionKey: 'main', message: 'x', idempotencyKey: 'never' });
      expect(denied.error).toEqual({ code: 'FORBIDDEN', message: 'missing scope: operator.write', details: { code: 'MISSING_SCOPE', missingScope: 'operator.write', requiredScopes: ['operator.write'] } });
      client.ws.close(1000);
    });

    it.each([
      ['operator.read', 'health', true],
      ['operator.read', 'sessions.list', true],
      ['operator.read', 'chat.history', true],
      ['operator.read', 'agent.wait', false],
      ['operator.write', 'health', true],
      ['operator.write', 'agent.wait', true],
      ['operator.approvals', 'health', false],
      ['operator.pairing', 'status', false],
      ['operator.admin', 'system.info', true],
      ['operator.approvals', 'exec.approval.list', true],
      ['operator.write', 'exec.approval.list', false],
      ['operator.read', 'exec.approval.list', false],
    ])('scope matrix: %s calling %s is allowed=%s', async (scope, method, allowed) => {
      const { client, hello } = await handshake(harness(), TEST_TOKEN, [scope]);
      expect(hello.payload.auth.scopes).toEqual([scope]);
      const params = method === 'chat.history' ? { sessionKey: 'main' } : method === 'agent.wait' ? { runId: 'missing-run', timeoutMs: 0 } : {};
      const res = await client.req(method, params);
      if (allowed) expect(res.error?.details?.code).not.toBe('MISSING_SCOPE');
      else expect(res.error).toMatchObject({ code: 'FORBIDDEN', details: { code: 'MISSING_SCOPE' } });
      client.ws.close(1000);
    });

    it('answers unknown methods with the exact reference message, and admin-prefixed ones need admin', async () => {
      const { client } = await handshake(harness(), TEST_TOKEN, ['operator.write']);
      expect((await client.req('no.such.method', {})).error).toEqual({ code: 'INVALID_REQUEST', message: 'unknown method: no.such.method' });
      const params = await client.req('health', { unexpected: true });
      expect(params.error.code).toBe('INVALID_REQUEST');
      expect(params.error.message).toMatch(/^invalid health params: /);
      client.ws.close(1000);
    });

    it('closes 1009 on an oversize frame before auth, and 1003 on a binary frame', async () => {
      const h = harness();
      const big = await h.open();
      await big.next();
      big.ws.send(JSON.stringify({ type: 'req', id: '1', method: 'connect', params: { pad: 'x'.repeat(70_000) } }));
      expect((await big.closed()).code).toBe(1009);
      const bin = await h.open();
      await bin.next();
      bin.ws.send(new Uint8Array([1, 2, 3]));
      expect((await bin.closed()).code).toBe(1003);
    });

    it('closes 1008 on a frame that is not JSON', async () => {
      const client = await harness().open();
      await client.next();
      client.ws.send('{not json');
      expect((await client.closed()).code).toBe(1008);
    });

    it('survives 1000 mutated frames: each is answered with an error or the socket closes cleanly', async () => {
      const h = harness();
      let seed = 42;
      const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
      const base = [
        { type: 'req', id: 'x', method: 'health', params: {} },
        { type: 'req', id: 'x', method: 'chat.send', params: { sessionKey: 'main', message: 'hi', idempotencyKey: 'k' } },
        { type: 'req', id: 'x', method: 'sessions.list', params: { limit: 5 } },
      ];
      const mutate = (i: number): string => {
        const frame = structuredClone(base[i % base.length]!) as Record<string, unknown>;
        const r = rand();
        if (r < 0.15) delete frame.type;
        else if (r < 0.3) frame.id = rand() < 0.5 ? 7 : '';
        else if (r < 0.45) frame.params = rand() < 0.5 ? 'str' : [1, 2];
        else if (r < 0.55) frame.extra = true;
        else if (r < 0.65) frame.method = `m${Math.floor(rand() * 1e6)}`;
        else if (r < 0.75) (frame.params as Record<string, unknown>).junk = { deep: [null, -1] };
        else if (r < 0.85) return JSON.stringify(frame).slice(0, Math.floor(rand() * 30));
        else frame.id = `${i}`;
        return JSON.stringify(frame);
      };
      let client = (await handshake(h, TEST_TOKEN, ['operator.read'])).client;
      let answered = 0;
      let closes = 0;
      for (let i = 0; i < 1000; i++) {
        if (client.isClosed) {
          closes++;
          client = (await handshake(h, TEST_TOKEN, ['operator.read'])).client;
        }
        const text = mutate(i);
        client.ws.send(text);
        let parsed: { id?: unknown } | null = null;
        try {
          parsed = JSON.parse(text) as { id?: unknown };
        } catch {
          parsed = null;
        }
        if (parsed && typeof parsed.id === 'string' && parsed.id.length > 0) {
          const id = parsed.id;
          const res = await Promise.race([client.next((f) => f.type === 'res' && f.id === id), client.closed().then(() => null)]);
          if (res) answered++;
        } else {
          const closed = await client.closed();
          expect([1008, 1009]).toContain(closed.code);
        }
      }
      expect(answered + closes).toBeGreaterThan(500);
      client.ws.close(1000);
      const after = await handshake(h, TEST_TOKEN, ['operator.read']);
      expect((await after.client.req('health', {})).ok).toBe(true);
      after.client.ws.close(1000);
    });

    it('keeps /v1 closed: 401 without a token, 404 while the endpoint is disabled', async () => {
      const h = harness();
      expect((await h.fetch('/v1/models')).status).toBe(401);
      expect((await h.fetch('/v1/chat/completions', { method: 'POST', body: '{}' })).status).toBe(401);
      expect((await h.fetch('/v1/models', { headers: { authorization: `Bearer ${TEST_TOKEN}` } })).status).toBe(404);
    });

    it('POST /rpc needs a bearer token, applies the same scopes, and returns the res frame', async () => {
      const h = harness();
      const body = JSON.stringify({ type: 'req', id: 'r1', method: 'health', params: {} });
      const unauth = await h.fetch('/rpc', { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      expect(unauth.status).toBe(401);
      const ok = await h.fetch('/rpc', { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${READ_TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ type: 'res', id: 'r1', ok: true, payload: { ok: true } });
      const denied = await h.fetch('/rpc', {
        method: 'POST',
        body: JSON.stringify({ type: 'req', id: 'r2', method: 'chat.send', params: { sessionKey: 'main', message: 'x', idempotencyKey: 'k2' } }),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${READ_TOKEN}` },
      });
      expect(denied.status).toBe(403);
      expect(await denied.json()).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', details: { code: 'MISSING_SCOPE', missingScope: 'operator.write' } } });
      expect((await h.fetch('/status')).status).toBe(401);
      const status = await h.fetch('/status', { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
      expect(await status.json()).toMatchObject({ ok: true, sessions: expect.any(Number) });
    });

    it('chat.send returns the idempotency key as runId and reports a repeat as already known', async () => {
      const { client } = await handshake(harness(), TEST_TOKEN, ['operator.write']);
      const key = `run-${crypto.randomUUID()}`;
      const session = `agent:main:gw:${key}`;
      const first = await client.req('chat.send', { sessionKey: session, message: 'hello', idempotencyKey: key });
      expect(first.payload).toMatchObject({ runId: key, status: 'started' });
      const again = await client.req('chat.send', { sessionKey: session, message: 'hello', idempotencyKey: key });
      expect(again.payload.runId).toBe(key);
      expect(['in_flight', 'ok']).toContain(again.payload.status);
      client.ws.close(1000);
    });

    it('guards /hooks with their own token: none or wrong → 401, query token → 400, right → queued', async () => {
      const h = harness();
      const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
        h.fetch(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
      expect((await post('/hooks/wake', { text: 'x' })).status).toBe(401);
      expect((await post('/hooks/wake', { text: 'x' }, { authorization: `Bearer ${TEST_TOKEN}` })).status).toBe(401);
      expect((await post(`/hooks/wake?token=${TEST_HOOKS_TOKEN}`, { text: 'x' })).status).toBe(400);
      const wake = await post('/hooks/wake', { text: 'build finished' }, { authorization: `Bearer ${TEST_HOOKS_TOKEN}` });
      expect(wake.status).toBe(200);
      expect(await wake.json()).toEqual({ ok: true, mode: 'now', eventOutcome: 'queued' });
      const key = `hook-run-${crypto.randomUUID()}`;
      const first = await post('/hooks/agent', { message: 'summarize the build' }, { 'x-openclaw-token': TEST_HOOKS_TOKEN, 'idempotency-key': key });
      expect(await first.json()).toMatchObject({ ok: true, runId: key, sessionKey: expect.stringMatching(/^hook:/) });
      const again = await post('/hooks/agent', { message: 'summarize the build' }, { 'x-openclaw-token': TEST_HOOKS_TOKEN, 'idempotency-key': key });
      expect(await again.json()).toMatchObject({ ok: true, runId: key, deduplicated: true });
      expect((await post('/hooks/agent', { nope: 1 }, { authorization: `Bearer ${TEST_HOOKS_TOKEN}` })).status).toBe(400);
    });

    it('rate-limits failed auth per remote address', async () => {
      const h = harness();
      const remote = `203.0.113.${Math.floor(Math.random() * 200) + 1}`;
      for (let i = 0; i < 10; i++) {
        const c = await h.open(remote);
        await c.next();
        const r = await c.req('connect', connectParams({ token: 'wrong-token-000000' }));
        expect(r.error.details.code).toBe('AUTH_TOKEN_MISMATCH');
        await c.closed();
      }
      const locked = await h.open(remote);
      await locked.next();
      const r = await locked.req('connect', connectParams({ token: TEST_TOKEN }));
      expect(r.error).toMatchObject({ details: { code: 'AUTH_RATE_LIMITED' }, retryable: true });
      expect(r.error.retryAfterMs).toBeGreaterThan(0);
    });
  });
}
