// Discord end to end on the real Node server: signed interactions in (Ed25519), the agent through the
// fake provider, answers through the fake interaction webhook split at 2,000 characters; plain messages
// over the fake Gateway (identify, resume after a dropped connection); channels.status / logout / start.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentModelsConfig } from '../contract/agent-config.ts';
import { TEST_TOKEN } from '../contract/constants.ts';
import { longText, waitFor, waitForChunks } from '../contract/harness.ts';
import { askInteraction, createDiscordKeys, createFakeDiscord, createFakeDiscordGateway, discordHeaders, messageCreate, pingInteraction } from '../fakes/discord.ts';
import { createFakeOpenAI } from '../fakes/openai-provider.ts';
import { serveOnPort0, type ServedFake } from '../fakes/serve-node.ts';
import { rpcCall } from './rpc.ts';
import { agentServerEnv, spawnServer, stopServer, tempDir, type ServerProcess } from './server-process.ts';

const APP = '1300000000000000001';
const BOT_TOKEN = 'MTMwMDAwMDAwMDAwMDAwMDAwMQ.GfakeX.discord-bot-token-for-tests';
const BOT_USER = '1300000000000000999';
const GUILD = '1400000000000000001';
const CHANNEL = '1400000000000000100';
const dir = tempDir();
const provider = createFakeOpenAI();
let keys: Awaited<ReturnType<typeof createDiscordKeys>>;
let gateway: Awaited<ReturnType<typeof createFakeDiscordGateway>>;
let rest: ReturnType<typeof createFakeDiscord>;
let servedRest: ServedFake;
let servedProvider: ServedFake;
let server: ServerProcess;
let seq = 0;

async function postInteraction(body: unknown, opts: { nowMs?: number; keysOverride?: typeof keys } = {}) {
  const raw = JSON.stringify(body);
  const headers = await discordHeaders(opts.keysOverride ?? keys, raw, opts.nowMs);
  return fetch(`${server.url}/discord/default/interactions`, { method: 'POST', headers, body: raw });
}

function ask(question: string, o: { userId?: string; dm?: boolean } = {}) {
  const n = ++seq;
  const id = String(1_500_000_000_000_000_000n + BigInt(n));
  const token = `aW50ZXJhY3Rpb246${n}-token`;
  rest.allowToken(token);
  return { token, body: askInteraction({ id, applicationId: APP, token, userId: o.userId ?? `16000000000000000${n.toString().padStart(2, '0')}`, channelId: CHANNEL, question, ...(o.dm ? {} : { guildId: GUILD }) }) };
}

const rpc = (method: string, params: unknown) => rpcCall(server.url, method, params);

const to = (target: string) => rest.messages().filter((m) => m.to === target);
const channelAccount = async () => ((await rpc('channels.status', { channel: 'discord' })).payload.channelAccounts as Record<string, Record<string, unknown>[]>).discord![0]!;

let serverEnv: Record<string, string>;

beforeAll(async () => {
  keys = await createDiscordKeys();
  gateway = await createFakeDiscordGateway({ botToken: BOT_TOKEN, botUserId: BOT_USER });
  rest = createFakeDiscord({ applicationId: APP, botToken: BOT_TOKEN, gatewayUrl: () => gateway.url });
  servedRest = await serveOnPort0(rest.app);
  servedProvider = await serveOnPort0(provider.app);
  serverEnv = agentServerEnv(dir.path, {
    models: agentModelsConfig(`${servedProvider.url}/v1`),
    channels: {
      discord: {
        accounts: [{ id: 'default', applicationId: APP, publicKey: keys.publicKey, botToken: BOT_TOKEN, apiRoot: `${servedRest.url}/api/v10`, gateway: true, dmPolicy: 'open', groupPolicy: 'allowlist', groups: [CHANNEL] }],
      },
    },
  });
  server = await spawnServer(serverEnv);
  await waitFor(async () => (gateway.stats.identifies > 0 && gateway.connected() ? true : undefined), 20_000, 'the gateway identify');
});

afterAll(async () => {
  await stopServer(server);
  await servedRest?.close();
  await servedProvider?.close();
  await gateway?.close();
  dir.cleanup();
});

describe('discord interactions (node server, fake REST and Gateway)', () => {
  it('answers a signed PING with PONG and refuses bad signatures, stale timestamps and unsigned requests', async () => {
    const ping = await postInteraction(pingInteraction(APP));
    expect(ping.status).toBe(200);
    expect(await ping.json()).toEqual({ type: 1 });
    const { token, body } = ask('forged');
    const other = await createDiscordKeys();
    expect((await postInteraction(body, { keysOverride: other })).status).toBe(401);
    expect((await postInteraction(body, { nowMs: Date.now() - 6 * 60_000 })).status).toBe(401);
    const unsigned = await fetch(`${server.url}/discord/default/interactions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(unsigned.status).toBe(401);
    const status = await fetch(`${server.url}/sessions/${encodeURIComponent(`agent:main:discord:default:channel:${CHANNEL}`)}`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    const { session } = (await status.json()) as { session: { queued: number; processed: number } };
    expect(session.queued + session.processed).toBe(0);
    expect(to(token)).toEqual([]);
  });

  it('defers /ask, then edits the deferred response with the answer exactly once; a replay is refused', async () => {
    const { token, body } = ask('hello discord');
    const res = await postInteraction(body);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ type: 5 });
    const sent = await waitFor(async () => (to(token).length > 0 ? to(token) : undefined), 30_000, 'the answer');
    expect(sent).toEqual([expect.objectContaining({ kind: 'edit', content: 'echo: hello discord', allowedMentions: { parse: [] } })]);
    const replay = await postInteraction(body);
    expect(replay.status).toBe(409);
    await new Promise((r) => setTimeout(r, 500));
    expect(to(token)).toHaveLength(1);
  });

  it('splits a long answer at 2,000 characters: the first edits the response, the rest are follow-ups', async () => {
    const question = longText(4_494).trim();
    const { token, body } = ask(question);
    await postInteraction(body);
    await waitForChunks(() => to(token).map((m) => m.content), `echo: ${question}`, 2_000);
    expect(to(token).map((m) => m.kind)).toEqual(['edit', 'followup', 'followup']);
  });

  it('waits out a 429 (JSON retry_after in seconds) and then answers once', async () => {
    rest.failNext({ status: 429, retryAfter: 0.4 });
    const before = rest.calls();
    const { token, body } = ask('rate limited');
    await postInteraction(body);
    const sent = await waitFor(async () => (to(token).length > 0 ? to(token) : undefined), 30_000, 'the answer');
    expect(sent.map((m) => m.content)).toEqual(['echo: rate limited']);
    expect(rest.calls() - before).toBe(2);
  });
});

describe('discord gateway (node only)', () => {
  it('answers a DM seen on the Gateway with one channel message', async () => {
    gateway.dispatch('MESSAGE_CREATE', messageCreate({ id: '1700000000000000001', channelId: '1800000000000000001', userId: '1900000000000000001', content: 'hi over the gateway' }));
    const sent = await waitFor(async () => (to('1800000000000000001').length > 0 ? to('1800000000000000001') : undefined), 30_000, 'the reply');
    expect(sent).toEqual([expect.objectContaining({ kind: 'channel', content: 'echo: hi over the gateway' })]);
  });

  it('answers a mention in an allowed channel and ignores an unmentioned message', async () => {
    gateway.dispatch('MESSAGE_CREATE', messageCreate({ id: '1700000000000000010', channelId: CHANNEL, guildId: GUILD, userId: '1900000000000000002', content: 'no mention here' }));
    gateway.dispatch('MESSAGE_CREATE', messageCreate({ id: '1700000000000000011', channelId: CHANNEL, guildId: GUILD, userId: '1900000000000000002', content: `<@${BOT_USER}> mentioned`, mentions: [BOT_USER] }));
    const sent = await waitFor(async () => {
      const s = to(CHANNEL).filter((m) => m.kind === 'channel');
      return s.length > 0 ? s : undefined;
    }, 30_000, 'the reply');
    await new Promise((r) => setTimeout(r, 500));
    expect(to(CHANNEL).filter((m) => m.kind === 'channel').map((m) => m.content)).toEqual(['echo: mentioned']);
    expect(sent[0]).toMatchObject({ content: 'echo: mentioned' });
  });

  it('resumes with session_id and seq after a dropped connection and gets the missed message once', async () => {
    const identifies = gateway.stats.identifies;
    gateway.dropConnections();
    gateway.dispatch('MESSAGE_CREATE', messageCreate({ id: '1700000000000000020', channelId: '1800000000000000002', userId: '1900000000000000003', content: 'sent while you were away' }));
    await waitFor(async () => (gateway.stats.resumes > 0 && gateway.connected() ? true : undefined), 30_000, 'the resume');
    const sent = await waitFor(async () => (to('1800000000000000002').length > 0 ? to('1800000000000000002') : undefined), 30_000, 'the reply');
    expect(gateway.stats.identifies).toBe(identifies);
    expect(gateway.stats.resumeSeqs[0]).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 500));
    expect(sent.map((m) => m.content)).toEqual(['echo: sent while you were away']);
    expect(to('1800000000000000002')).toHaveLength(1);
  });

  it('resumes the same session after kill -9 and a restart: what arrived while it was down is answered once', async () => {
    const identifies = gateway.stats.identifies;
    const resumes = gateway.stats.resumes;
    server.child.kill('SIGKILL');
    await server.exited;
    await waitFor(async () => (!gateway.connected() ? true : undefined), 10_000, 'the dead connection');
    gateway.dispatch('MESSAGE_CREATE', messageCreate({ id: '1700000000000000030', channelId: '1800000000000000003', userId: '1900000000000000004', content: 'sent while the server was down' }));
    server = await spawnServer(serverEnv);
    await waitFor(async () => (gateway.stats.resumes > resumes && gateway.connected() ? true : undefined), 30_000, 'the resume after restart');
    // The new process RESUMEd the saved session (no new IDENTIFY) from the last handled sequence number.
    expect(gateway.stats.identifies).toBe(identifies);
    const sent = await waitFor(async () => (to('1800000000000000003').length > 0 ? to('1800000000000000003') : undefined), 30_000, 'the reply');
    await new Promise((r) => setTimeout(r, 500));
    expect(sent.map((m) => m.content)).toEqual(['echo: sent while the server was down']);
    expect(to('1800000000000000003')).toHaveLength(1);
    // Messages answered before the crash were not answered again (replay is deduplicated by message id).
    expect(to('1800000000000000002')).toHaveLength(1);
  });
});

describe('channels.status / channels.logout (node)', () => {
  it('lists the discord account with mode, connection state and last activity', async () => {
    const status = await rpc('channels.status', {});
    expect(status.ok).toBe(true);
    expect(status.payload.channelOrder).toEqual(['telegram', 'whatsapp', 'discord', 'slack', 'signal']);
    const account = await channelAccount();
    expect(account).toMatchObject({ accountId: 'default', configured: true, enabled: true, running: true, connected: true, mode: 'gateway', lastError: null });
    expect(account.lastInboundAt).toEqual(expect.any(Number));
    expect(account.lastOutboundAt).toEqual(expect.any(Number));
    expect(JSON.stringify(status.payload)).not.toContain(BOT_TOKEN);
    expect((status.payload.channels as Record<string, unknown>).telegram).toMatchObject({ configured: false });
  });

  it('logout stops the account (interactions 503, Gateway closed, nothing queued) and start brings it back', async () => {
    const out = await rpc('channels.logout', { channel: 'discord' });
    expect(out.payload).toMatchObject({ channel: 'discord', accountId: 'default', loggedOut: true, supported: true });
    const { token, body } = ask('while logged out');
    expect((await postInteraction(body)).status).toBe(503);
    await waitFor(async () => (!gateway.connected() ? true : undefined), 10_000, 'the gateway close');
    expect(await channelAccount()).toMatchObject({ enabled: false, running: false, connected: false, lastStopAt: expect.any(Number) });
    expect((await rpc('channels.logout', { channel: 'nope' })).ok).toBe(false);
    expect((await rpc('channels.logout', { channel: 'discord', accountId: 'other' })).payload).toMatchObject({ loggedOut: false, cleared: false });

    expect((await rpc('channels.start', { channel: 'discord' })).payload).toMatchObject({ started: true, hosted: true });
    await waitFor(async () => (gateway.connected() ? true : undefined), 20_000, 'the gateway reconnect');
    const again = ask('after start');
    expect(await (await postInteraction(again.body)).json()).toEqual({ type: 5 });
    await waitFor(async () => (to(again.token).length > 0 ? true : undefined), 30_000, 'the answer');
    expect(to(token)).toEqual([]);
  });
});
