/**
 * The control page: `GET /` for browsers (see gateway/http.ts) plus /control/app.js and /control/app.css,
 * each with a strict CSP. The page holds no secret; it authenticates over the gateway WebSocket.
 */
import { Hono } from 'hono';
import type { Env } from '../env.ts';
import { CONTROL_JS } from './client.ts';
import { pageResponse } from '../web/page-shell.ts';
import { CONTROL_CSS, CONTROL_HTML } from './page.ts';

/** Whether an Accept header prefers HTML over JSON (browsers navigating; curl's `*\/*` gets JSON). */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const q = (type: string) => {
    const part = accept.split(',').map((s) => s.trim()).find((s) => s.split(';')[0]!.trim().toLowerCase() === type);
    if (!part) return 0;
    const m = /;\s*q=([0-9.]+)/.exec(part);
    return m ? Number(m[1]) : 1;
  };
  return q('text/html') > 0 && q('text/html') >= q('application/json');
}

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
