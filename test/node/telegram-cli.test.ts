// `edgeclaw telegram set-webhook|delete-webhook|info` against the fake Bot API on a real socket.
import { describe, expect, it } from 'vitest';
import { runTelegramCli } from '../../node-adapter/cli/telegram.ts';
import { createFakeTelegram } from '../fakes/telegram.ts';
import { useServedFake } from '../fakes/serve-node.ts';

const fake = createFakeTelegram();
const token = fake.addBot(6060, 'cli_bot');
const served = useServedFake(fake.app);

async function cli(argv: string[], env: Record<string, string>) {
  let out = '';
  let err = '';
  const code = await runTelegramCli(argv, { TELEGRAM_BOT_TOKEN: token, TELEGRAM_API_ROOT: served.url, ...env }, { write: (t: string) => (out += t) }, { write: (t: string) => (err += t) });
  return { code, out, err };
}

describe('edgeclaw telegram', () => {
  it('registers the webhook with the secret once and leaves a matching registration alone', async () => {
    const env = { TELEGRAM_WEBHOOK_SECRET: 'cli_secret_1', TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/' };
    expect(await cli(['set-webhook'], env)).toMatchObject({ code: 0, out: 'webhook registered: https://bot.example.com/telegram/default/webhook\n' });
    expect(fake.webhook(token)).toMatchObject({ url: 'https://bot.example.com/telegram/default/webhook', secret: 'cli_secret_1', allowed: ['message', 'channel_post'] });
    expect((await cli(['set-webhook'], env)).out).toMatch(/already registered/);
    const info = await cli(['info'], env);
    expect(JSON.parse(info.out)).toMatchObject({ account: 'default', transport: 'webhook', url: 'https://bot.example.com/telegram/default/webhook' });
    expect(info.out).not.toContain('cli_secret_1');
    expect(await cli(['delete-webhook'], env)).toMatchObject({ code: 0 });
    expect(fake.webhook(token)).toBeNull();
  });

  it('refuses to register without a secret and explains usage errors', async () => {
    const r = await cli(['set-webhook', '--url', 'https://x.example'], {});
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no webhookSecret/);
    expect((await cli(['frobnicate'], {})).code).toBe(2);
    expect((await cli(['info', '--account', 'nope'], {})).err).toMatch(/no account "nope" \(configured: default\)/);
  });
});
