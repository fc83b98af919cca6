/**
 * OpenAI-compatible HTTP surface (off by default; `gateway.openaiHttp` / EDGECLAW_OPENAI_HTTP=true):
 * `GET /v1/models` lists agent targets and `POST /v1/chat/completions` runs one agent turn. The model
 * names an agent (`openclaw`, `openclaw/<agentId>`), not a provider model. Bearer auth on every request.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { sha256Hex } from '../auth.ts';
import type { Env } from '../env.ts';
import { GatewayError, invalidParams } from '../errors.ts';
import { settingsOf } from '../config/settings.ts';
import { authenticate } from './credentials.ts';
import { hubOf } from './http.ts';
import type { Hub } from './registry.ts';
import { scopeSatisfied } from './scopes.ts';
import { DEFAULT_AGENT_ID } from './methods/system.ts';
import { rejectionError } from '../scheduler/rejection.ts';

/** Longest a completion request waits for its run. */
const RUN_TIMEOUT_MS = 300_000;

const Message = z.looseObject({ role: z.enum(['system', 'user', 'assistant', 'tool', 'developer']), content: z.union([z.string(), z.array(z.looseObject({ type: z.string(), text: z.string().optional() })), z.null()]) });
const Body = z.looseObject({
  model: z.string().min(1).max(200),
  messages: z.array(Message).min(1).max(500),
  stream: z.boolean().optional(),
  user: z.string().min(1).max(256).optional(),
});

function agentOf(model: string): string {
  const m = /^(?:openclaw(?:[/:](.+))?|agent:(.+))$/.exec(model);
  if (!m) throw new GatewayError('INVALID_REQUEST', `unknown model "${model}": use "openclaw" or "openclaw/<agentId>"`);
  return (m[1] ?? m[2] ?? DEFAULT_AGENT_ID).toLowerCase();
}

function textOf(content: z.infer<typeof Message>['content']): string {
  if (typeof content === 'string') return content;
  if (!content) return '';
  return content.map((p) => p.text ?? '').join('');
}

/** Routes under /v1. */
export function openaiRoutes() {
  const app = new Hono<{ Bindings: Env }>();
  app.use('*', async (c, next) => {
    const token = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    const principal = token ? await authenticate(c.env, { token }) : null;
    if (!principal) return c.json({ error: { message: 'missing or invalid bearer token', type: 'invalid_request_error' } }, 401);
    if (!settingsOf(c.env).gateway.openaiHttp) return c.json({ error: { message: 'the OpenAI-compatible endpoint is disabled (set gateway.openaiHttp)', type: 'invalid_request_error' } }, 404);
    if (principal.role !== 'operator' || !scopeSatisfied(principal.granted, 'operator.write')) return c.json({ error: { message: 'missing scope: operator.write', type: 'permission_error' } }, 403);
    await next();
  });

  app.get('/models', (c) => c.json({ object: 'list', data: [{ id: 'openclaw', object: 'model', owned_by: 'edgeclaw' }, { id: `openclaw/${DEFAULT_AGENT_ID}`, object: 'model', owned_by: 'edgeclaw' }] }));

  app.post('/chat/completions', async (c) => {
    let json: unknown;
    try {
      json = await c.req.json();
    } catch {
      return c.json({ error: { message: 'malformed JSON body', type: 'invalid_request_error' } }, 400);
    }
    const parsed = Body.safeParse(json);
    if (!parsed.success) {
      const e = invalidParams('request', parsed.error.issues);
      return c.json({ error: { message: e.message, type: 'invalid_request_error' } }, 400);
    }
    const b = parsed.data;
    let agentId: string;
    try {
      agentId = agentOf(b.model);
    } catch (err) {
      return c.json({ error: { message: (err as Error).message, type: 'invalid_request_error' } }, 400);
    }
    const last = [...b.messages].reverse().find((m) => m.role === 'user');
    if (!last) return c.json({ error: { message: 'messages must contain a user message', type: 'invalid_request_error' } }, 400);
    const session = b.user ? `agent:${agentId}:openai:${(await sha256Hex(b.user)).slice(0, 24)}` : `agent:${agentId}:openai:${crypto.randomUUID()}`;
    const runId = `chatcmpl-${crypto.randomUUID()}`;
    const hub = hubOf(c.env);
    const enq = await c.env.SESSIONS.getByName(session).enqueue(session, { text: textOf(last.content), key: runId });
    if (enq.status === 'rejected') {
      return c.json({ error: { message: rejectionError(enq).message, type: 'rate_limit_error' } }, enq.reason === 'queue_full' ? 429 : 503, { 'Retry-After': String(Math.ceil(enq.retryAfterMs / 1000)) });
    }
    await hub.trackRun({ runId, sessionKey: session, status: 'running', acceptedAt: Date.now() });
    if (b.stream) return streamRun(hub, runId, b.model);
    const run = await hub.waitRun(runId, RUN_TIMEOUT_MS);
    if (!run || run.status === 'running') return c.json({ error: { message: 'the run did not finish in time', type: 'timeout_error' } }, 504);
    if (run.status !== 'ok') return c.json({ error: { message: run.error ?? `run ${run.status}`, type: 'server_error' } }, 502);
    const created = Math.floor(Date.now() / 1000);
    const text = run.text ?? '';
    return c.json({ id: runId, object: 'chat.completion', created, model: b.model, choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }] });
  });
  return app;
}

/** Longest wait for new text before a keep-alive comment goes out (proxies drop silent streams). */
const STREAM_POLL_MS = 15_000;

/**
 * Streams a run as OpenAI chunks while it runs: each new piece of the run's text is one delta (read from the
 * gateway as the run's chat events arrive), then `stop` (or an error chunk) and `[DONE]`. A client that goes
 * away ends the reading; the run itself continues and is kept in history.
 */
function streamRun(hub: Hub, runId: string, model: string): Response {
  const created = Math.floor(Date.now() / 1000);
  const enc = new TextEncoder();
  const chunk = (delta: Record<string, unknown>, finish: string | null) => `data: ${JSON.stringify({ id: runId, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (s: string) => controller.enqueue(enc.encode(s));
      const deadline = Date.now() + RUN_TIMEOUT_MS;
      try {
        await hub.watchRun(runId);
        send(chunk({ role: 'assistant', content: '' }, null));
        let sent = '';
        for (;;) {
          if (cancelled) return;
          const r = await hub.runText(runId, sent.length, Math.min(STREAM_POLL_MS, Math.max(0, deadline - Date.now())));
          // Text only grows while a run streams; a replaced draft (rare) is sent as its new tail.
          const next = r.text.startsWith(sent) ? r.text.slice(sent.length) : r.text.length > sent.length ? r.text.slice(sent.length) : '';
          if (next) send(chunk({ content: next }, null));
          sent = r.text.length >= sent.length ? r.text : sent;
          if (r.done) {
            if (r.status === 'ok') send(chunk({}, 'stop'));
            else send(`data: ${JSON.stringify({ error: { message: r.error ?? `run ${r.status}`, type: 'server_error' } })}\n\n`);
            break;
          }
          if (Date.now() >= deadline) {
            send(`data: ${JSON.stringify({ error: { message: 'the run did not finish in time', type: 'timeout_error' } })}\n\n`);
            break;
          }
          if (!next) send(': keep-alive\n\n');
        }
        send('data: [DONE]\n\n');
        controller.close();
      } catch (err) {
        if (!cancelled) controller.error(err);
      }
    },
    cancel() {
      cancelled = true;
    },
  });
  return new Response(body, { headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' } });
}
