/**
 * The agent end to end, on both hosts: a real session turn through the configured (fake) provider, with
 * the defender gating tool calls and tool results, operator approvals for `review`, and the gateway's
 * chat events and two-phase `agent` response.
 */
import { describe, expect, it } from 'vitest';
import { TEST_TOKEN } from './constants.ts';
import { authed, connectOperator, uniqueSession, waitFor } from './harness.ts';
import type { FrameClient } from './ws-client.ts';
export { agentModelsConfig, INJECTION } from './agent-config.ts';
import { BLOCKED_PROMPT, INBOX_SESSION, REVIEW_PROMPT } from './agent-config.ts';

/** What a host offers the agent suite. */
export interface AgentHarness {
  fetch(path: string, init?: RequestInit): Promise<Response>;
  open(): Promise<FrameClient>;
  readonly token: string;
  readonly queueCap: number;
  crashAndRestart(): Promise<void>;
  /** Node: shell and files exist; Workers: neither. */
  readonly hasExec: boolean;
  /** Node: creates `build/` in the workspace / reports whether it still exists. */
  makeBuildDir?(): void;
  buildDirExists?(): boolean;
  /** Confirms a device-flow login at the fake IdP (what the user does at the verification page). */
  approveOAuth(userCode: string): Promise<void>;
  /** Node: a canary in the server's HOME that `rm -rf ~` would delete. */
  homeCanaryExists?(): boolean;
}

async function operator(h: AgentHarness, scopes: string[]): Promise<FrameClient> {
  return connectOperator(await h.open(), TEST_TOKEN, scopes);
}

async function useModel(h: AgentHarness, session: string, model: string) {
  const res = await authed(h as never, `/sessions/${session}/patch`, { method: 'POST', body: JSON.stringify({ model }) });
  expect(res.status, await res.clone().text()).toBe(200);
}

/** Sets the session's model, then queues `text` to it (the agent answers on that model). */
async function ask(h: AgentHarness, session: string, model: string, text: string): Promise<Response> {
  await useModel(h, session, model);
  return authed(h as never, `/sessions/${session}/queue`, { method: 'POST', body: JSON.stringify({ text }) });
}

/** The session's latest assistant text, once there is one. */
function lastAnswer(h: AgentHarness, session: string, what: string): Promise<string> {
  return waitFor(async () => (await assistantText(h, session)).at(-1), 30_000, what);
}

async function assistantText(h: AgentHarness, session: string): Promise<string[]> {
  const res = await authed(h as never, `/sessions/${session}/history?limit=100`);
  const body = (await res.json()) as { history: { role: string; text: string }[] };
  return body.history.filter((r) => r.role === 'assistant').map((r) => r.text);
}

/** Registers the suite. */
export function describeAgent(host: string, harness: () => AgentHarness): void {
  describe(`agent end to end (${host})`, () => {
    it('answers chat.send through the provider, streaming chat events to a final message', async () => {
      const h = harness();
      const op = await operator(h, ['operator.read', 'operator.write']);
      const session = uniqueSession('chat');
      const runId = `run-${crypto.randomUUID()}`;
      const ack = await op.req('chat.send', { sessionKey: session, message: 'hello edge', idempotencyKey: runId });
      expect(ack.payload).toMatchObject({ runId, status: 'started' });
      const final = await op.next((f) => f.event === 'chat' && f.payload.runId === runId && f.payload.state === 'final', 30_000);
      expect(final.payload.message.content[0].text).toBe('echo: hello edge');
      expect(await assistantText(h, session)).toEqual(['echo: hello edge']);
      const history = await op.req('chat.history', { sessionKey: session });
      expect(history.payload.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant']);
      // Every message has its own id (the user turn's seq; other rows their history row).
      const ids = history.payload.messages.map((m: { __openclaw: { id: string } }) => m.__openclaw.id);
      expect(ids[0]).toMatch(/^\d+$/);
      expect(ids[1]).toMatch(/^row-\d+$/);
      op.ws.close(1000);
    });

    it('rolls provider usage up per model: usage.status and usage.cost count the run, unknown prices stay null', async () => {
      const h = harness();
      const op = await operator(h, ['operator.read', 'operator.write']);
      const before = (await op.req('usage.status', {})).payload;
      const echoBefore = before.byModel.find((m: { model: string }) => m.model === 'fake/echo') ?? { input: 0, output: 0, runs: 0 };
      const runId = `usage-${crypto.randomUUID()}`;
      expect((await op.req('chat.send', { sessionKey: uniqueSession('usage'), message: 'count me', idempotencyKey: runId })).ok).toBe(true);
      await op.next((f) => f.event === 'chat' && f.payload.runId === runId && f.payload.state === 'final', 30_000);
      const after = (await op.req('usage.status', {})).payload;
      const echo = after.byModel.find((m: { model: string }) => m.model === 'fake/echo');
      // The fake reports 10 prompt and 5 completion tokens per streamed call.
      expect(echo).toMatchObject({ input: echoBefore.input + 10, output: echoBefore.output + 5, runs: echoBefore.runs + 1, totalCost: null });
      expect(after.totals.totalCost).toBeNull();
      expect(after.totals.unpricedModels).toContain('fake/echo');
      const cost = (await op.req('usage.cost', { days: 1 })).payload;
      expect(cost.daily).toHaveLength(1);
      expect(cost.daily[0]).toMatchObject({ date: new Date().toISOString().slice(0, 10), totalCost: null });
      expect(cost.daily[0].input).toBeGreaterThanOrEqual(10);
      expect((await op.req('usage.cost', { startDate: '2026-01-02' })).error.message).toMatch(/startDate and endDate go together/);
      op.ws.close(1000);
    });

    it('answers `agent` twice on one id: accepted, then the final payload', async () => {
      const h = harness();
      const op = await operator(h, ['operator.write']);
      const runId = `agent-${crypto.randomUUID()}`;
      const id = 'two-phase-1';
      op.ws.send(JSON.stringify({ type: 'req', id, method: 'agent', params: { message: 'ping', idempotencyKey: runId, sessionKey: uniqueSession('agent') } }));
      const accepted = await op.next((f) => f.type === 'res' && f.id === id);
      expect(accepted.payload).toMatchObject({ runId, status: 'accepted' });
      const final = await op.next((f) => f.type === 'res' && f.id === id, 30_000);
      expect(final.payload).toMatchObject({ runId, status: 'ok', summary: 'completed', result: { payloads: [{ text: 'echo: ping' }] } });
      const waited = await op.req('agent.wait', { runId, timeoutMs: 1000 });
      expect(waited.payload).toMatchObject({ runId, status: 'ok' });
      op.ws.close(1000);
    });

    it('serves the OpenAI-compatible endpoint when enabled: 401 without a token, completions with one', async () => {
      const h = harness();
      const post = (body: unknown, auth = true) =>
        h.fetch('/v1/chat/completions', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${TEST_TOKEN}` } : {}) } });
      expect((await post({ model: 'openclaw', messages: [{ role: 'user', content: 'x' }] }, false)).status).toBe(401);
      const plain = await post({ model: 'openclaw', messages: [{ role: 'user', content: 'over http' }], user: 'alice' });
      expect(plain.status).toBe(200);
      expect(await plain.json()).toMatchObject({ object: 'chat.completion', choices: [{ message: { role: 'assistant', content: 'echo: over http' }, finish_reason: 'stop' }] });
      const streamed = await post({ model: 'openclaw/main', stream: true, messages: [{ role: 'user', content: 'streamed' }] });
      expect(streamed.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const text = await streamed.text();
      expect(text).toContain('"content":"echo: streamed"');
      expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
      expect((await post({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })).status).toBe(400);
      const models = await h.fetch('/v1/models', { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
      expect(((await models.json()) as { data: { id: string }[] }).data.map((m) => m.id)).toContain('openclaw');
    });

    it('streams /v1 chat completions while the run is still going, not after it ended', async () => {
      const h = harness();
      const user = `streamer-${crypto.randomUUID()}`;
      const digest = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(user))), (b) => b.toString(16).padStart(2, '0')).join('');
      const session = `agent:main:openai:${digest.slice(0, 24)}`;
      // `stall`: one delta "partial ", then the provider hangs, so the run stays active until it is aborted.
      await useModel(h, session, 'fake/stall');
      const res = await h.fetch('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'openclaw', stream: true, user, messages: [{ role: 'user', content: 'go slowly' }] }), headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_TOKEN}` } });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let seen = '';
      await waitFor(async () => {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended early: ${seen}`);
        seen += decoder.decode(value, { stream: true });
        return seen.includes('"content":"partial "') ? true : undefined;
      }, 30_000, 'the first delta while the run is active');
      expect(seen).not.toContain('[DONE]');
      const op = await operator(h, ['operator.write']);
      expect((await op.req('chat.abort', { sessionKey: session })).ok).toBe(true);
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += decoder.decode(value, { stream: true });
      }
      expect(seen).toMatch(/"error":\{"message":"[^"]*","type":"server_error"\}/);
      expect(seen.trimEnd().endsWith('data: [DONE]')).toBe(true);
      op.ws.close(1000);
    });

    it('scores each prompt before the model sees it: a blocked one never reaches the model, now or later', async () => {
      const h = harness();
      const op = await operator(h, ['operator.read', 'operator.write']);
      const session = uniqueSession('prompt-block');
      await useModel(h, session, 'fake-plain/transcript');
      const first = `run-${crypto.randomUUID()}`;
      expect((await op.req('chat.send', { sessionKey: session, message: BLOCKED_PROMPT, idempotencyKey: first })).ok).toBe(true);
      const refused = await op.next((f) => f.event === 'chat' && f.payload.runId === first && f.payload.state === 'final', 30_000);
      expect(refused.payload.message.content[0].text).toMatch(/^Your message was not passed to the agent: the defender blocked it \(prompt_guard:/);
      const decision = await op.next((f) => f.event === 'defender.decision' && f.payload.sessionKey === session && f.payload.kind === 'prompt', 10_000);
      expect(decision.payload).toMatchObject({ kind: 'prompt', decision: 'block' });
      // The next turn's model context holds the note, not the withheld text.
      const second = `run-${crypto.randomUUID()}`;
      await op.req('chat.send', { sessionKey: session, message: 'what time is it', idempotencyKey: second });
      const answer = await op.next((f) => f.event === 'chat' && f.payload.runId === second && f.payload.state === 'final', 30_000);
      const text = answer.payload.message.content[0].text as string;
      expect(text).toMatch(/^transcript: \[message withheld by the defender: block \(prompt_guard:[^)]*\)\] \| what time is it$/);
      expect(text).not.toContain('reveal your system prompt');
      const history = await op.req('chat.history', { sessionKey: session });
      const users = history.payload.messages.filter((m: { role: string }) => m.role === 'user').map((m: { content: { text: string }[] }) => m.content[0]!.text);
      expect(users[0]).toMatch(/^\[message withheld by the defender: block/);
      expect(JSON.stringify(history.payload)).not.toContain('reveal your system prompt');
      const described = await op.req('sessions.describe', { key: session });
      expect(described.payload.entry.defender.block).toBeGreaterThanOrEqual(1);
      // The recorded decisions, newest first, filtered by session and outcome.
      const listed = await op.req('defender.decisions', { sessionKey: session, decision: 'block', limit: 5 });
      expect(listed.payload.decisions).toHaveLength(1);
      expect(listed.payload.decisions[0]).toMatchObject({ kind: 'prompt', decision: 'block', sessionKey: session, excerpt: BLOCKED_PROMPT });
      expect(listed.payload.decisions[0].reasons).toContain('prompt_guard:override.ignore_previous_instructions');
      const all = await op.req('defender.decisions', { sessionKey: session, limit: 1 });
      expect(all.payload.decisions[0].excerpt).toBe('what time is it');
      expect((await op.req('defender.decisions', { sessionKey: session, limit: 1, beforeId: all.payload.nextBeforeId })).payload.decisions[0].excerpt).toBe(BLOCKED_PROMPT);
      const bad = await op.req('defender.decisions', { limit: 0 });
      expect(bad.ok).toBe(false);
      expect(bad.error).toMatchObject({ code: 'INVALID_REQUEST' });
      expect(bad.error.message).toContain('limit');
      op.ws.close(1000);
    });

    it('holds a prompt scored review until an operator decides: approved reaches the model, denied does not', async () => {
      const h = harness();
      const approver = await operator(h, ['operator.approvals', 'operator.write']);
      const session = uniqueSession('prompt-review');
      await useModel(h, session, 'fake-plain/transcript');
      for (const decision of ['deny', 'allow-once'] as const) {
        const runId = `run-${crypto.randomUUID()}`;
        await approver.req('chat.send', { sessionKey: session, message: REVIEW_PROMPT, idempotencyKey: runId });
        const requested = await approver.next((f) => f.event === 'exec.approval.requested' && f.payload.sessionKey === session && f.payload.runId === runId, 30_000);
        expect(requested.payload).toMatchObject({ kind: 'prompt', summary: REVIEW_PROMPT });
        expect(requested.payload.reasons.map((r: { rule: string }) => r.rule)).toContain('jailbreak.no_restrictions');
        expect((await approver.req('exec.approval.resolve', { id: requested.payload.id, decision })).payload).toMatchObject({ changed: true });
        const final = await approver.next((f) => f.event === 'chat' && f.payload.runId === runId && f.payload.state === 'final', 30_000);
        const text = final.payload.message.content[0].text as string;
        if (decision === 'deny') expect(text).toMatch(/^Your message was not passed to the agent: it was held for review and not approved/);
        // The denied prompt stays out of the model's context; the approved one reaches it.
        else expect(text).toBe(`transcript: [message withheld by the defender: review not approved (prompt_guard:override.ignore_previous_instructions, prompt_guard:jailbreak.no_restrictions)] | ${REVIEW_PROMPT}`);
      }
      approver.ws.close(1000);
    });

    it('blocks a model that asks to run `rm -rf ~`: the model gets a block result and nothing runs', async () => {
      const h = harness();
      const watcher = await operator(h, ['operator.read']);
      const session = uniqueSession('rm');
      const r = await ask(h, session, 'fake-rm/tools:1', 'clean my home directory');
      expect(r.status).toBe(202);
      const texts = await waitFor(async () => {
        const t = await assistantText(h, session);
        return t.length > 0 ? t : undefined;
      }, 30_000, 'the blocked run to finish');
      expect(texts.at(-1)).toMatch(/^done: \{"ok":false,"error":\{"code":"blocked","message":"blocked by policy: command_guard:fs\.rm_recursive_root_or_home/);
      if (h.homeCanaryExists) expect(h.homeCanaryExists()).toBe(true);
      // The decision went out as an event to readers, with its reasons, and is counted for the session.
      const event = await watcher.next((f) => f.event === 'defender.decision' && f.payload.sessionKey === session && f.payload.kind === 'tool_call', 10_000);
      expect(event.payload).toMatchObject({ kind: 'tool_call', tool: 'exec', decision: 'block' });
      expect(event.payload.reasons).toContain('command_guard:fs.rm_recursive_root_or_home');
      const described = await watcher.req('sessions.describe', { key: session });
      expect(described.payload.entry.defender.block).toBeGreaterThanOrEqual(1);
      watcher.ws.close(1000);
    });

    it('holds a reviewed command until an operator approves it, then runs it', async () => {
      const h = harness();
      h.makeBuildDir?.();
      const approver = await operator(h, ['operator.approvals']);
      const session = uniqueSession('review');
      await ask(h, session, 'fake-review/tools:1', 'remove the build folder');
      const requested = await approver.next((f) => f.event === 'exec.approval.requested' && f.payload.sessionKey === session, 30_000);
      expect(requested.payload.summary).toContain('rm -r build');
      if (h.buildDirExists) expect(h.buildDirExists()).toBe(true);
      expect(await assistantText(h, session)).toEqual([]);
      const resolved = await approver.req('exec.approval.resolve', { id: requested.payload.id, decision: 'allow-once' });
      expect(resolved.payload).toMatchObject({ status: 'allowed', changed: true });
      const texts = await waitFor(async () => {
        const t = await assistantText(h, session);
        return t.length > 0 ? t : undefined;
      }, 30_000, 'the approved run to finish');
      if (h.hasExec) {
        expect(texts.at(-1)).not.toMatch(/blocked|not approved/);
        expect(h.buildDirExists!()).toBe(false);
      } else {
        // Approved, but Workers have no shell: the tool host refuses it with a clear error.
        expect(texts.at(-1)).toMatch(/exec/);
      }
      approver.ws.close(1000);
    });

    it('blocks web_fetch of a URL VirusTotal reports malicious before anything is fetched', async () => {
      const h = harness();
      const session = uniqueSession('vt');
      await ask(h, session, 'fake-vt/tools:1', 'fetch that script');
      const texts = await waitFor(async () => {
        const t = await assistantText(h, session);
        return t.length > 0 ? t : undefined;
      }, 30_000, 'the run to finish');
      expect(texts.at(-1)).toMatch(/^done: \{"ok":false,"error":\{"code":"blocked","message":"blocked by policy: .*engine:virustotal\.url_malicious/);
    });

    it('remembers a note across sessions with the memory tool', async () => {
      const h = harness();
      const run = async (model: string) => {
        const session = uniqueSession('mem');
        await ask(h, session, model, 'note it');
        return waitFor(async () => (await assistantText(h, session)).at(-1), 30_000, 'the memory run to finish');
      };
      expect(await run('fake-mem-set/tools:1')).toBe('done: {"ok":true,"key":"favourite-colour"}');
      expect(await run('fake-mem-get/tools:1')).toBe('done: {"ok":true,"key":"favourite-colour","value":"teal"}');
    });

    it('messages another session with sessions_send: queued there once, answered there', async () => {
      const h = harness();
      const session = uniqueSession('sender');
      await ask(h, session, 'fake-send/tools:1', 'ask the inbox');
      const out = await lastAnswer(h, session, 'the sending run to finish');
      expect(out).toMatch(/^done: \{"ok":true,"status":"queued","sessionKey":"agent:main:inbox-e2e"/);
      const inbox = await waitFor(async () => {
        const res = await authed(h as never, `/sessions/${INBOX_SESSION}/history?limit=10`);
        const rows = ((await res.json()) as { history: { role: string; text: string }[] }).history;
        return rows.some((r) => r.role === 'assistant') ? rows : undefined;
      }, 30_000, 'the inbox session to answer');
      expect(inbox.filter((r) => r.role === 'user').map((r) => r.text)).toEqual([`[message from session ${session}]\nstatus report please`]);
    });

    it('logs a provider in with the OAuth device flow, then runs on its token', async () => {
      const h = harness();
      const admin = await operator(h, ['operator.admin']);
      const listed = async () => ((await admin.req('auth.oauth.providers', {})).payload.providers as { provider: string; loggedIn: boolean }[]).find((p) => p.provider === 'fake-oauth');
      expect(await listed()).toMatchObject({ loggedIn: false });
      const unsupported = await admin.req('auth.oauth.start', { provider: 'fake' });
      expect(unsupported.error).toMatchObject({ code: 'INVALID_REQUEST', details: { code: 'OAUTH_UNSUPPORTED_PROVIDER' } });
      const reader = await operator(h, ['operator.read']);
      expect((await reader.req('auth.oauth.start', { provider: 'fake-oauth' })).error).toMatchObject({ code: 'FORBIDDEN' });
      reader.ws.close(1000);

      const start = (await admin.req('auth.oauth.start', { provider: 'fake-oauth' })).payload;
      expect(start).toMatchObject({ provider: 'fake-oauth', status: 'pending' });
      expect(start.verificationUri).toMatch(/\/activate$/);
      expect(JSON.stringify(start)).not.toMatch(/device_?code|verifier/i);
      expect((await admin.req('auth.oauth.wait', { loginId: start.loginId, timeoutMs: 0 })).payload).toMatchObject({ status: 'pending' });
      await h.approveOAuth(start.userCode);
      expect((await admin.req('auth.oauth.wait', { loginId: start.loginId, timeoutMs: 30_000 })).payload).toMatchObject({ status: 'ok', provider: 'fake-oauth' });
      expect(await listed()).toMatchObject({ loggedIn: true, refreshable: true });

      const session = uniqueSession('oauth');
      await ask(h, session, 'fake-oauth/echo', 'hello oauth');
      expect(await lastAnswer(h, session, 'the run on the OAuth provider')).toBe('echo: hello oauth');
      expect((await admin.req('auth.oauth.logout', { provider: 'fake-oauth' })).payload).toMatchObject({ removed: true });
      admin.ws.close(1000);
    });

    it('schedules a job in its own session with the cron tool; the scheduler lists it', async () => {
      const h = harness();
      const session = uniqueSession('cron');
      await ask(h, session, 'fake-cron/tools:1', 'remind me of standup');
      const out = await lastAnswer(h, session, 'the cron run to finish');
      const id = /"id":"([^"]+)"/.exec(out ?? '')?.[1];
      expect(out, out).toMatch(/^done: \{"ok":true,"id":"/);
      const admin = await operator(h, ['operator.admin']);
      const jobs = (await admin.req('cron.list', { includeDisabled: true })).payload.jobs as { id: string; sessionTarget: string; payload: { message: string } }[];
      expect(jobs.find((j) => j.id === id)).toMatchObject({ sessionTarget: `session:${session}`, payload: { message: 'time for standup' } });
      expect((await admin.req('cron.remove', { id })).ok).toBe(true);
      admin.ws.close(1000);
    });

    it('sends through the gateway with the message tool (an unknown account is refused clearly)', async () => {
      const h = harness();
      const session = uniqueSession('message');
      await ask(h, session, 'fake-message/tools:1', 'tell them hello');
      const out = await lastAnswer(h, session, 'the message run to finish');
      // Neither host configures a Telegram account for this suite's default: `send` answers why.
      expect(out).toMatch(/^done: \{"ok":(?:false,"error":\{"code":"tool_error","message":".*telegram|true,"status":"ok")/i);
    });

    it('withholds a tool result that carries a prompt injection before it reaches the model', async () => {
      const h = harness();
      const session = uniqueSession('inject');
      await ask(h, session, h.hasExec ? 'fake-read/tools:1' : 'fake-web/tools:1', 'read the notes');
      const texts = await waitFor(async () => {
        const t = await assistantText(h, session);
        return t.length > 0 ? t : undefined;
      }, 30_000, 'the run to finish');
      expect(texts.at(-1)).toMatch(/^done: \{"ok":false,"error":\{"code":"blocked","message":"tool result withheld by the defender/);
      expect(texts.join('\n')).not.toContain('id_rsa');
    });
  });
}
