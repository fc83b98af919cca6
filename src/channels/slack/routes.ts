/**
 * Slack HTTP routes (mounted at `/slack`): `POST /:account/events` is the Events API request URL. Every
 * request is verified (v0 signature, 5-minute window) before its body is parsed; the URL check is
 * answered with its challenge; a message event is handed to its session durably (dedupe by `event_id`,
 * so a retry carrying X-Slack-Retry-Num is acknowledged as a duplicate and not queued again) and only then
 * acknowledged with 200. No model work happens before the ack, which keeps Slack's 3-second deadline.
 */
import { Hono, type Context } from 'hono';
import type { Env } from '../../env.ts';
import { decideActivation } from '../activation.ts';
import { inboundKey, type InboundSink, type ReplyTarget } from '../envelope.ts';
import { MemoryOutboxStore } from '../outbox.ts';
import { DEFAULT_RETRY } from '../retry.ts';
import { sessionsSink } from '../sessions-sink.ts';
import { createSlackApi } from './api.ts';
import { findSlackAccount, slackActivation, type SlackVars } from './config.ts';
import { createSlackOutbox } from './delivery.ts';
import { normalizeSlackEvent, slackReplyTarget, slackSessionKey, SlackPayloadSchema } from './events.ts';
import { verifySlackSignature } from './signature.ts';
import { accountLogger, afterResponse, fail as failWith, handOff, readBoundedBody, type FailStatus } from '../webhook-kit.ts';

type SlackEnv = Env & SlackVars;

/** Ports the routes use; defaults are env.SESSIONS, the real Web API and the real clock. */
export interface SlackRouteDeps {
  sink?(env: SlackEnv): InboundSink;
  fetch?(env: SlackEnv): typeof fetch;
  now?(): number;
}

/** Largest request body accepted (event payloads are a few KB). */
export const MAX_SLACK_BODY_BYTES = 256 * 1024;
/** Budget of short notices sent after the ack (a webhook isolate should not linger). */
const NOTICE_RETRY = { ...DEFAULT_RETRY, maxAttempts: 3, maxRateLimitWaits: 2, maxRetryAfterMs: 10_000, maxTotalWaitMs: 20_000 };
// Per-isolate store for notices: a redelivered event inside one isolate is answered once.
const noticeStore = new MemoryOutboxStore(2_000);

/** The answer an unknown DM sender gets under `dmPolicy: pairing`. */
export function slackPairingText(userId: string): string {
  return `This assistant is private and does not know you yet.\nYour Slack user id: ${userId}\nAsk its owner to add it to allowFrom (SLACK_ALLOW_FROM); then write again.`;
}

const fail = (c: Context, status: FailStatus, code: string, message: string) => {
  // Slack retries non-2xx answers; a bad signature or body will not get better, so ask it not to.
  if (status !== 503) c.header('x-slack-no-retry', '1');
  return failWith(c, status, code, message);
};

/**
 * The Slack sub-app. Mount with `app.route('/slack', slackRoutes())`.
 * @example app.route('/slack', slackRoutes())
 */
export function slackRoutes(deps: SlackRouteDeps = {}) {
  const app = new Hono<{ Bindings: SlackEnv }>();

  app.post('/:account/events', async (c) => {
    const account = findSlackAccount(c.env, c.req.param('account'));
    if (!account) return fail(c, 404, 'NOT_FOUND', 'no such slack account');
    const raw = await readBoundedBody(c, MAX_SLACK_BODY_BYTES);
    if (raw === null) return fail(c, 413, 'INVALID_REQUEST', 'body too large');
    const log = accountLogger(c.env, 'slack', account.id);
    const verdict = await verifySlackSignature({
      secret: account.signingSecret,
      timestamp: c.req.header('x-slack-request-timestamp'),
      signature: c.req.header('x-slack-signature'),
      body: raw,
      now: deps.now?.() ?? Date.now(),
    });
    if (!verdict.ok) {
      log.warn('slack request refused', { reason: verdict.reason });
      return fail(c, 401, 'UNAUTHORIZED', verdict.reason === 'stale' ? 'request timestamp outside the 5-minute window' : 'signature missing or wrong');
    }
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return fail(c, 400, 'INVALID_REQUEST', 'malformed JSON body');
    }
    const parsed = SlackPayloadSchema.safeParse(body);
    if (!parsed.success) return c.json({ ok: true, status: 'ignored', reason: 'payload type not handled' });
    const payload = parsed.data;
    if (payload.type === 'url_verification') return c.json({ challenge: payload.challenge });

    const retry = c.req.header('x-slack-retry-num');
    const n = normalizeSlackEvent(payload, account.id);
    if (!n.ok) return c.json({ ok: true, status: 'ignored', reason: n.reason });
    const env = n.envelope;
    const target = slackReplyTarget(env);
    const notice = (text: string) => {
      const outbox = createSlackOutbox({ account: () => account, api: (a) => createSlackApi({ ...a, ...(deps.fetch ? { fetch: deps.fetch(c.env) } : {}) }), store: noticeStore, policy: NOTICE_RETRY });
      afterResponse(c, outbox.deliverPlain(`notice:${inboundKey(env)}`, target, text).then((r) => r.status !== 'sent' && log.warn('slack notice not delivered', { error: r.error })));
    };
    const activation = decideActivation(env, slackActivation(account), { addressed: false });
    if (activation.action === 'ignore') return c.json({ ok: true, status: 'ignored', reason: activation.reason });
    if (activation.action === 'pair') {
      notice(slackPairingText(activation.senderId));
      return c.json({ ok: true, status: 'answered', reason: 'pairing' });
    }
    if (!env.text) return c.json({ ok: true, status: 'ignored', reason: 'no text' });
    const sessionKey = slackSessionKey(env, account);
    const sink = deps.sink?.(c.env) ?? sessionsSink(c.env.SESSIONS);
    const result = await handOff(sink, { sessionKey, idempotencyKey: inboundKey(env), text: env.text, target: target satisfies ReplyTarget, envelope: env }, log);
    if (!result) return fail(c, 503, 'UNAVAILABLE', 'event not recorded; retry');
    log.debug('slack event', { eventId: env.transportId, status: result.status, ...(retry ? { retry } : {}) });
    if (result.status === 'rejected') notice('Too many messages are waiting in this conversation; this one was not queued. Please send it again in a moment.');
    c.header('x-edgeclaw-delivery', 'durable');
    return c.json({ ok: true, status: result.status });
  });

  return app;
}
