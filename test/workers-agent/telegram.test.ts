// Telegram end to end on real workerd: the webhook route, the real SessionDO running the agent through the
// fake provider, and replies sent by grammY to the fake Bot API (the Worker's only reachable network).
// What was sent is read back through the TELEGRAM_FAKE service binding (vitest.config.ts).
import { applyD1Migrations, env } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_TOKEN } from '../contract/constants.ts';
import { AGENT_TELEGRAM } from '../contract/telegram-agent.ts';

interface Sent {
  message_id: number;
  chat_id: string;
  text: string;
  message_thread_id: number | null;
  reply_to: number | null;
}

// SAFETY: the binding is declared in vitest.config.ts for this project only.
const fake = (env as unknown as { TELEGRAM_FAKE: Fetcher }).TELEGRAM_FAKE;
let nextUpdate = 50_000;

beforeAll(async () => {
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
});

const app = (path: string, init?: RequestInit) => exports.default.fetch(new Request(`https://edgeclaw.test${path}`, init));
const hook = (update: unknown, secret: string | null = AGENT_TELEGRAM.secret) =>
  app('/telegram/default/webhook', { method: 'POST', headers: { 'content-type': 'application/json', ...(secret === null ? {} : { 'x-telegram-bot-api-secret-token': secret }) }, body: JSON.stringify(update) });
const sentTo = async (chat: number) => ((await (await fake.fetch('http://fake/sent')).json()) as Sent[]).filter((m) => m.chat_id === String(chat));
const cue = (body: unknown) => fake.fetch('http://fake/cue', { method: 'POST', body: JSON.stringify(body) });
const dm = (user: number, text: string) => ({ update_id: nextUpdate++, message: { message_id: nextUpdate, date: 1_700_000_000, chat: { id: user, type: 'private' }, from: { id: user, is_bot: false, first_name: 'U' }, text } });
const inGroup = (user: number, text: string, extra: Record<string, unknown> = {}) => ({
  update_id: nextUpdate++,
  message: { message_id: nextUpdate, date: 1_700_000_000, chat: { id: Number(AGENT_TELEGRAM.group), type: 'supergroup', title: 'G' }, from: { id: user, is_bot: false, first_name: 'U' }, text, ...extra },
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('telegram end to end on workerd (agent)', () => {
  it('answers 401 to a missing or wrong secret and sends nothing', async () => {
    expect((await hook(dm(7001, 'no secret'), null)).status).toBe(401);
    expect((await hook(dm(7001, 'bad secret'), 'wrong_secret')).status).toBe(401);
    await sleep(500);
    expect(await sentTo(7001)).toEqual([]);
  });

  it('answers the same update delivered three times with one reply', async () => {
    const u = dm(7002, 'once on workerd');
    const statuses: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await hook(u);
      expect(res.status).toBe(200);
      statuses.push(((await res.json()) as { status: string }).status);
    }
    // Acknowledged from the account's inbox (deduplicated by update_id), handed to the session afterwards.
    expect(statuses).toEqual(['accepted', 'duplicate', 'duplicate']);
    await until(async () => ((await sentTo(7002)).length > 0 ? true : undefined), 'the reply');
    await sleep(1_000);
    expect((await sentTo(7002)).map((m) => m.text)).toEqual(['echo: once on workerd']);
  });

  it('ignores a group message without a mention and answers one with it, in its topic, quoting it', async () => {
    const group = Number(AGENT_TELEGRAM.group);
    await hook(inGroup(7003, 'just chatting'));
    const loud = inGroup(7003, `@${AGENT_TELEGRAM.username} what is up`, { message_thread_id: 9, is_topic_message: true });
    await hook(loud);
    const sent = await until(async () => ((await sentTo(group)).length > 0 ? sentTo(group) : undefined), 'the group reply');
    await sleep(500);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ text: `echo: @${AGENT_TELEGRAM.username} what is up`, message_thread_id: 9, reply_to: loud.message.message_id });
  });

  it('delivers a 10,000-character answer through a 429 storm: every chunk once, at most 4096, in order', async () => {
    await cue({ method: 'sendMessage', cue: { kind: 'rate_limit', retryAfter: 1 }, times: 3, skip: 1 });
    const long = Array.from({ length: 2_000 }, (_, i) => `word${i % 10}`).join(' ').slice(0, 9_994);
    await hook(dm(7004, long));
    const expected = `echo: ${long}`.replace(/\s+/g, ' ');
    const sent = await until(async () => {
      const s = await sentTo(7004);
      return s.map((m) => m.text).join(' ').replace(/\s+/g, ' ').length >= expected.length ? s : undefined;
    }, 'all chunks', 40_000);
    await sleep(500);
    expect(sent.length).toBeGreaterThanOrEqual(3);
    expect(sent.every((m) => m.text.length <= 4096)).toBe(true);
    expect(sent.map((m) => m.text).join(' ').replace(/\s+/g, ' ')).toBe(expected);
    expect(await sentTo(7004)).toHaveLength(sent.length);
  });

  it('tells the user once when every model fails', async () => {
    const key = 'agent:main:telegram:default:direct:7005';
    const patched = await app(`/sessions/${key}/patch`, { method: 'POST', headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'fake/status:400' }) });
    expect(patched.status).toBe(200);
    await hook(dm(7005, 'this will fail'));
    await until(async () => ((await sentTo(7005)).length > 0 ? true : undefined), 'the failure notice');
    await sleep(500);
    expect((await sentTo(7005)).map((m) => m.text)).toEqual(['Sorry, I could not answer that: the model provider failed (fallbacks included). Please try again in a moment.']);
  });

  it('reports the webhook account in its status: mode, last update time, pending updates', async () => {
    await hook(dm(7006, 'status please'));
    const status = await until(async () => {
      const res = await app('/telegram/default/status', { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
      const body = (await res.json()) as { status: { updates: number } & Record<string, unknown> };
      return body.status.updates > 0 && body.status.inboxPending === 0 ? body.status : undefined;
    }, 'the counted and handed-off update');
    expect(status).toMatchObject({ account: 'default', mode: 'webhook', offset: null, queueDepth: 0, inboxPending: 0, webhook: { url: '', pendingUpdateCount: 0 } });
    expect(status.lastUpdateAt).toEqual(expect.any(Number));
  });
});
