// channels.status / channels.logout / channels.start on the real Node server for Telegram (polling and
// webhook accounts, through the registry's thin adapter) and Slack: logout stops the poller or deletes the
// webhook, refuses inbound with 503 and nothing queued, survives a restart, and channels.start undoes it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_TOKEN } from '../contract/constants.ts';
import { waitFor } from '../contract/harness.ts';
import { serveOnPort0, type ServedFake } from '../fakes/serve-node.ts';
import { createFakeSlack, slackDm, slackHeaders } from '../fakes/slack.ts';
import { createFakeTelegram, dm } from '../fakes/telegram.ts';
import { rpcCall } from './rpc.ts';
import { operatorClient, spawnServer, stopServer, tempDir, type ServerProcess } from './server-process.ts';

const SLACK_SECRET = 'a1b2c3d4e5f60718293a4b5c6d7e8f91';
const SLACK_TOKEN = 'xoxb-3333-4444-statusstatus';
const HOOK_SECRET = 'hook-secret-for-status-tests';
const dir = tempDir();
const telegram = createFakeTelegram();
const slack = createFakeSlack(SLACK_TOKEN);
const POLL = telegram.addBot(5001, 'poll_bot');
const HOOK = telegram.addBot(5002, 'hook_bot');
let servedTelegram: ServedFake;
let servedSlack: ServedFake;
let server: ServerProcess;
let config: string;

const rpc = (method: string, params: unknown) => rpcCall(server.url, method, params);
const accounts = async (channel: string) => ((await rpc('channels.status', { channel })).payload.channelAccounts as Record<string, Record<string, unknown>[]>)[channel]!;
const getUpdatesCalls = () => telegram.calls.filter((c) => c.method === 'getUpdates').length;
const start = () => spawnServer({ PORT: '0', EDGECLAW_DATA_DIR: join(dir.path, 'data'), EDGECLAW_GATEWAY_TOKEN: TEST_TOKEN, EDGECLAW_CONFIG: config });

async function queued(key: string): Promise<number> {
  const res = await fetch(`${server.url}/sessions/${encodeURIComponent(key)}`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
  const { session } = (await res.json()) as { session: { queued: number; processed: number } };
  return session.queued + session.processed;
}

beforeAll(async () => {
  servedTelegram = await serveOnPort0(telegram.app);
  servedSlack = await serveOnPort0(slack.app);
  config = join(dir.path, 'edgeclaw.json5');
  writeFileSync(
    config,
    JSON.stringify({
      channels: {
        telegram: {
          accounts: [
            { id: 'poll', token: POLL, apiRoot: servedTelegram.url, transport: 'polling', dmPolicy: 'open', pollTimeoutSeconds: 1 },
            { id: 'hook', token: HOOK, apiRoot: servedTelegram.url, transport: 'webhook', webhookSecret: HOOK_SECRET, dmPolicy: 'open' },
          ],
        },
        slack: { accounts: [{ id: 'default', botToken: SLACK_TOKEN, signingSecret: SLACK_SECRET, apiRoot: `${servedSlack.url}/api`, dmPolicy: 'open' }] },
      },
    }),
  );
  server = await start();
});

afterAll(async () => {
  telegram.releaseAll();
  await stopServer(server);
  await servedTelegram?.close();
  await servedSlack?.close();
  dir.cleanup();
});

describe('channels.status / logout / start (node, telegram + slack)', () => {
  it('lists every configured account with its mode and live state, never a secret', async () => {
    await waitFor(async () => ((await accounts('telegram')).find((a) => a.accountId === 'poll')?.connected === true ? true : undefined), 20_000, 'the first poll');
    expect((await rpc('channels.status', { channel: 'tg' })).payload.channelOrder).toEqual(['telegram']);
    const tg = await accounts('telegram');
    expect(tg.map((a) => [a.accountId, a.mode, a.running])).toEqual([
      ['hook', 'webhook', true],
      ['poll', 'polling', true],
    ]);
    expect(tg.find((a) => a.accountId === 'poll')).toMatchObject({ connected: true, offset: expect.any(Number), dmPolicy: 'open' });
    expect(await accounts('slack')).toEqual([expect.objectContaining({ accountId: 'default', mode: 'events', running: true, configured: true })]);
    const all = JSON.stringify((await rpc('channels.status', {})).payload);
    for (const secret of [POLL, HOOK, HOOK_SECRET, SLACK_TOKEN, SLACK_SECRET]) expect(all).not.toContain(secret);
  });

  it('records accepted inbound requests as lastInboundAt', async () => {
    const raw = JSON.stringify(slackDm('EvStatus1', 'U900', 'hello'));
    const res = await fetch(`${server.url}/slack/default/events`, { method: 'POST', headers: await slackHeaders(SLACK_SECRET, raw), body: raw });
    expect(res.status).toBe(200);
    await waitFor(async () => ((await accounts('slack'))[0]!.lastInboundAt ? true : undefined), 10_000, 'the inbound record');
  });

  it('logout of a polling bot stops its poller; of a webhook bot deletes the webhook and refuses updates', async () => {
    expect((await rpc('channels.logout', { channel: 'telegram', accountId: 'poll' })).payload).toMatchObject({ channel: 'telegram', accountId: 'poll', loggedOut: true });
    const polls = getUpdatesCalls();
    telegram.pushUpdate(POLL, dm(71, 'while logged out'));
    await new Promise((r) => setTimeout(r, 1_500));
    expect(getUpdatesCalls() - polls).toBeLessThanOrEqual(1);
    expect(telegram.pending(POLL)).toBe(1);
    expect((await accounts('telegram')).find((a) => a.accountId === 'poll')).toMatchObject({ enabled: false, running: false, connected: false });

    await fetch(`${servedTelegram.url}/bot${HOOK}/setWebhook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: `${server.url}/telegram/hook/webhook`, secret_token: HOOK_SECRET }) });
    expect(telegram.webhook(HOOK)).not.toBeNull();
    expect((await rpc('channels.logout', { channel: 'telegram', accountId: 'hook' })).payload).toMatchObject({ loggedOut: true });
    expect(telegram.webhook(HOOK)).toBeNull();
    const update = { update_id: 777, ...dm(72, 'forged after logout') };
    const res = await fetch(`${server.url}/telegram/hook/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': HOOK_SECRET }, body: JSON.stringify(update) });
    expect(res.status).toBe(503);
    expect(await queued('agent:main:telegram:hook:direct:72')).toBe(0);

    const raw = JSON.stringify(slackDm('EvStatus2', 'U901', 'x'));
    expect((await rpc('channels.logout', { channel: 'slack' })).payload).toMatchObject({ loggedOut: true });
    expect((await fetch(`${server.url}/slack/default/events`, { method: 'POST', headers: await slackHeaders(SLACK_SECRET, raw), body: raw })).status).toBe(503);
    expect(await queued('agent:main:slack:default:direct:u901')).toBe(0);
  });

  it('keeps the logout across a restart, and channels.start resumes the poller', async () => {
    await stopServer(server);
    server = await start();
    expect(server.stdout()).toContain('skipped (logged out)');
    expect((await accounts('telegram')).find((a) => a.accountId === 'poll')).toMatchObject({ enabled: false, running: false });
    expect(telegram.pending(POLL)).toBe(1);

    expect((await rpc('channels.start', { channel: 'telegram', accountId: 'poll' })).payload).toMatchObject({ started: true });
    await waitFor(async () => (telegram.pending(POLL) === 0 ? true : undefined), 20_000, 'the poller to take the update');
    await waitFor(async () => ((await queued('agent:main:telegram:poll:direct:71')) === 1 ? true : undefined), 20_000, 'the update to be queued');
    expect((await accounts('telegram')).find((a) => a.accountId === 'poll')).toMatchObject({ enabled: true, running: true });
  });

  it('validates params: unknown fields and short timeouts are refused with the field named', async () => {
    const bad = await rpc('channels.status', { timeoutMs: 5 });
    expect(bad.ok).toBe(false);
    expect(JSON.stringify(bad.error)).toContain('timeoutMs');
    expect((await rpc('channels.logout', { channel: 'slack', extra: 1 })).ok).toBe(false);
    expect(JSON.stringify((await rpc('channels.logout', { channel: 'slack', accountId: 'Bad Id' })).error)).toContain('accountId');
  });

  it('announces telegram.status to readers when a polling bot runs into a 409 conflict and when it clears', async () => {
    const op = await operatorClient(server.url, TEST_TOKEN, ['operator.read']);
    const api = (method: string, body: unknown) => fetch(`${servedTelegram.url}/bot${POLL}/${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await api('setWebhook', { url: 'https://elsewhere.example/hook' })).ok).toBe(true);
    const conflict = await op.next((f) => f.event === 'telegram.status' && f.payload.account === 'poll' && f.payload.conflict !== null, 30_000);
    expect(conflict.payload.conflict.description).toMatch(/webhook/);
    expect(JSON.stringify(conflict.payload)).not.toContain(POLL);
    expect((await api('deleteWebhook', {})).ok).toBe(true);
    await op.next((f) => f.event === 'telegram.status' && f.payload.account === 'poll' && f.payload.conflict === null && f.payload.connected === true, 60_000);
    op.ws.close(1000);
  });
});
