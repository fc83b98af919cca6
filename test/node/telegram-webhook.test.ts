// The webhook route on a real socket, fed by the fake Bot API like Telegram would: secret header checks,
// body validation, durable hand-off before the 200, redelivery after a failure, one answer per update.
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliverResult, InboundSink, RoutedMessage, SessionControl } from '../../src/channels/envelope.ts';
import { createBotApi } from '../../src/channels/telegram/api.ts';
import { MAX_WEBHOOK_BYTES, telegramRoutes } from '../../src/channels/telegram/routes.ts';
import { createFakeTelegram, dm } from '../fakes/telegram.ts';
import { serveOnPort0, type ServedFake } from '../fakes/serve-node.ts';

const SECRET = 'wh_secret-1234567890';
const fake = createFakeTelegram();
const token = fake.addBot(5151, 'hook_bot');
const pollToken = fake.addBot(5252, 'poll_bot');
const delivered: RoutedMessage[] = [];
let sinkDown = false;
const sink: InboundSink = {
  async deliver(m): Promise<DeliverResult> {
    if (sinkDown) throw new Error('session unavailable');
    if (delivered.some((d) => d.idempotencyKey === m.idempotencyKey)) return { status: 'duplicate', runId: 'r' };
    delivered.push(m);
    return { status: 'queued', runId: `r${delivered.length}` };
  },
};
const control: SessionControl = { status: async () => ({ state: 'idle', queued: 0 }), reset: async () => {}, abort: async () => ({ cancelled: 0, activeAborted: false }), setQueueMode: async () => {} };

let fakeServed: ServedFake;
let appServed: ServedFake;
let hookUrl: string;
beforeAll(async () => {
  fakeServed = await serveOnPort0(fake.app);
  const env = {
    TELEGRAM_BOT_TOKEN: token,
    TELEGRAM_WEBHOOK_SECRET: SECRET,
    TELEGRAM_API_ROOT: fakeServed.url,
    TELEGRAM_ALLOW_FROM: '42',
    EDGECLAW_TELEGRAM: JSON.stringify({ accounts: [{ id: 'poller', token: pollToken, transport: 'polling' }] }),
  };
  const routes = telegramRoutes({ sink: () => sink, control: () => control });
  const outer = new Hono().route('/telegram', routes);
  const app = new Hono();
  app.all('*', (c) => outer.fetch(c.req.raw, env));
  appServed = await serveOnPort0(app);
  hookUrl = `${appServed.url}/telegram/default/webhook`;
  await createBotApi({ token, apiRoot: fakeServed.url }).setWebhook(hookUrl, { secret_token: SECRET });
});
afterAll(async () => {
  fake.releaseAll();
  await appServed.close();
  await fakeServed.close();
});

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${appServed.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
const update = (id: number, text: string) => JSON.stringify({ update_id: id, ...dm(42, text) });

describe('telegram webhook', () => {
  it('answers 401 to a missing or wrong secret and enqueues nothing', async () => {
    const before = delivered.length;
    expect((await post('/telegram/default/webhook', update(1, 'x'))).status).toBe(401);
    expect((await post('/telegram/default/webhook', update(2, 'x'), { 'x-telegram-bot-api-secret-token': `${SECRET}x` })).status).toBe(401);
    expect((await post('/telegram/default/webhook', update(3, 'x'), { 'x-telegram-bot-api-secret-token': SECRET.slice(0, -1) })).status).toBe(401);
    expect(delivered.length).toBe(before);
  });

  it('answers 401 for an account with no webhook secret, whatever is presented', async () => {
    expect((await post('/telegram/poller/webhook', update(4, 'x'), { 'x-telegram-bot-api-secret-token': '' })).status).toBe(401);
    expect((await post('/telegram/nobody/webhook', update(5, 'x'), { 'x-telegram-bot-api-secret-token': SECRET })).status).toBe(404);
  });

  it('rejects malformed, invalid and oversized bodies with 4xx', async () => {
    const h = { 'x-telegram-bot-api-secret-token': SECRET };
    expect((await post('/telegram/default/webhook', '{nope', h)).status).toBe(400);
    expect((await post('/telegram/default/webhook', JSON.stringify({ update_id: 'one' }), h)).status).toBe(400);
    expect((await post('/telegram/default/webhook', JSON.stringify({ update_id: 6, pad: 'x'.repeat(MAX_WEBHOOK_BYTES) }), h)).status).toBe(413);
  });

  it('enqueues an update delivered three times exactly once', async () => {
    const u = fake.pushUpdate(token, dm(42, 'hello there'));
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      // Telegram redelivers what it considers unacknowledged; simulate that by re-queueing the same update.
      if (i > 0) fake.pushUpdate(token, u);
      statuses.push((await fake.deliverWebhook(token))!);
    }
    expect(statuses).toEqual([200, 200, 200]);
    expect(delivered.filter((d) => d.idempotencyKey === `telegram:default:${u.update_id}`).length).toBe(1);
  });

  it('answers 503 when the hand-off fails, so Telegram redelivers, and accepts the redelivery', async () => {
    const u = fake.pushUpdate(token, dm(42, 'retry me'));
    sinkDown = true;
    expect(await fake.deliverWebhook(token)).toBe(503);
    expect(fake.pending(token)).toBe(1);
    sinkDown = false;
    expect(await fake.deliverWebhook(token)).toBe(200);
    expect(fake.pending(token)).toBe(0);
    expect(delivered.some((d) => d.idempotencyKey === `telegram:default:${u.update_id}`)).toBe(true);
  });

  it('answers a command once after the ack even when the update is redelivered', async () => {
    const u = fake.pushUpdate(token, dm(42, '/help'));
    await fake.deliverWebhook(token);
    fake.pushUpdate(token, u);
    await fake.deliverWebhook(token);
    // The answer is sent after the 200 (the redelivery claimed nothing, so no second send can start):
    // wait for the fake to record it, bounded by the test timeout.
    while (!fake.sent(token).some((m) => m.text.includes('/status'))) await new Promise((r) => setTimeout(r, 5));
    expect(fake.sent(token).filter((m) => m.text.includes('/status')).length).toBe(1);
  });
});
