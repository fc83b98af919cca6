// Slack end to end on the real Node server: signed Events API requests in, the agent through the fake
// provider, replies posted to the fake Web API in thread, exactly once per chunk.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentModelsConfig } from '../contract/agent-config.ts';
import { TEST_TOKEN } from '../contract/constants.ts';
import { longText, waitFor, waitForChunks } from '../contract/harness.ts';
import { createFakeOpenAI } from '../fakes/openai-provider.ts';
import { serveOnPort0, type ServedFake } from '../fakes/serve-node.ts';
import { createFakeSlack, slackDm, slackHeaders, slackMention } from '../fakes/slack.ts';
import { agentServerEnv, spawnServer, stopServer, tempDir, type ServerProcess } from './server-process.ts';

const SECRET = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const BOT_TOKEN = 'xoxb-1111-2222-abcdefghijkl';
const dir = tempDir();
const slack = createFakeSlack(BOT_TOKEN);
const provider = createFakeOpenAI();
let servedSlack: ServedFake;
let servedProvider: ServedFake;
let server: ServerProcess;

const postedTo = (channel: string) => slack.posted().filter((m) => m.channel === channel);

async function post(body: unknown, opts: { secret?: string; nowMs?: number; headers?: Record<string, string>; account?: string } = {}) {
  const raw = JSON.stringify(body);
  const headers = await slackHeaders(opts.secret ?? SECRET, raw, opts.nowMs, opts.headers);
  return fetch(`${server.url}/slack/${opts.account ?? 'default'}/events`, { method: 'POST', headers, body: raw });
}

async function sessionCounts(key: string): Promise<number> {
  const res = await fetch(`${server.url}/sessions/${encodeURIComponent(key)}`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
  const { session } = (await res.json()) as { session: { queued: number; processed: number } };
  return session.queued + session.processed;
}

beforeAll(async () => {
  servedSlack = await serveOnPort0(slack.app);
  servedProvider = await serveOnPort0(provider.app);
  server = await spawnServer(agentServerEnv(dir.path, {
    models: agentModelsConfig(`${servedProvider.url}/v1`),
    channels: { slack: { accounts: [{ id: 'default', botToken: BOT_TOKEN, signingSecret: SECRET, apiRoot: `${servedSlack.url}/api`, dmPolicy: 'open', groupPolicy: 'allowlist', groups: ['CGENERAL'] }] } },
  }));
});

afterAll(async () => {
  await stopServer(server);
  await servedSlack.close();
  await servedProvider.close();
  dir.cleanup();
});

describe('slack events (node server, fake web api)', () => {
  it('answers the signed URL verification with its challenge', async () => {
    const res = await post({ type: 'url_verification', token: 'legacy', challenge: 'chal_123' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ challenge: 'chal_123' });
  });

  it('refuses a bad signature, a stale timestamp and an unsigned request, and enqueues nothing', async () => {
    const body = slackDm('EvBAD1', 'U100', 'forged');
    expect((await post(body, { secret: 'ffffffffffffffffffffffffffffffff' })).status).toBe(401);
    expect((await post(body, { nowMs: Date.now() - 6 * 60_000 })).status).toBe(401);
    const unsigned = await fetch(`${server.url}/slack/default/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(unsigned.status).toBe(401);
    expect(unsigned.headers.get('x-slack-no-retry')).toBe('1');
    expect(await sessionCounts('agent:main:slack:default:direct:u100')).toBe(0);
    expect(postedTo('DU100')).toEqual([]);
  });

  it('answers a DM through the agent with exactly one message', async () => {
    const res = await post(slackDm('EvDM1', 'U200', 'hello slack'));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, status: 'queued' });
    const sent = await waitFor(async () => (postedTo('DU200').length > 0 ? postedTo('DU200') : undefined), 30_000, 'the reply');
    expect(sent.map((m) => m.text)).toEqual(['echo: hello slack']);
  });

  it('acknowledges retries of an event (X-Slack-Retry-Num) as duplicates and replies once', async () => {
    const body = slackDm('EvRETRY1', 'U300', 'only once');
    expect(await (await post(body)).json()).toMatchObject({ status: 'queued' });
    for (const n of ['1', '2']) {
      const res = await post(body, { headers: { 'x-slack-retry-num': n, 'x-slack-retry-reason': 'http_timeout' } });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'duplicate' });
    }
    await waitFor(async () => (postedTo('DU300').length > 0 ? true : undefined), 30_000, 'the reply');
    expect(await sessionCounts('agent:main:slack:default:direct:u300')).toBe(1);
    expect(postedTo('DU300').map((m) => m.text)).toEqual(['echo: only once']);
  });

  it('answers a channel mention in the thread of the mentioning message, without the mention', async () => {
    await post(slackMention('EvMENTION1', 'U400', 'CGENERAL', 'what is up', { ts: '1800000001.000200' }));
    const sent = await waitFor(async () => (postedTo('CGENERAL').length > 0 ? postedTo('CGENERAL') : undefined), 30_000, 'the reply');
    expect(sent).toEqual([expect.objectContaining({ text: 'echo: what is up', thread_ts: '1800000001.000200' })]);
  });

  it('ignores mentions in channels that are not allowed', async () => {
    const res = await post(slackMention('EvMENTION2', 'U400', 'CRANDOM', 'hello'));
    expect(await res.json()).toMatchObject({ status: 'ignored' });
  });

  it('splits a 10,000-character answer into chunks of at most 4,000 characters, in order', async () => {
    const long = longText(9_994);
    await post(slackDm('EvLONG1', 'U500', long));
    expect(await waitForChunks(() => postedTo('DU500').map((m) => m.text), `echo: ${long}`, 4_000)).toHaveLength(3);
  });

  it('waits out a 429 with Retry-After and then posts the reply once', async () => {
    slack.failNext({ status: 429, retryAfter: 1 });
    const before = slack.calls();
    await post(slackDm('EvRATE1', 'U600', 'rate limited'));
    const sent = await waitFor(async () => (postedTo('DU600').length > 0 ? postedTo('DU600') : undefined), 30_000, 'the reply');
    expect(sent.map((m) => m.text)).toEqual(['echo: rate limited']);
    expect(slack.calls() - before).toBe(2);
  });
});
