/**
 * Telegram in the channel registry: a thin adapter over the existing driver (routes, outbox, poller
 * object, webhook registration); nothing of Telegram's own behaviour lives here.
 */
import { publicUrl } from '../accounts.ts';
import { accountFingerprint, type ChannelDriver } from '../channel-driver.ts';
import { parseReplyTarget } from '../envelope.ts';
import { findTelegramAccount, resolveTelegramAccounts } from './config.ts';

/** Telegram as a registry driver. */
export const telegramDriver: ChannelDriver = {
  id: 'telegram',
  label: 'Telegram',
  detailLabel: 'Telegram Bot',
  supports: { edit: true, delete: true, reactions: true, threads: false, polls: true, media: true, dmPairing: true },
  accounts: (env) =>
    resolveTelegramAccounts(env).map((a) => ({
      id: a.id,
      mode: a.transport,
      fingerprint: accountFingerprint(a),
      fromEnv: a.id === 'default' && Boolean(env.TELEGRAM_BOT_TOKEN),
      details: { dmPolicy: a.dmPolicy, allowFrom: a.allowFrom, ...(a.webhookUrl ? { webhookUrl: publicUrl(a.webhookUrl) } : {}), ...(a.apiRoot ? { baseUrl: publicUrl(a.apiRoot) } : {}) },
    })),
  routes: () => import('./routes.ts').then((m) => m.telegramRoutes()),
  parseTarget(thread) {
    const t = parseReplyTarget(thread);
    return t?.channel === 'telegram' ? t : null;
  },
  async outbox(env, store) {
    const [{ createTelegramOutbox }, { createBotApi }] = await Promise.all([import('./delivery.ts'), import('./api.ts')]);
    return createTelegramOutbox({ account: (id) => findTelegramAccount(env, id), api: (a) => createBotApi(a), store });
  },
  async live(env, id) {
    const account = findTelegramAccount(env, id);
    if (account?.transport !== 'polling' || !env.TELEGRAM_POLLERS) return null;
    const s = await env.TELEGRAM_POLLERS.getByName(id).status();
    return {
      running: s.running,
      connected: s.connected,
      lastError: s.lastError?.message ?? null,
      details: { offset: s.offset, lastPollAt: s.lastPollAt, lastUpdateAt: s.lastUpdateAt, conflict: s.conflict, consecutiveFailures: s.consecutiveFailures },
    };
  },
  async stop(env, id) {
    const account = findTelegramAccount(env, id);
    if (!account) return;
    if (account.transport === 'polling') {
      await env.TELEGRAM_POLLERS?.getByName(id).stop();
      return;
    }
    const { createBotApi } = await import('./api.ts');
    await createBotApi(account).deleteWebhook({ drop_pending_updates: false });
  },
  async start(env, id) {
    const { startTelegramAccounts } = await import('./startup.ts');
    await startTelegramAccounts(env, { only: id });
  },
};
