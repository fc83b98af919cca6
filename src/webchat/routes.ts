/**
 * WebChat routes (mounted at `/chat`): the page, its script and its stylesheet, each with a strict CSP.
 * The page holds no secret: it authenticates over the gateway WebSocket with a token the user types.
 */
import { Hono } from 'hono';
import type { Env } from '../env.ts';
import { WEBCHAT_JS } from './client.ts';
import { pageResponse } from '../web/page-shell.ts';
import { WEBCHAT_CSS, WEBCHAT_HTML } from './page.ts';

/**
 * The WebChat sub-app. Mount with `app.route('/chat', webchatRoutes())`.
 * @example app.route('/chat', webchatRoutes())
 */
export function webchatRoutes() {
  const app = new Hono<{ Bindings: Env }>();
  app.get('/', () => pageResponse(WEBCHAT_HTML, 'text/html; charset=utf-8'));
  app.get('/app.js', () => pageResponse(WEBCHAT_JS, 'text/javascript; charset=utf-8'));
  app.get('/app.css', () => pageResponse(WEBCHAT_CSS, 'text/css; charset=utf-8'));
  return app;
}
