/**
 * CommandServices of one Telegram account over Env: the model catalog (presets, config and stored keys;
 * provider tables loaded on first use), session model overrides through SessionDO.patch, the owner check,
 * the secret store, and deleteMessage through the account's Bot API client.
 */
import type { Env } from '../../env.ts';
import { normalizeProviderId } from '../../providers/aliases.ts';
import type { BotApi } from './api.ts';
import type { TelegramAccount } from './config.ts';
import type { CommandServices } from './model-commands.ts';
import { isTelegramOwner } from './pairing.ts';

/**
 * Builds the services for `account`.
 * @example handleUpdate(update, { ...deps, commands: telegramCommandServices(env, account, api) })
 */
export function telegramCommandServices(env: Env, account: TelegramAccount, api: BotApi): CommandServices {
  /** Providers from presets and config (provider tables loaded on first use). */
  const resolvedProviders = async () => (await import('../../providers/env-models.ts')).resolvedModelsOf(env).providers;
  return {
    async catalog() {
      const [{ resolvedModelsOf }, { buildModelCatalog }, { storedProviderKeys }] = await Promise.all([
        import('../../providers/env-models.ts'),
        import('../../providers/catalog.ts'),
        import('../../providers/stored-keys.ts'),
      ]);
      const resolved = resolvedModelsOf(env, await storedProviderKeys(env.DB));
      const catalog = buildModelCatalog(resolved);
      return { models: catalog.models.map((m) => ({ provider: m.provider, id: m.id, name: m.name })), providers: [...resolved.providers.keys()].sort() };
    },
    normalizeProvider: normalizeProviderId,
    async setModel(sessionKey, model) {
      await env.SESSIONS.getByName(sessionKey).patch({ model });
    },
    isOwner: (sender) => isTelegramOwner(env, account, sender),
    async storeApiKey(provider, key, by) {
      const { storeProviderKey } = await import('../../providers/stored-keys.ts');
      await storeProviderKey(env.DB, provider, key, by);
    },
    oauth: {
      async providers() {
        const withLogin = [...(await resolvedProviders()).values()].filter((p) => p.oauth);
        const logged = new Set((await env.GATEWAY.getByName('main').oauthList()).map((l) => l.provider));
        return withLogin.map((p) => ({ provider: p.id, loggedIn: logged.has(p.id) }));
      },
      async start(provider) {
        const p = (await resolvedProviders()).get(provider);
        if (!p?.oauth) return { error: `provider "${provider}" has no device login (/auth providers lists those that do)` };
        try {
          return await env.GATEWAY.getByName('main').oauthStart(p.id, p.oauth);
        } catch (err) {
          return { error: String((err as Error).message ?? err).slice(0, 300) };
        }
      },
      poll: (loginId) => env.GATEWAY.getByName('main').oauthPoll(loginId),
    },
    async deleteMessage(chatId, messageId) {
      try {
        return await api.deleteMessage(chatId, Number(messageId));
      } catch {
        return false;
      }
    },
  };
}
