// Telegram `/auth` end to end on the real Node server: the owner logs a provider in by device code from a
// DM (fake Bot API, fake IdP), switches the chat to it with `/model`, and the next answer runs on the token
// the IdP issued; a non-owner is refused and nothing about the login reaches them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentModelsConfig } from '../contract/agent-config.ts';
import { waitFor } from '../contract/harness.ts';
import { createFakeOAuthDevice } from '../fakes/oauth-device.ts';
import { createFakeOpenAI } from '../fakes/openai-provider.ts';
import { serveOnPort0, type ServedFake } from '../fakes/serve-node.ts';
import { createFakeTelegram, dm } from '../fakes/telegram.ts';
import { agentServerEnv, spawnServer, stopServer, tempDir, type ServerProcess } from './server-process.ts';

const OWNER = 7001;
const STRANGER = 7002;
const dir = tempDir();
const tg = createFakeTelegram();
const token = tg.addBot(717171, 'edgeclaw_auth_bot');
const provider = createFakeOpenAI();
let servedTg: ServedFake;
let servedProvider: ServedFake;
let idp: ServedFake;
let server: ServerProcess;

const sentTo = (user: number) => tg.sent(token).filter((m) => m.chat_id === String(user)).map((m) => m.text);

/** Sends a DM and returns the next message the bot sends to that user. */
async function say(user: number, text: string): Promise<string> {
  const before = sentTo(user).length;
  tg.pushUpdate(token, dm(user, text));
  return waitFor(async () => sentTo(user)[before], 30_000, `the answer to "${text}"`);
}

beforeAll(async () => {
  servedTg = await serveOnPort0(tg.app);
  servedProvider = await serveOnPort0(provider.app);
  idp = await serveOnPort0(createFakeOAuthDevice().app);
  server = await spawnServer(agentServerEnv(dir.path, {
    models: agentModelsConfig(`${servedProvider.url}/v1`, idp.url),
    channels: { telegram: { accounts: [{ id: 'default', token, transport: 'polling', apiRoot: servedTg.url, dmPolicy: 'open', owner: String(OWNER), pollTimeoutSeconds: 1 }] } },
  }));
});

afterAll(async () => {
  await stopServer(server);
  tg.releaseAll();
  await servedTg?.close();
  await servedProvider?.close();
  await idp?.close();
  dir.cleanup();
});

describe('telegram /auth (node, polling, fake IdP)', () => {
  it('refuses a sender who is not the owner', async () => {
    expect(await say(STRANGER, '/auth start fake-oauth')).toBe('Only the owner of this bot can log providers in.');
  });

  it('logs the owner in by device code and the chat then runs on the issued token', async () => {
    expect(await say(OWNER, '/auth providers')).toMatch(/fake-oauth: not logged in/);
    const started = await say(OWNER, '/auth start fake-oauth');
    const m = /^Open (\S+)\nand confirm the code (\S+) \(valid until \d\d:\d\d UTC\)\.\nThen send: \/auth wait (\S+)$/.exec(started);
    expect(m, started).not.toBeNull();
    const [, url, userCode, loginId] = m!;
    expect(url).toBe(`${idp.url}/activate?user_code=${userCode}`);
    expect(await say(OWNER, `/auth wait ${loginId}`)).toMatch(/^Still waiting for you to confirm the code/);
    // The user confirms the code in a browser (here: at the fake IdP).
    const approved = await fetch(`${idp.url}/approve`, { method: 'POST', body: JSON.stringify({ user_code: userCode }) });
    expect(approved.ok).toBe(true);
    const done = await waitFor(async () => {
      const reply = await say(OWNER, `/auth wait ${loginId}`);
      return reply.startsWith('Still waiting') ? undefined : reply;
    }, 30_000, 'the login to complete');
    expect(done).toBe('Logged in to fake-oauth. Its models can be used now (/model list fake-oauth).');
    expect(await say(OWNER, '/auth providers')).toMatch(/fake-oauth: logged in/);

    expect(await say(OWNER, '/model fake-oauth/echo')).toMatch(/fake-oauth\/echo/);
    const seen = provider.requests.length;
    expect(await say(OWNER, 'hello over oauth')).toBe('echo: hello over oauth');
    const used = provider.requests.slice(seen).filter((r) => r.path.endsWith('/chat/completions'));
    expect(used.length).toBeGreaterThan(0);
    expect(used.at(-1)!.authorization).toMatch(/^Bearer at-\d+-/);
    // Nothing secret went to the chat, and the stranger heard nothing about the login.
    for (const text of sentTo(OWNER)) expect(text).not.toMatch(/\bat-\d+-|\brt-\d+-/);
    expect(sentTo(STRANGER)).toHaveLength(1);
  });
});
