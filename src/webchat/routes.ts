/**
 * WebChat routes (mounted at `/chat`): the page, its script and its stylesheet, each with a strict CSP.
 * The page holds no secret: it authenticates over the gateway WebSocket with a token the user types.
 */
import { Hono, type Context } from 'hono';
import type { Env } from '../env.ts';
import { WEBCHAT_JS } from './client.ts';
import { WEBCHAT_CSS, WEBCHAT_HTML } from './page.ts';

/**
 * Only same-origin script, style and WebSocket; no inline code, no framing, no form posts anywhere, no
 * plugins. CSP3 lets `connect-src 'self'` match ws:/wss: on the same host.
 */
export const WEBCHAT_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function serve(c: Context, body: string, type: string) {
  c.header('content-type', type);
  c.header('content-security-policy', WEBCHAT_CSP);
  c.header('x-content-type-options', 'nosniff');
  c.header('x-frame-options', 'DENY');
  c.header('referrer-policy', 'no-referrer');
  c.header('cross-origin-opener-policy', 'same-origin');
  c.header('cache-control', 'no-store');
  return c.body(body);
}

/**
 * The WebChat sub-app. Mount with `app.route('/chat', webchatRoutes())`.
 * @example app.route('/chat', webchatRoutes())
 */
export function webchatRoutes() {
  const app = new Hono<{ Bindings: Env }>();
  app.get('/', (c) => serve(c, WEBCHAT_HTML, 'text/html; charset=utf-8'));
  app.get('/app.js', (c) => serve(c, WEBCHAT_JS, 'text/javascript; charset=utf-8'));
  app.get('/app.css', (c) => serve(c, WEBCHAT_CSS, 'text/css; charset=utf-8'));
  return app;
}
