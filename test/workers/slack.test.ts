// Slack on real workerd: signature verification (WebCrypto HMAC, 5-minute window) in front of the real
// SessionDO, event_id dedupe, and the outbox posting in thread through the fake Web API passed as fetch.
import { applyD1Migrations, env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryOutboxStore } from '../../src/channels/outbox.ts';
import { createSlackApi } from '../../src/channels/slack/api.ts';
import { findSlackAccount } from '../../src/channels/slack/config.ts';
import { createSlackOutbox } from '../../src/channels/slack/delivery.ts';
import { slackRoutes } from '../../src/channels/slack/routes.ts';
import { signSlackRequest, verifySlackSignature } from '../../src/channels/slack/signature.ts';
import { createFakeSlack, slackDm, slackHeaders } from '../fakes/slack.ts';

const SECRET = '0123456789abcdef0123456789abcdef';
const BOT_TOKEN = 'xoxb-9999-8888-workerstoken';
const vars = { SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_API_ROOT: 'https://slack.fake/api', SLACK_DM_POLICY: 'open' };
const fake = createFakeSlack(BOT_TOKEN);
const routes = slackRoutes({ fetch: () => fake.fetch });

beforeAll(async () => {
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
});

async function post(body: unknown, opts: { secret?: string; nowMs?: number; extra?: Record<string, string> } = {}) {
  const raw = JSON.stringify(body);
  const headers = await slackHeaders(opts.secret ?? SECRET, raw, opts.nowMs, opts.extra);
  return routes.request('/default/events', { method: 'POST', headers, body: raw }, { ...env, ...vars });
}

async function counts(key: string) {
  const snap = await env.SESSIONS.getByName(key).snapshot();
  return snap.queued + snap.processed;
}

describe('slack on workerd', () => {
  it('verifies the v0 signature with WebCrypto and refuses a changed body or an old timestamp', async () => {
    const now = 1_800_000_000_000;
    const ts = String(now / 1000);
    const signature = await signSlackRequest(SECRET, ts, '{"a":1}');
    expect(await verifySlackSignature({ secret: SECRET, timestamp: ts, signature, body: '{"a":1}', now })).toEqual({ ok: true });
    expect(await verifySlackSignature({ secret: SECRET, timestamp: ts, signature, body: '{"a":2}', now })).toEqual({ ok: false, reason: 'mismatch' });
    expect(await verifySlackSignature({ secret: SECRET, timestamp: ts, signature, body: '{"a":1}', now: now + 5 * 60_000 + 1 })).toEqual({ ok: false, reason: 'stale' });
    expect(await verifySlackSignature({ secret: SECRET, timestamp: undefined, signature, body: '{"a":1}', now })).toEqual({ ok: false, reason: 'missing' });
  });

  it('answers 401 to a forged or replayed request and enqueues nothing', async () => {
    expect((await post(slackDm('EvW1', 'U7', 'x'), { secret: 'ffffffffffffffffffffffffffffffff' })).status).toBe(401);
    expect((await post(slackDm('EvW2', 'U7', 'x'), { nowMs: Date.now() - 10 * 60_000 })).status).toBe(401);
    expect(await counts('agent:main:slack:default:direct:u7')).toBe(0);
  });

  it('enqueues an event delivered three times once, in its session', async () => {
    const body = slackDm('EvW3', 'U8', 'hello from workerd');
    expect(await (await post(body)).json()).toMatchObject({ status: 'queued' });
    expect(await (await post(body, { extra: { 'x-slack-retry-num': '1' } })).json()).toMatchObject({ status: 'duplicate' });
    expect(await (await post(body, { extra: { 'x-slack-retry-num': '2' } })).json()).toMatchObject({ status: 'duplicate' });
    expect(await counts('agent:main:slack:default:direct:u8')).toBe(1);
  });

  it('posts each chunk of a reply once in the thread, even when delivery runs twice', async () => {
    const store = new MemoryOutboxStore();
    const outbox = createSlackOutbox({ account: (id) => findSlackAccount(vars, id), api: (a) => createSlackApi({ ...a, fetch: fake.fetch }), store });
    const reply = { sessionKey: 's', runId: 'r1', text: `${'a'.repeat(3_000)}\n${'b'.repeat(3_000)}`, target: { channel: 'slack', account: 'default', chatId: 'C42', threadId: '1800000000.000001' } };
    expect(await outbox.deliver(reply)).toMatchObject({ status: 'sent', chunks: 2, sentNow: 2 });
    expect(await outbox.deliver(reply)).toMatchObject({ status: 'sent', chunks: 2, sentNow: 0, alreadySent: 2 });
    const sent = fake.posted().filter((m) => m.channel === 'C42');
    expect(sent.map((m) => [m.text.length, m.thread_ts])).toEqual([
      [3_000, '1800000000.000001'],
      [3_000, '1800000000.000001'],
    ]);
  });
});
