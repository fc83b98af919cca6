/**
 * The gateway's control methods on both hosts, over a real WebSocket client: config.get/schema/patch/set
 * (admin, baseHash, validation paths, redaction round trip, config.changed, hot apply), cron.* (scheduled
 * fire, run history, cap from config, restart), wake/last-heartbeat/set-heartbeats, chat.inject,
 * sessions.delete and send's validation. Usage numbers are checked by the agent suite (a real provider run).
 */
import { describe, expect, it } from 'vitest';
import { READ_TOKEN, TEST_TOKEN } from './constants.ts';
import { connectOperator, waitFor } from './harness.ts';
import { connectParams, type FrameClient } from './ws-client.ts';

/** What a host offers this suite. */
export interface ControlHarness {
  open(): Promise<FrameClient>;
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Loses every in-memory instance while keeping storage (Node: SIGKILL and restart). */
  crashAndRestart(): Promise<void>;
}

async function operator(h: ControlHarness, scopes: string[], token = TEST_TOKEN): Promise<FrameClient> {
  return connectOperator(await h.open(), token, scopes);
}

const uid = () => crypto.randomUUID().slice(0, 8);

async function texts(c: FrameClient, sessionKey: string): Promise<string[]> {
  const res = await c.req('chat.history', { sessionKey });
  return res.payload.messages.map((m: { content: { text: string }[] }) => m.content[0]!.text);
}

/** Registers the suite. */
export function describeControl(host: string, harness: () => ControlHarness): void {
  describe(`gateway control methods (${host})`, () => {
    it('advertises every new method in hello-ok and /rpc/methods', async () => {
      const h = harness();
      const c = await h.open();
      await c.next();
      const hello = await c.req('connect', connectParams({ token: TEST_TOKEN }, ['operator.read']));
      const names = ['config.get', 'config.schema', 'config.schema.lookup', 'config.patch', 'config.set', 'usage.status', 'usage.cost', 'send', 'wake', 'set-heartbeats', 'chat.inject', 'sessions.delete', 'cron.list', 'cron.get', 'cron.status', 'cron.add', 'cron.update', 'cron.remove', 'cron.run', 'cron.runs'];
      expect(hello.payload.features.methods).toEqual(expect.arrayContaining(names));
      expect(hello.payload.features.events).toEqual(expect.arrayContaining(['config.changed', 'cron', 'heartbeat']));
      const listed = (await (await h.fetch('/rpc/methods')).json()) as { methods: { name: string; scope: string }[] };
      const scopeOf = Object.fromEntries(listed.methods.map((m) => [m.name, m.scope]));
      expect(scopeOf).toMatchObject({ 'config.get': 'operator.admin', 'config.patch': 'operator.admin', 'usage.status': 'operator.read', send: 'operator.write', wake: 'operator.write', 'set-heartbeats': 'operator.admin', 'chat.inject': 'operator.admin', 'cron.add': 'operator.admin', 'cron.list': 'operator.read' });
      c.ws.close(1000);
    });

    it('config: admin only, redacted, baseHash-guarded, validated with paths, hot-applied and announced', async () => {
      const h = harness();
      const reader = await operator(h, ['operator.read'], READ_TOKEN);
      const admin = await operator(h, ['operator.admin']);
      expect((await reader.req('config.get', {})).error).toMatchObject({ code: 'FORBIDDEN', details: { code: 'MISSING_SCOPE', missingScope: 'operator.admin' } });
      const schema = await admin.req('config.schema', {});
      expect(schema.payload.schema.properties.queue.properties.cap).toMatchObject({ type: 'integer' });
      expect((await admin.req('config.schema.lookup', { path: 'queue' })).payload.children.map((c: { key: string }) => c.key)).toContain('cap');
      expect((await admin.req('config.schema.lookup', { path: 'queue.nope' })).error).toMatchObject({ code: 'INVALID_REQUEST', message: 'config schema path not found' });

      const before = (await admin.req('config.get', {})).payload;
      expect(before).toMatchObject({ valid: true, hash: expect.stringMatching(/^[0-9a-f]{64}$/), config: { queue: expect.any(Object) } });
      const stale = await admin.req('config.patch', { raw: '{agent:{contextMessages:41}}', baseHash: '0'.repeat(64) });
      expect(stale.error).toMatchObject({ code: 'INVALID_REQUEST', details: { code: 'CONFIG_BASE_HASH_MISMATCH', currentHash: before.hash } });
      expect((await admin.req('config.patch', { raw: '{agent:{contextMessages:41}}' })).error.message).toMatch(/^invalid config\.patch params: baseHash: /);
      // Over POST /rpc the same error crosses the RPC hop to GatewayDO intact.
      const rpc = (token: string, method: string, params: unknown) =>
        h.fetch('/rpc', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ type: 'req', id: 'c1', method, params }) });
      const viaHttp = await rpc(TEST_TOKEN, 'config.patch', { raw: '{}', baseHash: '0'.repeat(64) });
      expect(viaHttp.status).toBe(400);
      expect(await viaHttp.json()).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST', details: { code: 'CONFIG_BASE_HASH_MISMATCH', currentHash: before.hash } } });
      expect((await rpc(READ_TOKEN, 'config.get', {})).status).toBe(403);
      expect(await (await rpc(READ_TOKEN, 'cron.status', {})).json()).toMatchObject({ ok: true, payload: { enabled: true } });
      const invalid = await admin.req('config.patch', { raw: '{queue:{cap:0}}', baseHash: before.hash });
      expect(invalid.error).toMatchObject({ code: 'INVALID_REQUEST', message: 'invalid config: queue.cap: expected an integer between 1 and 10000', details: { issues: [{ path: 'queue.cap' }] } });
      expect((await admin.req('config.get', {})).payload.hash).toBe(before.hash);

      const secret = `hooks-secret-${uid()}-0123456789`;
      const patched = await admin.req('config.patch', { raw: JSON.stringify({ agent: { contextMessages: 41 }, hooks: { token: secret } }), baseHash: before.hash });
      expect(patched.payload).toMatchObject({ ok: true, changedPaths: expect.arrayContaining(['agent.contextMessages', 'hooks.token']), applied: ['agent.contextMessages'], restartRequired: true });
      expect(patched.payload.hash).not.toBe(before.hash);
      const changed = await reader.next((f) => f.event === 'config.changed' && f.payload.hash === patched.payload.hash);
      expect(changed.payload).toMatchObject({ path: expect.any(String), ts: expect.any(Number) });
      expect(JSON.stringify(changed.payload)).not.toContain(secret);

      const after = (await admin.req('config.get', {})).payload;
      expect(after.hash).toBe(patched.payload.hash);
      expect(JSON.stringify(after)).not.toContain(secret);
      // The stored config holds a `secret:` reference (a name); the value is in the secret store, and the resolved view is redacted.
      expect(after.parsed.hooks.token).toBe('secret:hooks.token');
      expect(after.config.hooks.token).toBe('__EDGECLAW_REDACTED__');
      expect(after.config.agent.contextMessages).toBe(41);
      // Sending the redacted config back unchanged keeps every secret: the hash does not move.
      const same = await admin.req('config.set', { raw: JSON.stringify(after.parsed), baseHash: after.hash });
      expect(same.payload).toMatchObject({ ok: true, hash: after.hash, changedPaths: [] });
      // config.set replaces the whole stored config (the hot key goes back to its default).
      const { agent: _agent, hooks: _hooks, ...rest } = after.parsed;
      const reset = await admin.req('config.set', { raw: JSON.stringify(rest), baseHash: after.hash });
      expect(reset.payload).toMatchObject({ ok: true, applied: ['agent.contextMessages'] });
      expect((await admin.req('config.get', {})).payload.config.agent.contextMessages).toBe(40);
      reader.ws.close(1000);
      admin.ws.close(1000);
    });

    it('a hot queue cap reaches a session object that is already loaded (no restart, no eviction)', async () => {
      const h = harness();
      const admin = await operator(h, ['operator.admin']);
      const session = `agent:main:hot-${uid()}`;
      const enqueue = (n: number) =>
        h.fetch(`/sessions/${session}/queue`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_TOKEN}` }, body: JSON.stringify({ text: `held ${n}`, id: `hot-${n}`, delayMs: 600_000 }) });
      // Two items wait in the loaded object under the default cap.
      expect((await enqueue(1)).status).toBe(202);
      expect((await enqueue(2)).status).toBe(202);
      const base = (await admin.req('config.get', {})).payload.hash as string;
      const patched = await admin.req('config.patch', { raw: '{queue:{cap:2,drop:"new"}}', baseHash: base });
      expect(patched.payload).toMatchObject({ ok: true, restartRequired: false, applied: expect.arrayContaining(['queue.cap', 'queue.drop']) });
      try {
        // The next item is refused by the same object under the new cap (Workers objects pull it within seconds).
        let n = 3;
        const refused = await waitFor(async () => {
          const res = await enqueue(n++);
          return res.status === 429 ? res : undefined;
        }, 20_000, 'the hot cap to reach the session object');
        expect(await refused.json()).toMatchObject({ ok: false, error: { code: 'QUEUE_FULL' } });
      } finally {
        const now = (await admin.req('config.get', {})).payload.hash as string;
        expect((await admin.req('config.patch', { raw: '{queue:null}', baseHash: now })).payload).toMatchObject({ ok: true });
        await h.fetch(`/sessions/${session}/abort`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_TOKEN}` }, body: '{}' });
        admin.ws.close(1000);
      }
    });

    it('cron: a job fires on schedule into its session, runs are recorded, and firing continues after a restart', async () => {
      const h = harness();
      let admin = await operator(h, ['operator.admin']);
      const session = `agent:main:cron-${uid()}`;
      const added = await admin.req('cron.add', { name: 'every-second', schedule: { kind: 'every', everyMs: 1_000 }, sessionTarget: `session:${session}`, payload: { kind: 'systemEvent', text: 'ping' } });
      expect(added.payload).toMatchObject({ id: expect.any(String), enabled: true, nextRunAtMs: expect.any(Number), sessionTarget: `session:${session}` });
      const id = added.payload.id as string;
      const fired = await admin.next((f) => f.event === 'cron' && f.payload.jobId === id && f.payload.action === 'finished', 20_000);
      expect(fired.payload).toMatchObject({ status: 'ok', sessionKey: session });
      await waitFor(async () => ((await texts(admin, session)).includes('[cron: every-second] ping') ? true : undefined), 20_000, 'cron turn in history');
      const runs = (await admin.req('cron.runs', { id })).payload;
      expect(runs.runs[0]).toMatchObject({ jobId: id, status: 'ok', trigger: 'schedule', sessionKey: session });
      expect((await admin.req('cron.get', { jobId: id })).payload).toMatchObject({ lastRunStatus: 'ok', lastRunAtMs: expect.any(Number) });

      await h.crashAndRestart();
      admin = await operator(h, ['operator.admin']);
      const before = runs.total as number;
      const later = await waitFor(async () => {
        const r = (await admin.req('cron.runs', { id, limit: 100 })).payload;
        return r.total >= before + 2 ? r : undefined;
      }, 30_000, 'cron runs after restart');
      const dueTimes = later.runs.map((r: { dueAtMs: number }) => r.dueAtMs);
      expect(new Set(dueTimes).size).toBe(dueTimes.length);
      expect((await admin.req('cron.remove', { id })).payload).toMatchObject({ ok: true, removed: true });
      expect((await admin.req('cron.get', { id })).error).toMatchObject({ code: 'INVALID_REQUEST', details: { code: 'CRON_JOB_NOT_FOUND' } });
      admin.ws.close(1000);
    });

    it('cron: manual runs, updates, scopes, and the job cap (cron.maxJobs, hot-applied) with a clear error', async () => {
      const h = harness();
      const admin = await operator(h, ['operator.admin']);
      const reader = await operator(h, ['operator.read'], READ_TOKEN);
      const session = `agent:main:cronrun-${uid()}`;
      const spec = { name: 'nightly', schedule: { kind: 'cron', expr: '0 3 * * *', tz: 'Europe/Berlin' }, sessionTarget: `session:${session}`, payload: { kind: 'agentTurn', message: 'report' } };
      expect((await reader.req('cron.add', spec)).error).toMatchObject({ code: 'FORBIDDEN', details: { missingScope: 'operator.admin' } });
      expect((await admin.req('cron.add', { ...spec, schedule: { kind: 'cron', expr: '0 25 * * *' } })).error.message).toMatch(/^invalid cron\.add params: schedule\.expr: invalid cron expression: hour: 25 is outside 0-23/);
      const job = (await admin.req('cron.add', spec)).payload;
      expect(job.nextRunAtMs).toBeGreaterThan(Date.now());
      expect((await reader.req('cron.list', {})).payload.jobs.map((j: { id: string }) => j.id)).toContain(job.id);
      const notDue = await admin.req('cron.run', { id: job.id, mode: 'due' });
      expect(notDue.payload).toMatchObject({ ok: true, ran: false, reason: 'not-due' });
      const ran = await admin.req('cron.run', { id: job.id });
      expect(ran.payload).toMatchObject({ ok: true, ran: true, run: { status: 'ok', trigger: 'manual', sessionKey: session } });
      const updated = await admin.req('cron.update', { id: job.id, patch: { enabled: false } });
      expect(updated.payload).toMatchObject({ enabled: false, name: 'nightly' });
      expect((await admin.req('cron.run', { id: job.id, mode: 'if-enabled' })).payload).toMatchObject({ ran: false, reason: 'disabled' });

      const status = (await reader.req('cron.status', {})).payload;
      expect(status).toMatchObject({ enabled: true, maxJobs: expect.any(Number), jobs: expect.any(Number) });
      const cfg = (await admin.req('config.get', {})).payload;
      const capped = await admin.req('config.patch', { raw: JSON.stringify({ cron: { maxJobs: status.jobs } }), baseHash: cfg.hash });
      expect(capped.payload).toMatchObject({ applied: ['cron.maxJobs'], restartRequired: false });
      const full = await admin.req('cron.add', { ...spec, name: 'one too many' });
      expect(full.error).toMatchObject({ code: 'INVALID_REQUEST', details: { code: 'CRON_JOBS_FULL', cap: status.jobs } });
      const cfg2 = (await admin.req('config.get', {})).payload;
      expect((await admin.req('config.patch', { raw: '{cron:null}', baseHash: cfg2.hash })).payload.applied).toEqual(['cron.maxJobs']);
      expect((await admin.req('cron.remove', { id: job.id })).payload.removed).toBe(true);
      admin.ws.close(1000);
      reader.ws.close(1000);
    });

    it('wake queues a system event that last-heartbeat reports; set-heartbeats needs admin and persists', async () => {
      const h = harness();
      const writer = await operator(h, ['operator.write']);
      const admin = await operator(h, ['operator.admin']);
      const session = `agent:main:wake-${uid()}`;
      const woke = await writer.req('wake', { mode: 'now', text: 'check the build', sessionKey: session });
      expect(woke.payload).toMatchObject({ ok: true, sessionKey: session, eventOutcome: 'queued' });
      const hb = (await writer.req('last-heartbeat', {})).payload;
      expect(hb).toMatchObject({ reason: 'wake', status: 'queued', sessionKey: session, message: 'check the build' });
      await waitFor(async () => ((await texts(writer, session)).includes('[wake] check the build') ? true : undefined), 20_000, 'wake in history');
      expect((await writer.req('set-heartbeats', { enabled: false })).error).toMatchObject({ code: 'FORBIDDEN', details: { missingScope: 'operator.admin' } });
      expect((await admin.req('set-heartbeats', { enabled: false })).payload).toEqual({ ok: true, enabled: false });
      expect((await writer.req('last-heartbeat', {})).payload).toMatchObject({ reason: 'wake', enabled: false });
      expect((await admin.req('set-heartbeats', { enabled: true })).payload).toEqual({ ok: true, enabled: true });
      writer.ws.close(1000);
      admin.ws.close(1000);
    });

    it('chat.inject appends a note without a run; sessions.delete needs admin and spares the main session', async () => {
      const h = harness();
      const writer = await operator(h, ['operator.write']);
      const admin = await operator(h, ['operator.admin']);
      const session = `agent:main:inject-${uid()}`;
      expect((await writer.req('chat.inject', { sessionKey: session, message: 'x' })).error).toMatchObject({ code: 'FORBIDDEN', details: { missingScope: 'operator.admin' } });
      const injected = await admin.req('chat.inject', { sessionKey: session, message: 'operator note', label: 'ops' });
      expect(injected.payload).toMatchObject({ ok: true, sessionKey: session, messageId: expect.any(String) });
      const event = await writer.next((f) => f.event === 'chat' && f.payload.sessionKey === session && f.payload.state === 'final');
      expect(event.payload.message.content[0].text).toBe('[ops] operator note');
      const history = (await writer.req('chat.history', { sessionKey: session })).payload.messages;
      expect(history).toEqual([expect.objectContaining({ role: 'assistant', content: [{ type: 'text', text: '[ops] operator note' }] })]);
      const listed = async () => (await writer.req('sessions.list', { limit: 500 })).payload.sessions.map((s: { key: string }) => s.key);
      await waitFor(async () => ((await listed()).includes(session) ? true : undefined), 10_000, 'index row');

      expect((await writer.req('sessions.delete', { key: session })).error).toMatchObject({ code: 'FORBIDDEN', details: { missingScope: 'operator.admin' } });
      expect((await writer.req('sessions.delete', { key: session, archivedOnly: true })).payload).toMatchObject({ ok: true, deleted: false });
      expect((await admin.req('sessions.delete', { key: 'main' })).error).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('main session cannot be deleted') });
      const deleted = await admin.req('sessions.delete', { key: session });
      expect(deleted.payload).toMatchObject({ ok: true, key: session, deleted: true });
      expect(await listed()).not.toContain(session);
      expect((await writer.req('chat.history', { sessionKey: session })).payload.messages.map((m: { role: string }) => m.role)).toEqual(['system']);
      writer.ws.close(1000);
      admin.ws.close(1000);
    });

    it('send validates its params and scope, and names an unknown account', async () => {
      const h = harness();
      const reader = await operator(h, ['operator.read'], READ_TOKEN);
      const writer = await operator(h, ['operator.write']);
      const params = { to: '12345', message: 'hello', idempotencyKey: `send-${uid()}`, channel: 'telegram', accountId: 'nope' };
      expect((await reader.req('send', params)).error).toMatchObject({ code: 'FORBIDDEN', details: { missingScope: 'operator.write' } });
      expect((await writer.req('send', { to: '1', message: 'x' })).error.message).toMatch(/^invalid send params: idempotencyKey: /);
      expect((await writer.req('send', { ...params, channel: 'webchat' })).error.message).toMatch(/^invalid send params: channel: /);
      expect((await writer.req('send', params)).error).toMatchObject({ code: 'INVALID_REQUEST', details: { code: 'UNKNOWN_ACCOUNT', channel: 'telegram' } });
      reader.ws.close(1000);
      writer.ws.close(1000);
    });

    it('wizard: a session started over the WebSocket continues over POST /rpc and survives a crash', async () => {
      const h = harness();
      const rpc = async (method: string, params: unknown) =>
        (await (await h.fetch('/rpc', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_TOKEN}` }, body: JSON.stringify({ type: 'req', id: 'w1', method, params }) })).json()) as { ok: boolean; payload?: any; error?: any };
      const admin = await operator(h, ['operator.admin']);
      const started = await admin.req('wizard.start', {});
      expect(started.payload).toMatchObject({ status: 'running', step: { id: 'provider' } });
      const sessionId = started.payload.sessionId as string;
      const viaHttp = await rpc('wizard.next', { sessionId, answer: { stepId: 'provider', value: 'openai' } });
      expect(viaHttp.ok, JSON.stringify(viaHttp.error)).toBe(true);
      expect(viaHttp.payload).toMatchObject({ sessionId, step: { id: 'apiKey' } });
      const key = `sk-wizard-${uid()}-0123456789`;
      expect((await admin.req('wizard.next', { sessionId, answer: { stepId: 'apiKey', value: key } })).payload).toMatchObject({ step: { id: 'model' } });
      admin.ws.close(1000);

      await h.crashAndRestart();
      const after = await operator(h, ['operator.admin']);
      const status = await after.req('wizard.status', { sessionId });
      expect(status.payload).toMatchObject({ sessionId, status: 'running', step: { id: 'model' }, answers: { provider: 'openai', apiKey: '<redacted>' } });
      expect(JSON.stringify(status.payload)).not.toContain(key);
      expect((await rpc('wizard.next', { sessionId, answer: { stepId: 'provider', value: 'groq' } })).error).toMatchObject({ code: 'INVALID_REQUEST', details: { code: 'WIZARD_STEP_MISMATCH', expected: 'model' } });
      expect((await rpc('wizard.cancel', { sessionId })).payload).toMatchObject({ status: 'cancelled', done: true });
      expect((await after.req('wizard.next', { sessionId })).error).toMatchObject({ details: { code: 'WIZARD_NOT_RUNNING', status: 'cancelled' } });
      // A cancelled wizard keeps no secret it was given.
      expect(JSON.stringify((await after.req('wizard.status', { sessionId })).payload)).not.toContain(key);
      after.ws.close(1000);
    });
  });
}
