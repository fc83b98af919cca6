/**
 * Small pieces every webhook route repeats: the error body, a size-bounded raw body (signatures are
 * checked over the raw bytes before any parsing), the per-account logger, work after the response, and
 * the durable hand-off whose failure becomes a retryable 503 (nothing was recorded, the platform retries).
 */
import type { Context } from 'hono';
import type { Env } from '../env.ts';
import { createLogger, type Logger } from '../log.ts';
import type { DeliverResult, InboundSink, RoutedMessage } from './envelope.ts';

/** HTTP statuses a channel route answers with on its own. */
export type FailStatus = 400 | 401 | 403 | 404 | 409 | 413 | 503;

/**
 * The shared error body `{ok:false, error:{code, message}}`.
 * @example return fail(c, 404, 'NOT_FOUND', 'no such slack account')
 */
export function fail(c: Context, status: FailStatus, code: string, message: string): Response {
  return c.json({ ok: false, error: { code, message } }, status);
}

/** The raw body as text, or null when it is larger than `max` bytes (declared or actual). */
export async function readBoundedBody(c: Context, max: number): Promise<string | null> {
  if (Number(c.req.header('content-length') ?? '0') > max) return null;
  const raw = await c.req.text();
  return new TextEncoder().encode(raw).byteLength > max ? null : raw;
}

/** The route logger of one account (debug when the deployment logs at debug). */
export function accountLogger(env: Pick<Env, 'EDGECLAW_LOG_LEVEL'>, channel: string, account: string): Logger {
  return createLogger(env.EDGECLAW_LOG_LEVEL === 'debug' ? 'debug' : 'info', { channel, account });
}

/** Runs `p` after the response when the host offers waitUntil, else in the background. */
export function afterResponse(c: Context, p: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(p);
  } catch {
    void p; // no execution context (app.request in tests): the promise still runs to completion
  }
}

/**
 * Hands one message to its session; a throw (nothing recorded) becomes `null` after logging, so the
 * route answers 503 and the platform delivers again (deduped if the first attempt landed after all).
 * @example const r = await handOff(sink, message, log); if (!r) return fail(c, 503, 'UNAVAILABLE', 'not recorded; retry')
 */
export async function handOff(sink: InboundSink, message: RoutedMessage, log: Logger): Promise<DeliverResult | null> {
  try {
    return await sink.deliver(message);
  } catch (err) {
    log.error('inbound message not handed off', { err, channel: message.envelope.channel, transportId: message.envelope.transportId });
    return null;
  }
}
