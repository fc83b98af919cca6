/**
 * Sub-apps imported on their first request: a route family an idle gateway never serves (a channel's
 * webhook, the control page, `/rpc`, `/v1`) costs no memory until someone uses it.
 */
import { Hono, type Context } from 'hono';
import type { Env } from './env.ts';

/** The one 404 body of the app (also what a lazily mounted sub-app answers for a path it lacks). */
export function notFoundJson(c: Context): Response {
  return c.json({ ok: false, error: { code: 'NOT_FOUND', message: `no route for ${c.req.method} ${new URL(c.req.url).pathname}` } }, 404);
}

/** The execution context, when the host gave one (Hono throws on access otherwise). */
function executionCtxOf(c: Context): Context['executionCtx'] | undefined {
  try {
    return c.executionCtx;
  } catch {
    return undefined;
  }
}

/**
 * Mounts a sub-app at `prefix` (`prefix` and everything under it, any method) that is imported on the first
 * request under it. Errors go back to `app`'s onError, and unknown paths get the app's JSON 404.
 * @example mountLazy(app, '/v1', () => import('./gateway/openai-http.ts').then((m) => m.openaiRoutes()))
 */
export function mountLazy(app: Hono<{ Bindings: Env }>, prefix: string, load: () => Promise<Hono<{ Bindings: Env }>>): void {
  let sub: Promise<Hono<{ Bindings: Env }>> | null = null;
  const handler = async (c: Context<{ Bindings: Env }>) => {
    // Errors go back to this app's onError (one place turns errors into wire output), not to the sub-app's default 500.
    sub ??= load().then(
      (routes) =>
        new Hono<{ Bindings: Env }>()
          .onError((err) => {
            throw err;
          })
          .notFound(notFoundJson)
          .route(prefix, routes),
      (err: unknown) => {
        sub = null; // a failed import is retried by the next request
        throw err;
      },
    );
    return (await sub).fetch(c.req.raw, c.env, executionCtxOf(c));
  };
  app.all(prefix, handler);
  app.all(`${prefix}/*`, handler);
}
