/**
 * Discord HTTP routes (mounted at `/discord`): `POST /:account/interactions` is the application's
 * Interactions Endpoint URL. Every request is verified (Ed25519 over timestamp + raw body, 5-minute
 * window) before its body is parsed; PING is answered with PONG; `/ask <question>` is handed to its
 * session durably (dedupe by interaction id: a replayed request queues nothing and answers 409) and
 * answered with a deferred response (type 5) — the agent's answer follows through the interaction
 * webhook. No model work happens before the answer, which keeps Discord's 3-second deadline.
 */
import { Hono, type Context } from 'hono';
import type { Env } from '../../env.ts';
import { putReplyToken } from '../../storage/repos/channel-status.ts';
import { decideActivation } from '../activation.ts';
import { inboundKey, type InboundSink } from '../envelope.ts';
import { sessionsSink } from '../sessions-sink.ts';
import { accountLogger, fail, handOff, readBoundedBody } from '../webhook-kit.ts';
import { discordActivation, findDiscordAccount, type DiscordVars } from './config.ts';
import { discordReplyTarget, discordSessionKey, EPHEMERAL, InteractionSchema, InteractionType, interactionTokenId, normalizeAsk, ResponseType } from './events.ts';
import { verifyDiscordRequest } from './signature.ts';

type DiscordEnv = Env & DiscordVars;

/** Ports the routes use; defaults are env.SESSIONS and the real clock. */
export interface DiscordRouteDeps {
  sink?(env: DiscordEnv): InboundSink;
  now?(): number;
}

/** Largest interaction body accepted (they are a few KB). */
export const MAX_DISCORD_BODY_BYTES = 64 * 1024;
/** Interaction tokens are valid for 15 minutes; kept a little less. */
export const INTERACTION_TOKEN_TTL_MS = 14 * 60 * 1000;

/** The answer an unknown DM sender gets under `dmPolicy: pairing`. */
export function discordPairingText(userId: string): string {
  return `This assistant is private and does not know you yet.\nYour Discord user id: ${userId}\nAsk its owner to add it to allowFrom (DISCORD_ALLOW_FROM); then ask again.`;
}

const ephemeral = (c: Context, content: string) => c.json({ type: ResponseType.CHANNEL_MESSAGE, data: { content, flags: EPHEMERAL, allowed_mentions: { parse: [] } } });

/**
 * The Discord sub-app. Mount with `app.route('/discord', discordRoutes())`.
 * @example app.route('/discord', discordRoutes())
 */
export function discordRoutes(deps: DiscordRouteDeps = {}) {
  const app = new Hono<{ Bindings: DiscordEnv }>();

  app.post('/:account/interactions', async (c) => {
    const account = findDiscordAccount(c.env, c.req.param('account'));
    if (!account) return fail(c, 404, 'NOT_FOUND', 'no such discord account');
    const raw = await readBoundedBody(c, MAX_DISCORD_BODY_BYTES);
    if (raw === null) return fail(c, 413, 'INVALID_REQUEST', 'body too large');
    const log = accountLogger(c.env, 'discord', account.id);
    const now = deps.now?.() ?? Date.now();
    const verdict = await verifyDiscordRequest({ publicKey: account.publicKey, signature: c.req.header('x-signature-ed25519'), timestamp: c.req.header('x-signature-timestamp'), body: raw, now });
    if (!verdict.ok) {
      log.warn('discord request refused', { reason: verdict.reason });
      return fail(c, 401, 'UNAUTHORIZED', verdict.reason === 'stale' ? 'request timestamp outside the 5-minute window' : 'invalid request signature');
    }
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return fail(c, 400, 'INVALID_REQUEST', 'malformed JSON body');
    }
    const parsed = InteractionSchema.safeParse(body);
    if (!parsed.success) return fail(c, 400, 'INVALID_REQUEST', `invalid interaction: ${parsed.error.issues[0]?.path.join('.') || 'body'}: ${parsed.error.issues[0]?.message ?? 'unknown'}`);
    const i = parsed.data;
    if (i.application_id !== account.applicationId) return fail(c, 400, 'INVALID_REQUEST', 'interaction for another application');
    if (i.type === InteractionType.PING) return c.json({ type: ResponseType.PONG });
    if (i.type !== InteractionType.APPLICATION_COMMAND || i.data?.name !== 'ask') return ephemeral(c, 'Only /ask is supported.');
    if (!i.token) return fail(c, 400, 'INVALID_REQUEST', 'invalid interaction: token: missing');

    const n = normalizeAsk(i, account.id);
    if (!n.ok) return ephemeral(c, 'Ask a question: /ask question:<text>');
    const env = n.envelope;
    const activation = decideActivation(env, discordActivation(account), { addressed: true });
    if (activation.action === 'ignore') return ephemeral(c, 'This assistant does not answer here.');
    if (activation.action === 'pair') return ephemeral(c, discordPairingText(activation.senderId));

    // The token must be findable when the reply is sent, so it is stored before the hand-off.
    if ((await putReplyToken(c.env.DB, interactionTokenId(account.id, i.id), i.token, now + INTERACTION_TOKEN_TTL_MS, now)) === 'full') {
      log.warn('discord interaction refused: reply token store full');
      return fail(c, 503, 'UNAVAILABLE', 'too many pending interactions; retry');
    }
    const sink = deps.sink?.(c.env) ?? sessionsSink(c.env.SESSIONS);
    const result = await handOff(sink, { sessionKey: discordSessionKey(env, account), idempotencyKey: inboundKey(env), text: env.text, target: discordReplyTarget(env), envelope: env }, log);
    if (!result) return fail(c, 503, 'UNAVAILABLE', 'interaction not recorded; retry');
    // Discord never delivers an interaction twice: a second copy is a replay.
    if (result.status === 'duplicate') return fail(c, 409, 'DUPLICATE', 'interaction already handled');
    if (result.status === 'rejected') return ephemeral(c, 'Too many messages are waiting in this conversation; please ask again in a moment.');
    c.header('x-edgeclaw-delivery', 'durable');
    return c.json({ type: ResponseType.DEFERRED_CHANNEL_MESSAGE });
  });

  return app;
}
