/**
 * Telegram HTTP routes (mounted at `/telegram`): `POST /:account/webhook` checks the
 * X-Telegram-Bot-Api-Secret-Token header in constant time (no secret configured = 401, unlike grammY's
 * webhookCallback which accepts everything then), validates the body, records the update durably and
 * only then answers 200. With the default wiring the record is one row in the account's inbox
 * (TelegramPollerDO, deduplicated by update_id; the object hands the update to its session afterwards);
 * with injected ports (tests) the update is handed to the session before the 200 and short answers
 * (commands) are sent after it. `GET /:account/status` (admin) shows the account's mode and poller status.
 */
import { Hono, type Context } from 'hono';
import { constantTimeEqual, requireAdmin } from '../../auth.ts';
import type { Env } from '../../env.ts';
import { createLogger } from '../../log.ts';
import type { InboundSink, SessionControl } from '../envelope.ts';
import { MemoryOutboxStore } from '../outbox.ts';
import { DEFAULT_RETRY } from '../retry.ts';
import { sessionsControl, sessionsSink } from '../sessions-sink.ts';
import { botIdentity, createBotApi, type BotApiOptions } from './api.ts';
import { findTelegramAccount, resolveTelegramAccounts, type TelegramAccount, type TelegramVars } from './config.ts';
import { createTelegramOutbox, type TelegramOutbox } from './delivery.ts';
import { handleUpdate, type DirectReply } from './inbound.ts';
import { telegramCommandServices } from './command-services.ts';
import { telegramInboundPairing } from './pairing.ts';
import { TelegramUpdateSchema } from './update.ts';
import { recordTelegramEvent } from './status-counters.ts';
import { telegramStatus } from './status.ts';

/** Bindings this module reads beyond Env (the lead adds them to src/env.ts). */
export interface TelegramBindings extends TelegramVars {
  readonly TELEGRAM_POLLERS?: { getByName(name: string): { status(): Promise<unknown> } };
}

type TgEnv = Env & TelegramBindings;

/** Ports the routes use; defaults go through env.SESSIONS and the real Bot API. */
export interface TelegramRouteDeps {
  sink?(env: TgEnv): InboundSink;
  control?(env: TgEnv): SessionControl;
  apiOptions?(env: TgEnv): BotApiOptions;
}

/** Largest webhook body accepted (Telegram updates are a few KB; text is at most 4096 characters). */
export const MAX_WEBHOOK_BYTES = 256 * 1024;

/** Retry budget of short answers sent after the ack (small: a webhook isolate should not linger). */
const REPLY_RETRY = { ...DEFAULT_RETRY, maxAttempts: 3, maxRateLimitWaits: 2, maxRetryAfterMs: 10_000, maxTotalWaitMs: 20_000 };
// Per-isolate store for command answers: a redelivered update inside one isolate is answered once.
const replyStore = new MemoryOutboxStore(2_000);
// Answers claimed in this isolate (claimed before the response, so a redelivery racing the first
// answer's send cannot start a second one). Bounded: the oldest claims are forgotten.
const claimed = new Set<string>();
const MAX_CLAIMS = 2_000;

/** True the first time `key` is claimed in this isolate. */
function claim(key: string): boolean {
  if (claimed.has(key)) return false;
  claimed.add(key);
  if (claimed.size > MAX_CLAIMS) claimed.delete(claimed.values().next().value!);
  return true;
}

/** Sends short answers one by one; failures are logged, never thrown (the update is already acked). */
export async function dispatchReplies(outbox: TelegramOutbox, replies: readonly DirectReply[], log = createLogger()): Promise<void> {
  for (const r of replies) {
    const report = await outbox.deliverPlain(r.key, r.target, r.text).catch((err: unknown) => ({ status: 'failed' as const, error: String(err) }));
    if (report.status !== 'sent') log.warn('telegram reply not delivered', { key: r.key, error: report.error });
  }
}

/** Runs `p` after the response when the host offers waitUntil, else in the background. */
function afterResponse(c: Context, p: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(p);
  } catch {
    void p; // no execution context (tests via app.request): the promise still runs to completion
  }
}

const fail = (c: Context, status: 400 | 401 | 404 | 413 | 503, code: string, message: string) => c.json({ ok: false, error: { code, message } }, status);

/**
 * The Telegram sub-app. Mount with `app.route('/telegram', telegramRoutes())`.
 * @example app.route('/telegram', telegramRoutes())
 */
export function telegramRoutes(deps: TelegramRouteDeps = {}) {
  const app = new Hono<{ Bindings: TgEnv }>();
  const apiFor = (env: TgEnv, account: TelegramAccount) => createBotApi(account, deps.apiOptions?.(env) ?? {});
  // Injected ports live in this isolate only; the inbox's drainer (another object) could not use them.
  const viaInbox = !deps.sink && !deps.control && !deps.apiOptions;

  app.post('/:account/webhook', async (c) => {
    const account = findTelegramAccount(c.env, c.req.param('account'));
    if (!account) return fail(c, 404, 'NOT_FOUND', 'no such telegram account');
    const presented = c.req.header('x-telegram-bot-api-secret-token') ?? '';
    // No configured secret means no webhook: refuse rather than accept unauthenticated updates.
    if (!account.webhookSecret || !constantTimeEqual(presented, account.webhookSecret)) {
      return fail(c, 401, 'UNAUTHORIZED', 'secret token is missing or wrong');
    }
    const declared = Number(c.req.header('content-length') ?? '0');
    if (declared > MAX_WEBHOOK_BYTES) return fail(c, 413, 'INVALID_REQUEST', `body larger than ${MAX_WEBHOOK_BYTES} bytes`);
    const raw = await c.req.text();
    if (raw.length > MAX_WEBHOOK_BYTES) return fail(c, 413, 'INVALID_REQUEST', `body larger than ${MAX_WEBHOOK_BYTES} bytes`);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return fail(c, 400, 'INVALID_REQUEST', 'malformed JSON body');
    }
    const parsed = TelegramUpdateSchema.safeParse(body);
    if (!parsed.success) return fail(c, 400, 'INVALID_REQUEST', `invalid update: ${parsed.error.issues[0]?.message ?? 'unknown'}`);
    const log = createLogger(c.env.EDGECLAW_LOG_LEVEL === 'debug' ? 'debug' : 'info', { channel: 'telegram', account: account.id });
    const inbox = viaInbox ? c.env.TELEGRAM_POLLERS : undefined;
    if (inbox) {
      let accepted;
      try {
        // The raw body (already validated) is what is stored: no re-serialisation on the ack path.
        accepted = await inbox.getByName(account.id).accept(account.id, parsed.data.update_id, raw);
      } catch (err) {
        log.error('telegram update not recorded', { err, updateId: parsed.data.update_id });
        return fail(c, 503, 'UNAVAILABLE', 'update not recorded; retry');
      }
      if (accepted.status === 'full') {
        log.warn('telegram inbox full; Telegram will retry', { updateId: parsed.data.update_id, cap: accepted.cap });
        c.header('retry-after', '5');
        return fail(c, 503, 'UNAVAILABLE', `telegram inbox full (inboxCap ${accepted.cap}); retry`);
      }
      afterResponse(c, recordTelegramEvent(c.env, account.id, 'update'));
      c.header('x-edgeclaw-delivery', 'durable');
      return c.json({ ok: true, status: accepted.status });
    }
    const api = apiFor(c.env, account);
    let outcome;
    try {
      const identity = await botIdentity(account, api);
      const sink = deps.sink?.(c.env) ?? sessionsSink(c.env.SESSIONS);
      const control = deps.control?.(c.env) ?? sessionsControl(c.env.SESSIONS);
      outcome = await handleUpdate(parsed.data, { account, identity, sink, control, pairing: telegramInboundPairing(c.env), commands: telegramCommandServices(c.env, account, api) });
    } catch (err) {
      // Nothing was recorded: a non-2xx makes Telegram deliver the update again later.
      log.error('telegram update not handed off', { err, updateId: parsed.data.update_id });
      return fail(c, 503, 'UNAVAILABLE', 'update not recorded; retry');
    }
    log.debug('telegram update', { updateId: parsed.data.update_id, status: outcome.status });
    afterResponse(c, recordTelegramEvent(c.env, account.id, 'update'));
    const replies = outcome.replies.filter((r) => claim(r.key));
    if (replies.length > 0) {
      const outbox = createTelegramOutbox({ account: (id) => findTelegramAccount(c.env, id), api: () => api, store: replyStore, policy: REPLY_RETRY });
      afterResponse(c, dispatchReplies(outbox, replies, log));
    }
    c.header('x-edgeclaw-delivery', 'durable');
    return c.json({ ok: true, status: outcome.status });
  });

  app.get('/:account/status', requireAdmin(), async (c) => {
    const accounts = resolveTelegramAccounts(c.env);
    const account = accounts.find((a) => a.id === c.req.param('account'));
    if (!account) return fail(c, 404, 'NOT_FOUND', 'no such telegram account');
    const poller = account.transport === 'polling' && c.env.TELEGRAM_POLLERS ? await c.env.TELEGRAM_POLLERS.getByName(account.id).status() : null;
    return c.json({
      ok: true,
      account: { id: account.id, mode: account.transport, webhookSecretSet: Boolean(account.webhookSecret), webhookUrl: account.webhookUrl ?? null, dmPolicy: account.dmPolicy },
      poller,
      status: await telegramStatus(c.env, account.id, deps.apiOptions ? { apiOptions: deps.apiOptions(c.env) } : {}),
    });
  });

  return app;
}
