/**
 * `POST /rpc` (one request frame in, its response frame out; Bearer auth and the same scope checks as
 * WebSocket), `GET /rpc/methods` and `GET /status`. Imported on the first request under them (see
 * gateway/http.ts), with the method registry they dispatch to.
 */
import { Hono } from 'hono';
import type { Env } from '../env.ts';
import { GatewayError } from '../errors.ts';
import { authenticate, type Principal } from './credentials.ts';
import { toProtocolError } from './connection.ts';
import { RequestFrameSchema } from './frames.ts';
import { METHODS } from './methods/index.ts';
import { hubOf } from './http.ts';
import type { MethodContext } from './registry.ts';

const STATUS_OF: Record<string, number> = { INVALID_REQUEST: 400, FORBIDDEN: 403, UNAVAILABLE: 503, NOT_PAIRED: 403, APPROVAL_NOT_FOUND: 404 };

async function bearer(env: Env, header: string | undefined): Promise<Principal> {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  const principal = m ? await authenticate(env, { token: m[1]! }) : null;
  if (!principal) throw new GatewayError('UNAUTHORIZED', 'missing or invalid bearer token');
  return principal;
}

/**
 * Routes under `/rpc`: `POST /` dispatches one frame, `GET /methods` lists the registry.
 * @example app.route('/rpc', rpcRoutes())
 */
export function rpcRoutes() {
  const app = new Hono<{ Bindings: Env }>();
  app.get('/methods', (c) => c.json({ ok: true, methods: METHODS.describe() }));

  app.post('/', async (c) => {
    const principal = await bearer(c.env, c.req.header('authorization'));
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw new GatewayError('INVALID_REQUEST', 'malformed JSON body');
    }
    const frame = RequestFrameSchema.safeParse(body);
    if (!frame.success) {
      const issue = frame.error.issues[0];
      throw new GatewayError('INVALID_REQUEST', `invalid frame: ${issue ? `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}` : 'malformed'}`);
    }
    const req = frame.data;
    const ctx: MethodContext = {
      env: c.env,
      hub: hubOf(c.env),
      now: Date.now(),
      caller: { connId: `http:${crypto.randomUUID()}`, role: principal.role, scopes: principal.granted, clientId: 'http', clientMode: 'backend', transport: 'http' },
    };
    try {
      const result = await METHODS.dispatch(ctx, req.method, req.params);
      const payload = typeof result === 'object' && result !== null && (result as { twoPhase?: boolean }).twoPhase ? (result as { accepted: unknown }).accepted : result;
      return c.json({ type: 'res', id: req.id, ok: true, payload });
    } catch (err) {
      const error = toProtocolError(err);
      return c.json({ type: 'res', id: req.id, ok: false, error }, (STATUS_OF[error.code] ?? 400) as 400);
    }
  });

  return app;
}

/**
 * `GET /status` (mounted at `/status`): version, session count and uptime for a bearer token.
 * @example app.route('/status', statusRoutes())
 */
export function statusRoutes() {
  const app = new Hono<{ Bindings: Env }>();
  app.get('/', async (c) => {
    const principal = await bearer(c.env, c.req.header('authorization'));
    const ctx: MethodContext = { env: c.env, hub: hubOf(c.env), now: Date.now(), caller: { connId: 'http', role: principal.role, scopes: principal.granted, clientId: 'http', clientMode: 'backend', transport: 'http' } };
    const status = (await METHODS.dispatch(ctx, 'status', {})) as { runtimeVersion: string; sessions: { count: number }; uptimeMs: number };
    return c.json({ ok: true, version: status.runtimeVersion, sessions: status.sessions.count, uptimeMs: status.uptimeMs });
  });

  return app;
}
