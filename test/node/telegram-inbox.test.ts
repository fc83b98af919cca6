// The Telegram webhook inbox on the real Node server (real SQLite, real DO host): the webhook answers 200
// once the update is one committed inbox row, and the account object hands it to its session afterwards.
// Telegram redelivers until it gets a 200; a SIGKILL in the middle of a burst must neither lose an
// acknowledged update nor queue one twice.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_TOKEN } from '../contract/constants.ts';
import { createFakeTelegram, dm } from '../fakes/telegram.ts';
import { serveOnPort0, type ServedFake } from '../fakes/serve-node.ts';
import { spawnServer, tempDir, type ServerProcess } from './server-process.ts';

const SECRET = 'inbox_secret_0123456789';
const CHATS = 8;
const PER_CHAT = 15;
const tg = createFakeTelegram();
const token = tg.addBot(6161, 'inbox_bot');
// A second bot with a tiny inbox and no configured username (its hand-off asks getMe first, which a test hangs).
const smallToken = tg.addBot(6262, 'small_bot');
const dir = tempDir();
let served: ServedFake;
let server: ServerProcess;
let env: Record<string, string>;
let restarting: Promise<void> | null = null;

beforeAll(async () => {
  served = await serveOnPort0(tg.app);
  const config = join(dir.path, 'edgeclaw.json5');
  const account = { id: 'default', token, transport: 'webhook', webhookSecret: SECRET, apiRoot: served.url, dmPolicy: 'open', botUsername: 'inbox_bot' };
  const small = { id: 'small', token: smallToken, transport: 'webhook', webhookSecret: SECRET, apiRoot: served.url, dmPolicy: 'open', inboxCap: 2 };
  writeFileSync(config, JSON.stringify({ channels: { telegram: { accounts: [account, small] } } }));
  env = { PORT: '0', EDGECLAW_DATA_DIR: join(dir.path, 'data'), EDGECLAW_GATEWAY_TOKEN: TEST_TOKEN, EDGECLAW_CONFIG: config };
  server = await spawnServer(env);
});

afterAll(async () => {
  server.child.kill('SIGKILL');
  await server.exited;
  await served.close();
  dir.cleanup();
});

const post = (update: unknown, account = 'default') =>
  fetch(`${server.url}/telegram/${account}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET }, body: JSON.stringify(update) });

/** Posts like Telegram: again and again until a 200 (across a crash); returns the body's status. */
async function deliver(update: unknown, account = 'default'): Promise<string> {
  for (;;) {
    if (restarting) await restarting;
    try {
      const res = await post(update, account);
      if (res.status === 200) return ((await res.json()) as { status: string }).status;
      await res.arrayBuffer();
    } catch {
      // refused or reset by the crash: Telegram retries the same update
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The idempotency keys of the user turns a session recorded, oldest first. */
async function userKeys(chat: number, account = 'default'): Promise<string[]> {
  const key = encodeURIComponent(`agent:main:telegram:${account}:direct:${chat}`);
  const res = await fetch(`${server.url}/sessions/${key}/history?limit=1000`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
  if (res.status !== 200) return [];
  const { history } = (await res.json()) as { history: { role: string; key: string | null }[] };
  return history.filter((h) => h.role === 'user').map((h) => h.key ?? '');
}

async function until(probe: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('telegram webhook inbox (node)', () => {
  it('acknowledges an update delivered three times once and hands it to its session once', async () => {
    const update = { update_id: 1_000, ...dm(900, 'hello inbox') };
    const statuses: string[] = [];
    for (let i = 0; i < 3; i++) statuses.push(await deliver(update));
    expect(statuses).toEqual(['accepted', 'duplicate', 'duplicate']);
    await until(async () => (await userKeys(900)).length > 0, 'the hand-off');
    await new Promise((r) => setTimeout(r, 300));
    expect(await userKeys(900)).toEqual(['telegram:default:1000']);
  });

  it('answers 503 at the inbox cap while hand-offs are stuck, so Telegram retries, and loses nothing', async () => {
    tg.cue('getMe', { kind: 'hang' });
    expect(await deliver({ update_id: 5_001, ...dm(2_001, 'one') }, 'small')).toBe('accepted');
    expect(await deliver({ update_id: 5_002, ...dm(2_001, 'two') }, 'small')).toBe('accepted');
    const full = await post({ update_id: 5_003, ...dm(2_001, 'three') }, 'small');
    expect(full.status).toBe(503);
    expect(full.headers.get('retry-after')).toBe('5');
    expect(await full.json()).toEqual({ ok: false, error: { code: 'UNAVAILABLE', message: 'telegram inbox full (inboxCap 2); retry' } });
    const status = await fetch(`${server.url}/telegram/small/status`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect(((await status.json()) as { status: { inboxPending: number } }).status.inboxPending).toBe(2);
    tg.releaseAll();
    expect(await deliver({ update_id: 5_003, ...dm(2_001, 'three') }, 'small')).toBe('accepted');
    await until(async () => (await userKeys(2_001, 'small')).length >= 3, 'the three hand-offs');
    expect(await userKeys(2_001, 'small')).toEqual(['telegram:small:5001', 'telegram:small:5002', 'telegram:small:5003']);
  });

  it('hands every acknowledged update to its session exactly once, in order, across a SIGKILL mid-burst', async () => {
    let acked = 0;
    let killed = false;
    const producers = Array.from({ length: CHATS }, async (_, c) => {
      for (let m = 0; m < PER_CHAT; m++) {
        const status = await deliver({ update_id: 2_000 + m * CHATS + c, ...dm(1_000 + c, `chat ${c} message ${m}`) });
        expect(['accepted', 'duplicate']).toContain(status);
        acked++;
        // Kill the server half way through the burst, with requests in flight and the inbox being drained.
        if (!killed && acked >= (CHATS * PER_CHAT) / 2) {
          killed = true;
          restarting = (async () => {
            server.child.kill('SIGKILL');
            await server.exited;
            server = await spawnServer(env);
          })();
          await restarting;
          restarting = null;
        }
      }
    });
    await Promise.all(producers);
    expect(killed).toBe(true);
    // A late redelivery of an update acknowledged before the crash is still a duplicate.
    expect(await deliver({ update_id: 2_000, ...dm(1_000, 'chat 0 message 0') })).toBe('duplicate');
    const expected = (c: number) => Array.from({ length: PER_CHAT }, (_, m) => `telegram:default:${2_000 + m * CHATS + c}`);
    await until(async () => {
      for (let c = 0; c < CHATS; c++) if ((await userKeys(1_000 + c)).length < PER_CHAT) return false;
      return true;
    }, 'every update in its session');
    await new Promise((r) => setTimeout(r, 300));
    for (let c = 0; c < CHATS; c++) expect(await userKeys(1_000 + c)).toEqual(expected(c));
    const res = await fetch(`${server.url}/telegram/default/status`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect(((await res.json()) as { status: { inboxPending: number } }).status.inboxPending).toBe(0);
  });
});
