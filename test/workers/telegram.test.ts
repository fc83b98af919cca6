// Telegram on real workerd: the webhook route hands updates to the real SessionDO (durable dedupe by
// update_id), delivery and polling run grammY's web build against the fake Bot API passed in as fetch.
import { applyD1Migrations, env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryOutboxStore } from '../../src/channels/outbox.ts';
import { createBotApi } from '../../src/channels/telegram/api.ts';
import { resolveTelegramAccounts } from '../../src/channels/telegram/config.ts';
import { createTelegramOutbox } from '../../src/channels/telegram/delivery.ts';
import { DEFAULT_POLLER_SETTINGS, TelegramPoller } from '../../src/channels/telegram/polling.ts';
import { telegramRoutes } from '../../src/channels/telegram/routes.ts';
import { createFakeTelegram, dm, groupMessage } from '../fakes/telegram.ts';

const SECRET = 'workers_secret_0123';
const API_ROOT = 'https://bot-api.fake';
const fake = createFakeTelegram();
const token = fake.addBot(8080, 'edge_bot');
const vars = { TELEGRAM_BOT_TOKEN: token, TELEGRAM_WEBHOOK_SECRET: SECRET, TELEGRAM_API_ROOT: API_ROOT, TELEGRAM_ALLOW_FROM: '42', TELEGRAM_GROUPS: '-100' };
const routes = telegramRoutes({ apiOptions: () => ({ fetch: fake.fetch }) });
const clock = { sleep: async () => {}, random: () => 0.5 };

beforeAll(async () => {
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
});

function hook(body: unknown, secret: string | null = SECRET) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (secret !== null) headers['x-telegram-bot-api-secret-token'] = secret;
  return routes.request('/default/webhook', { method: 'POST', headers, body: JSON.stringify(body) }, { ...env, ...vars });
}

describe('telegram on workerd', () => {
  it('answers 401 to a missing or wrong secret and enqueues nothing', async () => {
    expect((await hook({ update_id: 1, ...dm(77, 'x') }, null)).status).toBe(401);
    expect((await hook({ update_id: 2, ...dm(77, 'x') }, 'wrong')).status).toBe(401);
    const snap = await env.SESSIONS.getByName('agent:main:telegram:default:direct:77').snapshot();
    expect(snap.queued + snap.processed).toBe(0);
  });

  it('enqueues the same update delivered three times once, in the session', async () => {
    const body = { update_id: 900, ...dm(42, 'hello from workerd') };
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const res = await hook(body);
      expect(res.status).toBe(200);
      statuses.push(((await res.json()) as { status: string }).status);
    }
    expect(statuses).toEqual(['queued', 'duplicate', 'duplicate']);
  });

  it('ignores a group message without a mention and queues one with it', async () => {
    const quiet = await hook({ update_id: 901, ...groupMessage(-100, 42, 'just chatting') });
    const loud = await hook({ update_id: 902, ...groupMessage(-100, 42, 'hey @edge_bot what is up') });
    expect(((await quiet.json()) as { status: string }).status).toBe('ignored');
    expect(((await loud.json()) as { status: string }).status).toBe('queued');
  });

  it('delivers a 10,000-character reply as ordered chunks of at most 4096 through a 429', async () => {
    const [account] = resolveTelegramAccounts(vars);
    fake.cue('sendMessage', { kind: 'rate_limit', retryAfter: 2 }, 1, 1);
    const box = createTelegramOutbox({ account: () => account!, api: (a) => createBotApi(a, { fetch: fake.fetch }), store: new MemoryOutboxStore(), clock });
    const text = Array.from({ length: 250 }, (_, i) => `line ${i} & more <text>`).join('\n').padEnd(10_000, '.');
    const report = await box.deliver({ sessionKey: 's', runId: 'r1', text, target: { channel: 'telegram', account: 'default', chatId: '555' } });
    const msgs = fake.sent(token).filter((m) => m.chat_id === '555');
    expect(report).toMatchObject({ status: 'sent', chunks: msgs.length });
    expect(msgs.length).toBeGreaterThanOrEqual(3);
    expect(msgs.every((m) => m.text.length <= 4096)).toBe(true);
    expect(msgs.map((m) => m.text).join('').replace(/\s+/g, '')).toBe(text.replace(/\s+/g, ''));
  });

  it('reports a 409 conflict from getUpdates while a webhook is set', async () => {
    const api = createBotApi({ token, apiRoot: API_ROOT }, { fetch: fake.fetch });
    await api.setWebhook('https://edgeclaw.test/telegram/default/webhook', { secret_token: SECRET });
    const offsets = { load: async () => null, save: async () => {} };
    const poller = new TelegramPoller({ account: 'default', api, offsets, handle: async () => {}, clock, settings: { ...DEFAULT_POLLER_SETTINGS, timeoutSeconds: 0 } });
    const step = await poller.step();
    expect(step.status.conflict?.description).toMatch(/webhook is active/);
    expect(step.delayMs).toBeGreaterThan(0);
  });
});
