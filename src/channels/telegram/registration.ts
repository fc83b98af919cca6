/**
 * Webhook registration with Telegram (setWebhook with the secret, allowed_updates), idempotent: a
 * registration already pointing at our URL is left alone unless forced. Used by the CLI and at start-up.
 * https://core.telegram.org/bots/api#setwebhook
 */
import type { BotApi } from './api.ts';
import type { TelegramAccount } from './config.ts';
import { ALLOWED_UPDATES } from './polling.ts';

/** The webhook URL of an account under a public base URL. */
export function webhookUrlOf(account: Pick<TelegramAccount, 'id'>, baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/telegram/${encodeURIComponent(account.id)}/webhook`;
}

/** What ensureWebhook did. */
export type RegistrationResult = { readonly action: 'unchanged' | 'registered'; readonly url: string };

/**
 * Registers the account's webhook unless Telegram already has this URL (then `unchanged`). Throws an
 * Error saying what to set when the account has no secret or no public URL.
 * @example await ensureWebhook(account, api, { baseUrl: 'https://bot.example.com' })
 */
export async function ensureWebhook(account: TelegramAccount, api: BotApi, opts: { baseUrl?: string; force?: boolean; dropPendingUpdates?: boolean } = {}): Promise<RegistrationResult> {
  if (!account.webhookSecret) throw new Error(`telegram account "${account.id}" has no webhookSecret (TELEGRAM_WEBHOOK_SECRET): refusing to register an unauthenticated webhook`);
  const base = opts.baseUrl ?? account.webhookUrl;
  if (!base) throw new Error(`telegram account "${account.id}" has no public URL: set webhookUrl (TELEGRAM_WEBHOOK_URL) or pass --url`);
  const url = webhookUrlOf(account, base);
  if (!opts.force) {
    const info = await api.getWebhookInfo();
    if (info.url === url) return { action: 'unchanged', url };
  }
  await api.setWebhook(url, {
    secret_token: account.webhookSecret,
    allowed_updates: [...ALLOWED_UPDATES],
    ...(opts.dropPendingUpdates ? { drop_pending_updates: true } : {}),
  });
  return { action: 'registered', url };
}
