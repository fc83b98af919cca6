/**
 * The gateway's HTTP surface: the WebSocket upgrade at `/` (handed to GatewayDO), the control page or a JSON
 * descriptor for a plain `GET /`, and, loaded on first use, `/rpc` + `/status` (gateway/rpc-http.ts),
 * `/hooks` and `/v1`.
 */
import { Hono } from 'hono';
import type { Env } from '../env.ts';
import { METRICS } from '../metrics.ts';
import { prefersHtml } from '../control/prefers-html.ts';
import { mountLazy } from '../lazy-routes.ts';
import type { Hub } from './registry.ts';
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

/** Routes of the gateway surface, mounted at `/` by createApp. */
export function gatewayRoutes() {
  const app = new Hono<{ Bindings: Env }>();

  app.get('/', async (c) => {
    if (c.req.header('upgrade')?.toLowerCase() === 'websocket') {
      METRICS.gatewayConnections.inc({ transport: 'ws' });
      return c.env.GATEWAY.getByName('main').fetch(c.req.raw);
    }
    if (prefersHtml(c.req.header('accept'))) return (await import('../control/routes.ts')).controlPage();
    return c.json({ name: 'edgeclaw', gateway: 'openclaw-protocol-v4', websocket: '/', rpc: '/rpc', methods: '/rpc/methods' });
  });

  // Each family loads on its first request (an idle gateway carries neither the method registry nor /v1).
  mountLazy(app, '/hooks', () => import('./hooks.ts').then((m) => m.hookRoutes()));
  mountLazy(app, '/v1', () => import('./openai-http.ts').then((m) => m.openaiRoutes()));
  mountLazy(app, '/rpc', () => import('./rpc-http.ts').then((m) => m.rpcRoutes()));
  mountLazy(app, '/status', () => import('./rpc-http.ts').then((m) => m.statusRoutes()));
  return app;
}
