/**
 * The control page: `GET /` for browsers (see gateway/http.ts) plus /control/app.js and /control/app.css,
 * each with a strict CSP. The page holds no secret; it authenticates over the gateway WebSocket.
 */
import { Hono } from 'hono';
import type { Env } from '../env.ts';
import { CONTROL_JS } from './client.ts';
import { CONTROL_CSS, CONTROL_HTML } from './page.ts';

export { prefersHtml } from './prefers-html.ts';

/** Same-origin script, style and WebSocket only; no inline code, framing or form posts (CSP3: 'self' covers ws:). */
export const CONTROL_CSP = ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "img-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"].join('; ');

const HEADERS = {
  'content-security-policy': CONTROL_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cache-control': 'no-store',
};

function respond(body: string, type: string): Response {
  return new Response(body, { headers: { 'content-type': type, ...HEADERS } });
}

/** The control page document. */
export function controlPage(): Response {
  return respond(CONTROL_HTML, 'text/html; charset=utf-8');
}

/**
 * The page's assets. Mount with `app.route('/control', controlRoutes())`.
 * @example app.route('/control', controlRoutes())
 */
export function controlRoutes() {
  const app = new Hono<{ Bindings: Env }>();
  app.get('/', () => controlPage());
  app.get('/app.js', () => respond(CONTROL_JS, 'text/javascript; charset=utf-8'));
  app.get('/app.css', () => respond(CONTROL_CSS, 'text/css; charset=utf-8'));
  return app;
}
