/**
 * Webhook triggers on the gateway port (reference §6 "Hooks"): `POST /hooks/wake` queues a note into the
 * main session, `POST /hooks/agent` starts a run in an isolated `hook:<uuid>` session. They use their own
 * token (never the gateway token), compared in constant time, with failed attempts limited per address.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { constantTimeEqual, sha256Hex } from '../auth.ts';
import type { Env } from '../env.ts';
import { GatewayError, invalidParams } from '../errors.ts';
import { hubOf } from './http.ts';
import { DEFAULT_AGENT_ID } from './methods/system.ts';
import { rejectionError } from '../scheduler/rejection.ts';

/** Largest hook body accepted. */
const MAX_HOOK_BODY = 256 * 1024;

const WakeBody = z.strictObject({
  text: z.string().min(1).max(64 * 1024),
  mode: z.enum(['now', 'next-heartbeat']).default('now'),
  agentId: z.string().min(1).max(64).optional(),
});

const AgentBody = z.looseObject({
  message: z.string().min(1).max(128 * 1024),
  name: z.string().max(128).default('Hook'),
  agentId: z.string().min(1).max(64).optional(),
  idempotencyKey: z.string().min(1).max(256).optional(),
});

async function hookAuth(env: Env, req: Request): Promise<void> {
  const url = new URL(req.url);
  if (url.searchParams.has('token')) throw new GatewayError('INVALID_REQUEST', 'hook tokens in the query string are refused; use Authorization: Bearer or x-openclaw-token');
  const remote = req.headers.get('cf-connecting-ip') ?? req.headers.get('x-edgeclaw-remote') ?? 'unknown';
  const hub = env.GATEWAY.getByName('main');
  const wait = await hub.authBlockedFor(`hooks:${remote}`);
  if (wait > 0) throw new GatewayError('RATE_LIMITED', 'too many failed hook attempts; retry later', { retryable: true, retryAfterMs: wait });
  const configured = env.EDGECLAW_HOOKS_TOKEN;
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.get('authorization') ?? '')?.[1] ?? req.headers.get('x-openclaw-token') ?? '';
  const ok = configured !== undefined && configured.length > 0 && constantTimeEqual(await sha256Hex(bearer), await sha256Hex(configured));
  if (!ok) {
    await hub.authFailed(`hooks:${remote}`);
    throw new GatewayError('UNAUTHORIZED', configured ? 'missing or invalid hook token' : 'hooks are not enabled (set hooks.token / EDGECLAW_HOOKS_TOKEN)');
  }
}

async function body<T>(req: Request, schema: z.ZodType<T>): Promise<T> {
  const text = await req.text();
  if (new TextEncoder().encode(text).byteLength > MAX_HOOK_BODY) throw new GatewayError('INVALID_REQUEST', `hook body exceeds ${MAX_HOOK_BODY} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new GatewayError('INVALID_REQUEST', 'malformed JSON body');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw invalidParams('hook body', parsed.error.issues);
  return parsed.data;
}

/** Routes under /hooks. */
export function hookRoutes() {
  const app = new Hono<{ Bindings: Env }>();
  app.use('*', async (c, next) => {
    if (c.req.method !== 'POST') return c.json({ ok: false, error: { code: 'INVALID_REQUEST', message: 'hooks accept POST only' } }, 405, { Allow: 'POST' });
    await hookAuth(c.env, c.req.raw);
    await next();
  });

  app.post('/wake', async (c) => {
    const b = await body(c.req.raw, WakeBody);
    const key = `agent:${(b.agentId ?? DEFAULT_AGENT_ID).toLowerCase()}:main`;
    // The same path as the `wake` method, so last-heartbeat reports hook wakes too.
    const result = await hubOf(c.env).wake({ mode: b.mode, text: b.text, sessionKey: key });
    return c.json({ ok: true, mode: b.mode, eventOutcome: result.eventOutcome });
  });

  app.post('/agent', async (c) => {
    const b = await body(c.req.raw, AgentBody);
    const runId = c.req.header('idempotency-key') ?? b.idempotencyKey ?? `hook-${crypto.randomUUID()}`;
    const key = `hook:${await sha256Hex(runId).then((h) => h.slice(0, 32))}`;
    const result = await c.env.SESSIONS.getByName(key).enqueue(key, { text: b.message, key: runId });
    if (result.status === 'rejected') throw rejectionError(result, 'hook session');
    if (result.status !== 'duplicate') await hubOf(c.env).trackRun({ runId, sessionKey: key, status: 'running', acceptedAt: Date.now() });
    return c.json({ ok: true, runId, sessionKey: key, ...(result.status === 'duplicate' ? { deduplicated: true } : {}) });
  });
  return app;
}
