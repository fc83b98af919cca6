/**
 * Brings configured Telegram accounts up: polling accounts get their poller object started (idempotent),
 * webhook accounts with a public URL get their webhook registered (left alone when it already matches).
 * Node calls it at start; Workers call it from the cron trigger.
 */
import type { Env } from '../../env.ts';
import { createLogger } from '../../log.ts';
import { createBotApi } from './api.ts';
import { resolveTelegramAccounts } from './config.ts';
import { ensureWebhook } from './registration.ts';

/**
 * One line per account: what was done, or why it failed (secrets never included). `only` limits it to
 * one account; `skip` leaves accounts out (logged out through channels.logout).
 */
export async function startTelegramAccounts(env: Env, opts: { only?: string; skip?(id: string): Promise<boolean> } = {}): Promise<{ account: string; action: string }[]> {
  const log = createLogger();
  const out: { account: string; action: string }[] = [];
  for (const account of resolveTelegramAccounts(env)) {
    if (opts.only !== undefined && account.id !== opts.only) continue;
    try {
      if (await opts.skip?.(account.id)) {
        out.push({ account: account.id, action: 'skipped (logged out)' });
        continue;
      }
      if (account.transport === 'polling') {
        if (!env.TELEGRAM_POLLERS) throw new Error('no TELEGRAM_POLLERS binding');
        await env.TELEGRAM_POLLERS.getByName(account.id).start(account.id);
        out.push({ account: account.id, action: 'polling' });
      } else if (account.webhookUrl) {
        const r = await ensureWebhook(account, createBotApi(account));
        out.push({ account: account.id, action: `webhook ${r.action}` });
      } else {
        out.push({ account: account.id, action: 'webhook (not registered: no webhookUrl)' });
      }
    } catch (err) {
      log.warn('telegram account start failed', { account: account.id, err });
      out.push({ account: account.id, action: `failed: ${err instanceof Error ? err.message : 'error'}` });
    }
  }
  return out;
}
