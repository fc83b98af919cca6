// Telegram account config: schema rules, zero-config env path, secrets never echoed.
import { describe, expect, it } from 'vitest';
import { activationOf, botIdOf, resolveTelegramAccounts } from '../../../src/channels/telegram/config.ts';

const TOKEN = '123456:AAHfakeTokenForTestsOnly_0123456789';

describe('resolveTelegramAccounts', () => {
  it('creates the default account from TELEGRAM_BOT_TOKEN with secure defaults', () => {
    const [a] = resolveTelegramAccounts({ TELEGRAM_BOT_TOKEN: TOKEN });
    expect(a).toMatchObject({ id: 'default', transport: 'polling', dmPolicy: 'pairing', groupPolicy: 'allowlist', groupActivation: 'mention', dmScope: 'per-account-channel-peer', textChunkLimit: 4096 });
    expect(botIdOf(a!)).toBe('123456');
  });

  it('defaults to webhook when a secret is set and reads the env list options', () => {
    const [a] = resolveTelegramAccounts({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_WEBHOOK_SECRET: 's3cret_-X', TELEGRAM_ALLOW_FROM: '42, @bob', TELEGRAM_GROUPS: '-100,*', TELEGRAM_REQUIRE_MENTION: 'false', TELEGRAM_API_ROOT: 'http://127.0.0.1:9/' });
    expect(a).toMatchObject({ transport: 'webhook', allowFrom: ['42', '@bob'], groups: ['-100', '*'], groupActivation: 'always', apiRoot: 'http://127.0.0.1:9' });
    expect(activationOf(a!).allowFrom).toEqual(['42', '@bob']);
  });

  it('refuses webhook mode without a secret, saying what to set', () => {
    expect(() => resolveTelegramAccounts({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_MODE: 'webhook' })).toThrow(/webhookSecret.*TELEGRAM_WEBHOOK_SECRET/);
  });

  it('rejects a secret with characters Telegram does not allow', () => {
    expect(() => resolveTelegramAccounts({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_WEBHOOK_SECRET: 'has space' })).toThrow(/webhookSecret/);
  });

  it('never puts the token into an error message', () => {
    const bad = '123:short';
    try {
      resolveTelegramAccounts({ TELEGRAM_BOT_TOKEN: bad });
      expect.unreachable();
    } catch (err) {
      expect(String(err)).toContain('telegram.accounts.0.token');
      expect(String(err)).not.toContain(bad);
    }
  });

  it('reads several accounts from the JSON section and rejects duplicate ids', () => {
    const two = JSON.stringify({ accounts: [{ id: 'a', token: TOKEN }, { id: 'b', token: TOKEN, webhookSecret: 'x' }] });
    expect(resolveTelegramAccounts({ EDGECLAW_TELEGRAM: two }).map((a) => [a.id, a.transport])).toEqual([['a', 'polling'], ['b', 'webhook']]);
    const dup = JSON.stringify({ accounts: [{ id: 'a', token: TOKEN }, { id: 'a', token: TOKEN }] });
    expect(() => resolveTelegramAccounts({ EDGECLAW_TELEGRAM: dup })).toThrow(/used twice/);
    expect(() => resolveTelegramAccounts({ EDGECLAW_TELEGRAM: '{' })).toThrow(/not valid JSON/);
  });

  it('lets env vars override the file account named default', () => {
    const file = JSON.stringify({ accounts: [{ id: 'default', token: '1:AAAAAAAAAAAAAAAAAAAAAAAA', dmPolicy: 'open' }] });
    const [a] = resolveTelegramAccounts({ EDGECLAW_TELEGRAM: file, TELEGRAM_BOT_TOKEN: TOKEN });
    expect(a).toMatchObject({ id: 'default', token: TOKEN, dmPolicy: 'open' });
  });
});
