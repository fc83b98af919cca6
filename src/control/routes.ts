/**
 * The control page: `GET /` for browsers (see gateway/http.ts) plus /control/app.js and /control/app.css,
 * each with a strict CSP. The page holds no secret; it authenticates over the gateway WebSocket.
 */
import { Hono } from 'hono';
import type { Env } from '../env.ts';
import { CONTROL_JS } from './client.ts';
import { pageResponse } from '../web/page-shell.ts';
import { CONTROL_CSS, CONTROL_HTML } from './page.ts';

export { prefersHtml } from './prefers-html.ts';

/** The control page document. */
export function controlPage(): Response {
  return pageResponse(CONTROL_HTML, 'text/html; charset=utf-8');
}

/**
 * The page's assets. Mount with `app.route('/control', controlRoutes())`.
 * @example app.route('/control', controlRoutes())
 */
export function controlRoutes() {
  const app = new Hono<{ Bindings: Env }>();
  app.get('/', () => controlPage());
  app.get('/app.js', () => pageResponse(CONTROL_JS, 'text/javascript; charset=utf-8'));
  app.get('/app.css', () => pageResponse(CONTROL_CSS, 'text/css; charset=utf-8'));
  return app;
}
