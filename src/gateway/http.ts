/**
 * The gateway's HTTP surface: `POST /rpc` (one request frame in, its response frame out; Bearer auth and
 * the same scope checks as WebSocket), `GET /rpc/methods`, `GET /status`, and the WebSocket upgrade at `/`,
 * which is handed to GatewayDO.
 */
import { Hono } from 'hono';
import type { Env } from '../env.ts';
import { GatewayError } from '../errors.ts';
import { authenticate, type Principal } from './credentials.ts';
import { toProtocolError } from './connection.ts';
import { RequestFrameSchema } from './frames.ts';
import { METHODS } from './methods/index.ts';
import { hookRoutes } from './hooks.ts';
import { METRICS } from '../metrics.ts';
import { controlPage, prefersHtml } from '../control/routes.ts';
import { openaiRoutes } from './openai-http.ts';
import type { Hub, MethodContext } from './registry.ts';
import { controlHubOf } from './control-hub.ts';
import { deviceHubOf } from './device-hub.ts';

/** The hub over RPC to the one GatewayDO (what HTTP-dispatched methods use). */
export function hubOf(env: Env): Hub {
  const stub = () => env.GATEWAY.getByName('main');
  return {
    presence: () => stub().presence(),
    broadcast: (event, payload) => stub().broadcast(event, payload),
    trackRun: (run) => stub().trackRun(run),
    waitRun: (runId, timeoutMs) => stub().waitRun(runId, timeoutMs),
    uptimeMs: () => stub().uptimeMs(),
    listApprovals: (opts) => stub().listApprovals(opts),
    resolveApproval: (id, decision, by) => stub().resolveApproval(id, decision, by),
    signAttestation: (payload) => stub().signAttestation(payload),
    watchRun: (runId) => stub().watchRun(runId),
    runText: (runId, after, timeoutMs) => stub().runText(runId, after, timeoutMs),
    oauthStart: (provider, idp) => stub().oauthStart(provider, idp),
    oauthPoll: (loginId) => stub().oauthPoll(loginId),
    oauthList: () => stub().oauthList(),
    oauthLogout: (provider) => stub().oauthLogout(provider),
    ...controlHubOf(stub),
    ...deviceHubOf(stub),
  };
}

const STATUS_OF: Record<string, number> = { INVALID_REQUEST: 400, FORBIDDEN: 403, UNAVAILABLE: 503, NOT_PAIRED: 403, APPROVAL_NOT_FOUND: 404 };

async function bearer(env: Env, header: string | undefined): Promise<Principal> {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  const principal = m ? await authenticate(env, { token: m[1]! }) : null;
  if (!principal) throw new GatewayError('UNAUTHORIZED', 'missing or invalid bearer token');
  return principal;
}

/** Routes of the gateway surface, mounted at `/` by createApp. */
export function gatewayRoutes() {
  const app = new Hono<{ Bindings: Env }>();

  app.get('/', async (c) => {
    if (c.req.header('upgrade')?.toLowerCase() === 'websocket') {
      METRICS.gatewayConnections.inc({ transport: 'ws' });
      return c.env.GATEWAY.getByName('main').fetch(c.req.raw);
    }
    if (prefersHtml(c.req.header('accept'))) return controlPage();
    return c.json({ name: 'edgeclaw', gateway: 'openclaw-protocol-v4', websocket: '/', rpc: '/rpc', methods: '/rpc/methods' });
  });

  app.route('/hooks', hookRoutes());
  app.route('/v1', openaiRoutes());

  app.get('/rpc/methods', (c) => c.json({ ok: true, methods: METHODS.describe() }));

  app.post('/rpc', async (c) => {
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

  app.get('/status', async (c) => {
    const principal = await bearer(c.env, c.req.header('authorization'));
    const ctx: MethodContext = { env: c.env, hub: hubOf(c.env), now: Date.now(), caller: { connId: 'http', role: principal.role, scopes: principal.granted, clientId: 'http', clientMode: 'backend', transport: 'http' } };
    const status = (await METHODS.dispatch(ctx, 'status', {})) as { runtimeVersion: string; sessions: { count: number }; uptimeMs: number };
    return c.json({ ok: true, version: status.runtimeVersion, sessions: status.sessions.count, uptimeMs: status.uptimeMs });
  });

  return app;
}
