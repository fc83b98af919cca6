/**
 * WhatsApp HTTP routes (mounted at `/whatsapp`): `GET /:account/webhook` answers Meta's verify handshake
 * (hub.mode=subscribe and the configured hub.verify_token, compared in constant time → hub.challenge);
 * `POST /:account/webhook` checks X-Hub-Signature-256 over the raw body before parsing it, hands each
 * text message to its session durably (dedupe by message id, so a redelivery queues nothing) and only
 * then answers 200. No model work happens before the ack.
 */
import { Hono } from 'hono';
import { constantTimeEqual } from '../../auth.ts';
import type { Env } from '../../env.ts';
import { decideActivation } from '../activation.ts';
import { inboundKey, type InboundSink } from '../envelope.ts';
import { sessionsSink } from '../sessions-sink.ts';
import { accountLogger, fail, handOff, readBoundedBody } from '../webhook-kit.ts';
import { findWhatsAppAccount, whatsappActivation, type WhatsAppVars } from './config.ts';
import { normalizeWhatsApp, verifyWhatsAppSignature, WhatsAppWebhookSchema, whatsappReplyTarget, whatsappSessionKey } from './webhook.ts';

type WaEnv = Env & WhatsAppVars;

/** Ports the routes use; the default sink is env.SESSIONS. */
export interface WhatsAppRouteDeps {
  sink?(env: WaEnv): InboundSink;
}

/** Largest webhook body accepted (Meta batches at most a few KB of messages). */
export const MAX_WHATSAPP_BODY_BYTES = 256 * 1024;

/**
 * The WhatsApp sub-app. Mount with `app.route('/whatsapp', whatsappRoutes())`.
 * @example app.route('/whatsapp', whatsappRoutes())
 */
export function whatsappRoutes(deps: WhatsAppRouteDeps = {}) {
  const app = new Hono<{ Bindings: WaEnv }>();

  app.get('/:account/webhook', (c) => {
    const account = findWhatsAppAccount(c.env, c.req.param('account'));
    if (!account) return fail(c, 404, 'NOT_FOUND', 'no such whatsapp account');
    const mode = c.req.query('hub.mode');
    const token = c.req.query('hub.verify_token') ?? '';
    const challenge = c.req.query('hub.challenge') ?? '';
    if (mode !== 'subscribe' || !constantTimeEqual(token, account.verifyToken)) return fail(c, 403, 'FORBIDDEN', 'verify token is missing or wrong');
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(challenge)) return fail(c, 400, 'INVALID_REQUEST', 'hub.challenge missing or malformed');
    return c.text(challenge);
  });

  app.post('/:account/webhook', async (c) => {
    const account = findWhatsAppAccount(c.env, c.req.param('account'));
    if (!account) return fail(c, 404, 'NOT_FOUND', 'no such whatsapp account');
    const raw = await readBoundedBody(c, MAX_WHATSAPP_BODY_BYTES);
    if (raw === null) return fail(c, 413, 'INVALID_REQUEST', 'body too large');
    const log = accountLogger(c.env, 'whatsapp', account.id);
    if (!(await verifyWhatsAppSignature(account.appSecret, raw, c.req.header('x-hub-signature-256')))) {
      log.warn('whatsapp webhook refused: bad or missing X-Hub-Signature-256');
      return fail(c, 401, 'UNAUTHORIZED', 'signature missing or wrong');
    }
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return fail(c, 400, 'INVALID_REQUEST', 'malformed JSON body');
    }
    const parsed = WhatsAppWebhookSchema.safeParse(body);
    if (!parsed.success) return fail(c, 400, 'INVALID_REQUEST', `invalid webhook: ${parsed.error.issues[0]?.message ?? 'unknown'}`);
    const { envelopes, skipped } = normalizeWhatsApp(parsed.data, account.id, account.phoneNumberId);
    const statuses: string[] = [];
    const sink = deps.sink?.(c.env) ?? sessionsSink(c.env.SESSIONS);
    for (const env of envelopes) {
      const activation = decideActivation(env, whatsappActivation(account), { addressed: false });
      if (activation.action !== 'accept') {
        statuses.push('ignored');
        continue;
      }
      const r = await handOff(sink, { sessionKey: whatsappSessionKey(env, account), idempotencyKey: inboundKey(env), text: env.text, target: whatsappReplyTarget(env), envelope: env }, log);
      // Earlier messages of this batch are recorded and deduped on redelivery; a 5xx makes Meta retry.
      if (!r) return fail(c, 503, 'UNAVAILABLE', 'message not recorded; retry');
      statuses.push(r.status);
    }
    log.debug('whatsapp webhook', { statuses, skipped });
    c.header('x-edgeclaw-delivery', 'durable');
    return c.json({ ok: true, statuses, skipped });
  });

  return app;
}
