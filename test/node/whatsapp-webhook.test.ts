// WhatsApp Cloud API end to end on the real Node server: the verify handshake, signed webhooks in, the
// agent through the fake provider, texts out through the fake Graph API, the 24-hour window error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentModelsConfig } from '../contract/agent-config.ts';
import { TEST_TOKEN } from '../contract/constants.ts';
import { longText, waitFor, waitForChunks } from '../contract/harness.ts';
import { createFakeOpenAI } from '../fakes/openai-provider.ts';
import { serveOnPort0, type ServedFake } from '../fakes/serve-node.ts';
import { createFakeWhatsApp, waHeaders, waText } from '../fakes/whatsapp.ts';
import { agentServerEnv, spawnServer, stopServer, tempDir, type ServerProcess } from './server-process.ts';

const PHONE_ID = '109876543210';
const ACCESS_TOKEN = 'EAAGtestaccesstoken0123456789';
const APP_SECRET = 'whatsapp_app_secret_0123456789';
const VERIFY_TOKEN = 'verify-me-please';
const dir = tempDir();
const wa = createFakeWhatsApp(ACCESS_TOKEN);
const provider = createFakeOpenAI();
let servedWa: ServedFake;
let servedProvider: ServedFake;
let server: ServerProcess;

const sentTo = (to: string) => wa.sent().filter((m) => m.to === to);

async function post(body: unknown, secret = APP_SECRET) {
  const raw = JSON.stringify(body);
  return fetch(`${server.url}/whatsapp/default/webhook`, { method: 'POST', headers: await waHeaders(secret, raw), body: raw });
}

beforeAll(async () => {
  servedWa = await serveOnPort0(wa.app);
  servedProvider = await serveOnPort0(provider.app);
  const config = { models: agentModelsConfig(`${servedProvider.url}/v1`), channels: { whatsapp: { accounts: [{ id: 'default', phoneNumberId: '1', accessToken: 'placeholder-token-000000', appSecret: 'placeholder-secret-0000', verifyToken: 'placeholder', apiRoot: servedWa.url, dmPolicy: 'open' }] } } };
  // The env vars override the file's secrets (how a deployment keeps them out of the config file).
  server = await spawnServer(agentServerEnv(dir.path, config, { WHATSAPP_TOKEN: ACCESS_TOKEN, WHATSAPP_APP_SECRET: APP_SECRET, WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN, WHATSAPP_PHONE_NUMBER_ID: PHONE_ID }));
});

afterAll(async () => {
  await stopServer(server);
  await servedWa.close();
  await servedProvider.close();
  dir.cleanup();
});

describe('whatsapp cloud api (node server, fake graph api)', () => {
  it('answers the verify handshake with the challenge only for the right verify token', async () => {
    const ok = await fetch(`${server.url}/whatsapp/default/webhook?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1158201444`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('1158201444');
    const bad = await fetch(`${server.url}/whatsapp/default/webhook?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1158201444`);
    expect(bad.status).toBe(403);
  });

  it('refuses a missing or wrong X-Hub-Signature-256 and enqueues nothing', async () => {
    const body = JSON.stringify(waText(PHONE_ID, '15550000001', 'wamid.BAD1', 'forged'));
    const unsigned = await fetch(`${server.url}/whatsapp/default/webhook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(unsigned.status).toBe(401);
    expect((await post(JSON.parse(body), 'not-the-app-secret-at-all')).status).toBe(401);
    const res = await fetch(`${server.url}/sessions/${encodeURIComponent('agent:main:whatsapp:default:direct:15550000001')}`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    const { session } = (await res.json()) as { session: { queued: number; processed: number } };
    expect(session.queued + session.processed).toBe(0);
  });

  it('answers a text message with exactly one text, also when the webhook is delivered twice', async () => {
    const body = waText(PHONE_ID, '15550000002', 'wamid.IN2', 'hello whatsapp');
    expect(await (await post(body)).json()).toMatchObject({ ok: true, statuses: ['queued'] });
    expect(await (await post(body)).json()).toMatchObject({ ok: true, statuses: ['duplicate'] });
    const sent = await waitFor(async () => (sentTo('15550000002').length > 0 ? sentTo('15550000002') : undefined), 30_000, 'the reply');
    expect(sent).toEqual([expect.objectContaining({ phoneNumberId: PHONE_ID, body: 'echo: hello whatsapp' })]);
  });

  it('ignores messages addressed to another phone number id', async () => {
    expect(await (await post(waText('999', '15550000003', 'wamid.IN3', 'not for us'))).json()).toMatchObject({ ok: true, statuses: [] });
  });

  it('splits a 10,000-character answer at 4,096 characters', async () => {
    const long = longText(9_994);
    await post(waText(PHONE_ID, '15550000004', 'wamid.IN4', long));
    expect(await waitForChunks(() => sentTo('15550000004').map((m) => m.body), `echo: ${long}`, 4_096)).toHaveLength(3);
  });

  it('reports a closed 24-hour window (131047) in the log and does not retry it', async () => {
    wa.closeWindow('15550000005');
    const before = wa.calls();
    await post(waText(PHONE_ID, '15550000005', 'wamid.IN5', 'too late'));
    const line = await waitFor(async () => server.stdout().split('\n').find((l) => l.includes('24-hour window closed (131047)')), 30_000, 'the window error in the log');
    expect(JSON.parse(line)).toMatchObject({ level: 'warn', msg: 'reply delivery incomplete', channel: 'whatsapp', status: 'failed' });
    expect(wa.calls() - before).toBe(1);
    expect(sentTo('15550000005')).toEqual([]);
  });
});
