/**
 * createApp: the one Hono app both runtimes serve. Every HTTP route lives here and errors become wire
 * output only in `onError`. Hosts add nothing but bindings and, optionally, extra readiness checks.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { Env } from './env.ts';
import { GatewayError, invalidParams } from './errors.ts';
import { requireAdmin } from './auth.ts';
import { ConfigError } from './config/schema.ts';
import { settingsOf } from './config/settings.ts';
import { createLogger } from './log.ts';
import { SessionKeySchema } from './sessions/session-key.ts';
import { pendingMigrations } from './storage/migrations.ts';
import { DropPolicySchema, QueueModeSchema } from './scheduler/types.ts';
import { isHistoryCursor, MAX_HISTORY_PAGE } from './scheduler/session-history.ts';
import { gatewayRoutes } from './gateway/http.ts';
import { METRICS_CONTENT_TYPE, recordHttp, renderMetrics } from './metrics.ts';
import { mountLazy, notFoundJson } from './lazy-routes.ts';
import { CHANNEL_IDS } from './channels/ids.ts';
import { rejectionError } from './scheduler/rejection.ts';

/** A readiness check: resolves to null when fine, or to the reason it is not ready. */
export type ReadinessCheck = (env: Env) => Promise<string | null> | string | null;

/** Options a host may pass; Workers pass none. */
export interface AppOptions {
  /** Host-specific readiness (Node: socket listening, pollers started, not shutting down). */
  readonly readiness?: readonly ReadinessCheck[];
}

/** Longest accepted item text (bytes, UTF-8). */
const MAX_ITEM_TEXT = 64 * 1024;
/** How long /readyz waits for a durable object to answer. */
const DO_PING_TIMEOUT_MS = 5_000;
/** Name of the session object /readyz pings. */
const HEALTH_SESSION = 'edgeclaw:health';

const EnqueueBody = z.strictObject({
  text: z
    .string()
    .min(1, 'expected non-empty text')
    .refine((t) => new TextEncoder().encode(t).byteLength <= MAX_ITEM_TEXT, `expected at most ${MAX_ITEM_TEXT} bytes`),
  id: z.string().min(1).max(256).optional(),
  delayMs: z.number().int().min(0).max(3_600_000).optional(),
  queueMode: QueueModeSchema.optional(),
  thread: z.string().min(1).max(128).optional(),
  channel: z.string().regex(/^[a-z0-9_-]{1,64}$/, 'expected a lower-case channel name').optional(),
});

const HistoryQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_HISTORY_PAGE).default(50),
  cursor: z.string().refine(isHistoryCursor, 'expected a cursor from nextCursor').optional(),
});

const AbortBody = z.strictObject({ runId: z.string().min(1).max(64).optional() });
const CompactBody = z.strictObject({ keep: z.number().int().min(1).max(MAX_HISTORY_PAGE).optional() });
const PatchBody = z.strictObject({
  queueMode: QueueModeSchema.nullable().optional(),
  queueCap: z.number().int().min(1).max(10_000).nullable().optional(),
  queueDrop: DropPolicySchema.nullable().optional(),
  debounceMs: z.number().int().min(0).max(60_000).nullable().optional(),
  model: z.string().min(1).max(256).nullable().optional(),
});

const LimitQuery = z.coerce.number().int().min(1).max(500).default(50);

/** JSON body of a request, or an INVALID_REQUEST naming what is wrong with it. */
async function readJson(req: Request): Promise<unknown> {
  const type = req.headers.get('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new GatewayError('INVALID_REQUEST', 'expected content-type application/json');
  }
  try {
    return await req.json();
  } catch {
    throw new GatewayError('INVALID_REQUEST', 'malformed JSON body');
  }
}

function parseOr<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalidParams(what, parsed.error.issues);
  return parsed.data;
}

function withTimeout<T>(promise: Promise<T>, ms: number, reason: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(reason)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Reasons the deployment is not ready, in check order (empty when ready). */
async function readinessProblems(env: Env, extra: readonly ReadinessCheck[]): Promise<string[]> {
  const problems: string[] = [];
  try {
    settingsOf(env);
  } catch (err) {
    problems.push(err instanceof ConfigError ? `config invalid: ${err.message}` : 'config invalid');
    return problems;
  }
  try {
    const pending = await pendingMigrations(env.DB);
    if (pending.length > 0) problems.push(`registry migrations pending: ${pending.join(', ')}`);
  } catch {
    problems.push('registry database not answering');
  }
  try {
    await withTimeout(env.SESSIONS.getByName(HEALTH_SESSION).ping(), DO_PING_TIMEOUT_MS, 'timeout');
  } catch (err) {
    problems.push(`durable objects not answering${err instanceof Error && err.message === 'timeout' ? ' (timeout)' : ''}`);
  }
  for (const check of extra) {
    const reason = await check(env);
    if (reason) problems.push(reason);
  }
  return problems;
}

/**
 * Builds the app. `fetch(request, env, ctx)` is the whole interface both hosts call.
 * @example export default { fetch: createApp().fetch }
 */
export function createApp(options: AppOptions = {}) {
  const app = new Hono<{ Bindings: Env }>();
  const readiness = options.readiness ?? [];

  app.onError((err, c) => {
    if (err instanceof GatewayError) {
      if (err.extra.retryAfterMs) c.header('Retry-After', String(Math.ceil(err.extra.retryAfterMs / 1000)));
      return c.json({ ok: false, error: err.toShape() }, err.status as 400);
    }
    if (err instanceof ConfigError) {
      createLogger().error('configuration invalid', { problems: err.problems });
      return c.json({ ok: false, error: { code: 'UNAVAILABLE', message: 'server misconfigured; see logs' } }, 503);
    }
    createLogger().error('unhandled error', { err, path: new URL(c.req.url).pathname });
    return c.json({ ok: false, error: { code: 'UNAVAILABLE', message: 'internal error' } }, 500);
  });

  app.notFound(notFoundJson);

  app.use('*', async (c, next) => {
    await next();
    recordHttp(new URL(c.req.url).pathname, c.res.status);
  });

  app.get('/healthz', (c) => c.json({ ok: true, status: 'live' }));
  app.get('/metrics', requireAdmin(), (c) => c.body(renderMetrics(c.env.HOST_METRICS), 200, { 'content-type': METRICS_CONTENT_TYPE }));
  mountLazy(app, '/control', () => import('./control/routes.ts').then((m) => m.controlRoutes()));
  app.get('/health', (c) => c.json({ ok: true, status: 'live' }));

  app.get('/readyz', async (c) => {
    const problems = await readinessProblems(c.env, readiness);
    if (problems.length > 0) return c.json({ ready: false, reason: problems[0], problems }, 503);
    return c.json({ ready: true });
  });

  const sessions = new Hono<{ Bindings: Env }>();
  sessions.use('*', requireAdmin());

  sessions.get('/', async (c) => {
    const limit = parseOr(LimitQuery, c.req.query('limit'), 'query');
    const { listSessions } = await import('./storage/repos/sessions.ts');
    return c.json({ ok: true, sessions: await listSessions(c.env.DB, limit) });
  });

  sessions.post('/:key/queue', async (c) => {
    const key = parseOr(SessionKeySchema, c.req.param('key'), 'session key');
    const body = parseOr(EnqueueBody, await readJson(c.req.raw), 'body');
    const result = await c.env.SESSIONS.getByName(key).enqueue(key, {
      text: body.text,
      ...(body.id !== undefined ? { key: body.id } : {}),
      ...(body.delayMs !== undefined ? { availableAt: Date.now() + body.delayMs } : {}),
      ...(body.queueMode !== undefined ? { queueMode: body.queueMode } : {}),
      ...(body.thread !== undefined ? { thread: body.thread } : {}),
      ...(body.channel !== undefined ? { channel: body.channel } : {}),
    });
    if (result.status === 'rejected') throw rejectionError(result);
    return c.json({ ok: true, ...result }, result.status === 'queued' ? 202 : 200);
  });

  sessions.get('/:key', async (c) => {
    const key = parseOr(SessionKeySchema, c.req.param('key'), 'session key');
    return c.json({ ok: true, session: await c.env.SESSIONS.getByName(key).snapshot() });
  });

  sessions.get('/:key/history', async (c) => {
    const key = parseOr(SessionKeySchema, c.req.param('key'), 'session key');
    const q = parseOr(HistoryQuery, c.req.query(), 'query');
    const page = await c.env.SESSIONS.getByName(key).historyPage({ limit: q.limit, cursor: q.cursor ?? null });
    return c.json({ ok: true, history: page.entries, nextCursor: page.nextCursor });
  });

  sessions.post('/:key/abort', async (c) => {
    const key = parseOr(SessionKeySchema, c.req.param('key'), 'session key');
    const body = parseOr(AbortBody, await readJson(c.req.raw), 'body');
    return c.json({ ok: true, ...(await c.env.SESSIONS.getByName(key).abort(body.runId)) });
  });

  sessions.post('/:key/patch', async (c) => {
    const key = parseOr(SessionKeySchema, c.req.param('key'), 'session key');
    const body = parseOr(PatchBody, await readJson(c.req.raw), 'body');
    return c.json({ ok: true, overrides: await c.env.SESSIONS.getByName(key).patch(body) });
  });

  sessions.post('/:key/compact', async (c) => {
    const key = parseOr(SessionKeySchema, c.req.param('key'), 'session key');
    const body = parseOr(CompactBody, await readJson(c.req.raw), 'body');
    return c.json({ ok: true, ...(await c.env.SESSIONS.getByName(key).compact(body.keep)) });
  });

  sessions.post('/:key/reset', async (c) => {
    const key = parseOr(SessionKeySchema, c.req.param('key'), 'session key');
    return c.json({ ok: true, ...(await c.env.SESSIONS.getByName(key).reset()) });
  });

  app.route('/sessions', sessions);
  // Channel drivers (the registry's table and each driver) load on the first request under `/<id>` (an idle
  // gateway carries neither the drivers nor grammY and friends); each sits behind the account guard
  // (logged-out accounts answer 503). A driver without routes (Signal) answers every path with the 404.
  for (const id of CHANNEL_IDS) {
    mountLazy(app, `/${id}`, async () => {
      const [{ channelDriver }, { guardChannelRoutes }] = await Promise.all([import('./channels/registry.ts'), import('./channels/account-state.ts')]);
      const driver = channelDriver(id);
      const routes = driver?.routes ? await driver.routes() : null;
      return driver && routes ? guardChannelRoutes(driver, routes) : new Hono<{ Bindings: Env }>();
    });
  }
  mountLazy(app, '/chat', () => import('./webchat/routes.ts').then((m) => m.webchatRoutes()));
  app.route('/', gatewayRoutes());
  return app;
}

