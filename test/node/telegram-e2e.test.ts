// Telegram end to end on the real Node server: the polling account against a fake Bot API, the agent
// through the fake provider, replies delivered exactly once, also across a kill -9 mid-run.
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentModelsConfig } from '../contract/agent-config.ts';
import { longText, waitFor } from '../contract/harness.ts';
import { createFakeOpenAI } from '../fakes/openai-provider.ts';
import { serveOnPort0, type ServedFake } from '../fakes/serve-node.ts';
import { createFakeTelegram, dm } from '../fakes/telegram.ts';
import { agentServerEnv, spawnServer, stopServer, tempDir, type ServerProcess } from './server-process.ts';

const dir = tempDir();
const tg = createFakeTelegram();
const token = tg.addBot(424242, 'edgeclaw_test_bot');
const provider = createFakeOpenAI();
/** While set, provider requests wait here (a model call "in flight"). */
let hold: { promise: Promise<void>; release(): void; seen: number } | null = null;
const gatedProvider = new Hono();
gatedProvider.all('*', async (c) => {
  if (hold) {
    hold.seen++;
    await hold.promise;
  }
  return provider.app.fetch(c.req.raw);
});
let servedTg: ServedFake;
let servedProvider: ServedFake;
let server: ServerProcess;
let env: Record<string, string>;

const sentTo = (user: number) => tg.sent(token).filter((m) => m.chat_id === String(user));

beforeAll(async () => {
  servedTg = await serveOnPort0(tg.app);
  servedProvider = await serveOnPort0(gatedProvider);
  env = agentServerEnv(dir.path, {
    models: agentModelsConfig(`${servedProvider.url}/v1`),
    channels: { telegram: { accounts: [{ id: 'default', token, transport: 'polling', apiRoot: servedTg.url, dmPolicy: 'open', botUsername: 'edgeclaw_test_bot', pollTimeoutSeconds: 1 }] } },
  });
  server = await spawnServer(env);
});

afterAll(async () => {
  hold?.release();
  await stopServer(server);
  tg.releaseAll();
  await servedTg.close();
  await servedProvider.close();
  dir.cleanup();
});

describe('telegram end to end (node, polling)', () => {
  it('answers a DM through the agent, once', async () => {
    tg.pushUpdate(token, dm(1001, 'hello bot'));
    const sent = await waitFor(async () => (sentTo(1001).length > 0 ? sentTo(1001) : undefined), 30_000, 'the reply');
    expect(sent.map((m) => m.text)).toEqual(['echo: hello bot']);
  });

  it('answers an update delivered three times exactly once', async () => {
    const u = tg.pushUpdate(token, dm(1002, 'only once please'));
    tg.pushUpdate(token, { ...u });
    tg.pushUpdate(token, { ...u });
    await waitFor(async () => (sentTo(1002).length > 0 ? true : undefined), 30_000, 'the reply');
    await new Promise((r) => setTimeout(r, 1_000));
    expect(sentTo(1002).map((m) => m.text)).toEqual(['echo: only once please']);
  });

  it('splits a 10,000-character answer into ordered chunks of at most 4096', async () => {
    const long = longText(9_994);
    expect(`echo: ${long}`).toHaveLength(10_000);
    tg.pushUpdate(token, dm(1003, long));
    const sent = await waitFor(async () => {
      const s = sentTo(1003);
      return s.map((m) => m.text).join('').replace(/\s+/g, ' ').length >= `echo: ${long}`.length - 10 ? s : undefined;
    }, 30_000, 'all chunks');
    expect(sent.length).toBeGreaterThanOrEqual(3);
    for (const m of sent) expect(m.text.length).toBeLessThanOrEqual(4096);
    expect(sent.map((m) => m.text).join(' ').replace(/\s+/g, ' ')).toBe(`echo: ${long}`.replace(/\s+/g, ' '));
  });

  it('delivers the reply once after a kill -9 between enqueue and reply', async () => {
    let release!: () => void;
    hold = { promise: new Promise<void>((r) => (release = r)), release: () => release(), seen: 0 };
    tg.pushUpdate(token, dm(1004, 'survive the crash'));
    await waitFor(async () => (hold && hold.seen > 0 ? true : undefined), 30_000, 'the model call to start');
    server.child.kill('SIGKILL');
    await server.exited;
    const held = hold;
    hold = null;
    held.release();
    expect(sentTo(1004)).toEqual([]);
    server = await spawnServer(env);
    const sent = await waitFor(async () => (sentTo(1004).length > 0 ? sentTo(1004) : undefined), 30_000, 'the reply after restart');
    await new Promise((r) => setTimeout(r, 1_000));
    expect(sent.map((m) => m.text)).toEqual(['echo: survive the crash']);
    expect(sentTo(1004)).toHaveLength(1);
  });
});
