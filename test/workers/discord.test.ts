// Discord and the channel framework on real workerd: Ed25519 verification with workerd's WebCrypto, PING,
// /ask handed to the real SessionDO once (a replay is refused), the interaction token kept in D1 and the
// answer sent through the fake interaction webhook split at 2,000 (429 retry_after honoured), and
// channels.status / channels.logout over real D1 with the registry's route guard.
import { applyD1Migrations, env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { guardChannelRoutes } from '../../src/channels/account-state.ts';
import { MemoryOutboxStore } from '../../src/channels/outbox.ts';
import type { RetryClock } from '../../src/channels/retry.ts';
import { createDiscordApi } from '../../src/channels/discord/api.ts';
import { findDiscordAccount } from '../../src/channels/discord/config.ts';
import { createDiscordOutbox } from '../../src/channels/discord/delivery.ts';
import { discordDriver } from '../../src/channels/discord/driver.ts';
import { interactionTokenId } from '../../src/channels/discord/events.ts';
import { discordRoutes } from '../../src/channels/discord/routes.ts';
import { verifyDiscordRequest } from '../../src/channels/discord/signature.ts';
import { channelsLogout, channelsStart, channelsStatus } from '../../src/channels/status.ts';
import { deliverChannelReply } from '../../src/channels/reply.ts';
import { getReplyToken, putReplyToken } from '../../src/storage/repos/channel-status.ts';
import type { Env } from '../../src/env.ts';
import { askInteraction, createDiscordKeys, createFakeDiscord, discordHeaders, pingInteraction } from '../fakes/discord.ts';

const APP = '1300000000000000002';
const CHANNEL = '1400000000000000200';
let keys: Awaited<ReturnType<typeof createDiscordKeys>>;
let vars: Record<string, string>;
const fake = createFakeDiscord({ applicationId: APP });
const routes = guardChannelRoutes(discordDriver, discordRoutes() as never);
let n = 0;

const e = () => ({ ...env, ...vars }) as unknown as Env;

beforeAll(async () => {
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
  keys = await createDiscordKeys();
  vars = { DISCORD_APPLICATION_ID: APP, DISCORD_PUBLIC_KEY: keys.publicKey, DISCORD_API_ROOT: 'https://discord.fake/api/v10', DISCORD_DM_POLICY: 'open', DISCORD_CHANNELS: CHANNEL };
});

function ask(question: string) {
  const id = String(1_500_000_000_000_000_100n + BigInt(++n));
  const token = `workerd-token-${n}`;
  fake.allowToken(token);
  return { id, token, body: askInteraction({ id, applicationId: APP, token, userId: '1600000000000000001', channelId: CHANNEL, guildId: '1400000000000000001', question }) };
}

async function post(body: unknown, opts: { nowMs?: number; signer?: typeof keys } = {}) {
  const raw = JSON.stringify(body);
  return routes.request('/default/interactions', { method: 'POST', headers: await discordHeaders(opts.signer ?? keys, raw, opts.nowMs), body: raw }, e());
}

async function count() {
  const snap = await env.SESSIONS.getByName(`agent:main:discord:default:channel:${CHANNEL}`).snapshot();
  return snap.queued + snap.processed;
}

describe('discord on workerd', () => {
  it('verifies Ed25519 signatures with WebCrypto and refuses a changed body or an old timestamp', async () => {
    const now = 1_800_000_000_000;
    const ts = String(now / 1000);
    const signature = await keys.sign(ts, '{"a":1}');
    expect(await verifyDiscordRequest({ publicKey: keys.publicKey, signature, timestamp: ts, body: '{"a":1}', now })).toEqual({ ok: true });
    expect(await verifyDiscordRequest({ publicKey: keys.publicKey, signature, timestamp: ts, body: '{"a":2}', now })).toEqual({ ok: false, reason: 'mismatch' });
    expect(await verifyDiscordRequest({ publicKey: keys.publicKey, signature, timestamp: ts, body: '{"a":1}', now: now + 5 * 60_000 + 1 })).toEqual({ ok: false, reason: 'stale' });
    expect(await verifyDiscordRequest({ publicKey: keys.publicKey, signature: undefined, timestamp: ts, body: '{"a":1}', now })).toEqual({ ok: false, reason: 'missing' });
  });

  it('answers PING with PONG, and 401 to forged or stale requests with nothing enqueued', async () => {
    expect(await (await post(pingInteraction(APP))).json()).toEqual({ type: 1 });
    const other = await createDiscordKeys();
    expect((await post(ask('forged').body, { signer: other })).status).toBe(401);
    expect((await post(ask('stale').body, { nowMs: Date.now() - 10 * 60_000 })).status).toBe(401);
    expect(await count()).toBe(0);
  });

  it('defers /ask after queueing it once, keeps its token in D1, and refuses a replay', async () => {
    const { id, token, body } = ask('hello from workerd');
    const res = await post(body);
    expect(await res.json()).toEqual({ type: 5 });
    expect(await getReplyToken(env.DB, interactionTokenId('default', id), Date.now())).toBe(token);
    expect((await post(body)).status).toBe(409);
    expect(await count()).toBe(1);
  });

  it('bounds the reply-token store: past its cap new tokens are refused', async () => {
    const now = Date.now();
    expect(await putReplyToken(env.DB, 'cap:a', 'x', now + 60_000, now, 1_000_000)).toBe('stored');
    expect(await putReplyToken(env.DB, 'cap:b', 'y', now + 60_000, now, 1)).toBe('full');
    expect(await getReplyToken(env.DB, 'cap:b', now)).toBeNull();
    expect(await getReplyToken(env.DB, 'cap:a', now + 60_001)).toBeNull();
  });

  it('answers through the interaction webhook in chunks of at most 2,000, once, waiting out a 429', async () => {
    const { id, token } = ask('long');
    const waits: number[] = [];
    const clock: RetryClock = { sleep: async (ms) => void waits.push(ms), random: () => 0.5 };
    const outbox = createDiscordOutbox({
      account: (a) => findDiscordAccount(vars, a),
      api: (a) => createDiscordApi({ ...a, fetch: fake.fetch }),
      interactionToken: async (account, interaction) => (account === 'default' && interaction === id ? token : null),
      store: new MemoryOutboxStore(),
      clock,
    });
    fake.failNext({ status: 429, retryAfter: 0.25 });
    const text = `${'a'.repeat(1_500)}\n${'b'.repeat(1_500)}\n${'c'.repeat(1_500)}`;
    const reply = { sessionKey: 's', runId: 'r1', text, target: { channel: 'discord', account: 'default', chatId: CHANNEL, threadId: `i${id}` } };
    expect(await outbox.deliver(reply)).toMatchObject({ status: 'sent', chunks: 3, sentNow: 3 });
    expect(await outbox.deliver(reply)).toMatchObject({ status: 'sent', sentNow: 0, alreadySent: 3 });
    expect(waits).toEqual([250]);
    const sent = fake.messages().filter((m) => m.to === token);
    expect(sent.map((m) => [m.kind, m.content.length])).toEqual([
      ['edit', 1_500],
      ['followup', 1_500],
      ['followup', 1_500],
    ]);
  });
});

describe('channels.status / channels.logout on workerd', () => {
  it('lists the configured account, and a logout refuses its traffic (503, nothing queued) until channels.start', async () => {
    const status = await channelsStatus(e(), { channel: 'discord', timeoutMs: 1_000, now: Date.now() });
    const acct = (status.channelAccounts as Record<string, Record<string, unknown>[]>).discord![0]!;
    expect(acct).toMatchObject({ accountId: 'default', configured: true, enabled: true, running: true, mode: 'interactions', application: { id: APP } });
    expect(acct.lastInboundAt).toEqual(expect.any(Number));

    expect(await channelsLogout(e(), 'discord', 'default', Date.now())).toMatchObject({ loggedOut: true, cleared: false, supported: true, envToken: true });
    const before = await count();
    const blocked = await post(ask('while logged out').body);
    expect(blocked.status).toBe(503);
    expect(await count()).toBe(before);
    const reply = await deliverChannelReply(e(), new MemoryOutboxStore(), { sessionKey: 's', runId: 'r-logged-out', text: 'no', thread: `discord:default:${CHANNEL}` });
    expect(reply).toMatchObject({ status: 'failed', sentNow: 0, error: 'discord account "default" is logged out' });
    const after = await channelsStatus(e(), { channel: 'discord', timeoutMs: 1_000, now: Date.now() });
    expect((after.channelAccounts as Record<string, Record<string, unknown>[]>).discord![0]).toMatchObject({ enabled: false, running: false, lastStopAt: expect.any(Number) });

    expect(await channelsStart(e(), 'discord', 'default', Date.now())).toMatchObject({ started: true, hosted: false });
    expect(await (await post(ask('after start').body)).json()).toEqual({ type: 5 });
  });

  it('a changed account config is not covered by an older logout', async () => {
    await channelsLogout(e(), 'discord', 'default', Date.now());
    expect((await post(ask('x').body)).status).toBe(503);
    vars = { ...vars, DISCORD_CHANNELS: `${CHANNEL},1400000000000000999` };
    expect(await (await post(ask('changed config').body)).json()).toEqual({ type: 5 });
  });

  it('reports a Gateway account as not running on Workers (that mode needs the Node host)', async () => {
    const gw = { ...e(), DISCORD_GATEWAY: '1', DISCORD_BOT_TOKEN: 'MTMwMDAwMDAwMDAwMDAwMDAwMg.workerd.gateway-token-value' } as Env;
    const status = await channelsStatus(gw, { channel: 'discord', timeoutMs: 1_000, now: Date.now() });
    const acct = (status.channelAccounts as Record<string, Record<string, unknown>[]>).discord![0]!;
    expect(acct).toMatchObject({ mode: 'gateway', running: false, connected: false, lastError: 'this mode runs on the Node host only' });
    expect(JSON.stringify(status)).not.toContain('gateway-token-value');
  });

  it('rejects an unknown channel and answers loggedOut:false for an unknown account', async () => {
    await expect(channelsLogout(e(), 'nope', 'default', Date.now())).rejects.toThrow('invalid channels.logout channel');
    expect(await channelsLogout(e(), 'tg', 'ghost', Date.now())).toMatchObject({ channel: 'telegram', accountId: 'ghost', loggedOut: false, cleared: false });
  });
});
