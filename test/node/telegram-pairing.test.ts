// DM pairing on Node: the store suite on the Node host's D1 (node:sqlite), then the real server polling
// the fake Bot API with the agent on the fake provider: unknown sender → code (nothing queued), approve
// with the real `edgeclaw pairing` CLI → notice once → next message answered; wrong code, pending cap,
// allowlisted sender, owner-only `/set api key` (stored, message deleted, never echoed or logged).
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeD1Database } from '../../node-adapter/d1.ts';
import { migrateRegistry } from '../../node-adapter/migrate.ts';
import { openDatabase } from '../../node-adapter/sqlite.ts';
import type { DbBinding } from '../../src/env.ts';
import { agentModelsConfig } from '../contract/agent-config.ts';
import { TEST_TOKEN } from '../contract/constants.ts';
import { waitFor } from '../contract/harness.ts';
import { describePairingStore } from '../contract/pairing.ts';
import { createFakeOpenAI } from '../fakes/openai-provider.ts';
import { serveOnPort0, type ServedFake } from '../fakes/serve-node.ts';
import { createFakeTelegram, dm } from '../fakes/telegram.ts';
import { runCli } from './cli-run.ts';
import { agentServerEnv, operatorClient, spawnServer, stopServer, tempDir, type ServerProcess } from './server-process.ts';

const storeDir = tempDir('edgeclaw-pairing-store-');
let storeDb: DbBinding;
beforeAll(() => {
  const db = openDatabase(join(storeDir.path, 'registry.sqlite'));
  migrateRegistry(db);
  // SAFETY: NodeD1Database implements the D1 surface DbBinding names (test/node/d1.test.ts checks it).
  storeDb = new NodeD1Database(db) as unknown as DbBinding;
});
afterAll(() => storeDir.cleanup());
describePairingStore('node', () => storeDb);

const PAIRING_TOKEN = 'pairing-only-token-0123456789abcdef';
const API_KEY = 'sk-secret-value-never-echoed-42';
const dir = tempDir();
const tg = createFakeTelegram();
const token = tg.addBot(515151, 'pairing_test_bot');
const allowToken = tg.addBot(525252, 'allow_test_bot');
const provider = createFakeOpenAI();
let servedTg: ServedFake;
let servedProvider: ServedFake;
let server: ServerProcess;

const sentTo = (user: number) => tg.sent(token).filter((m) => m.chat_id === String(user));
const cli = (...args: string[]) => runCli(['pairing', ...args], { EDGECLAW_GATEWAY_URL: server.url, EDGECLAW_GATEWAY_TOKEN: TEST_TOKEN });
beforeAll(async () => {
  servedTg = await serveOnPort0(tg.app);
  servedProvider = await serveOnPort0(provider.app);
  server = await spawnServer(agentServerEnv(dir.path, {
    models: agentModelsConfig(`${servedProvider.url}/v1`),
    gateway: { credentials: [{ id: 'pairer', kind: 'token', secret: PAIRING_TOKEN, role: 'operator', scopes: ['operator.pairing'] }] },
    pairing: { pendingCap: 2 },
    channels: {
      telegram: {
        accounts: [
          // No configured owner: the first approval bootstraps it (which needs operator.admin).
          { id: 'default', token, transport: 'polling', apiRoot: servedTg.url, dmPolicy: 'pairing', botUsername: 'pairing_test_bot', pollTimeoutSeconds: 1 },
          // Pairing too, but 555 is allowlisted (and so this account's owner).
          { id: 'allow', token: allowToken, transport: 'polling', apiRoot: servedTg.url, dmPolicy: 'pairing', allowFrom: ['555'], botUsername: 'allow_test_bot', pollTimeoutSeconds: 1 },
        ],
      },
    },
  }));
});

afterAll(async () => {
  await stopServer(server);
  tg.releaseAll();
  await servedTg.close();
  await servedProvider.close();
  dir.cleanup();
});

describe('telegram pairing end to end (node)', () => {
  let code = '';

  it('gives an unknown sender a code, queues nothing, and does not repeat it on the next message', async () => {
    tg.pushUpdate(token, dm(901, 'hello, who are you?'));
    const first = await waitFor(async () => sentTo(901)[0], 30_000, 'the pairing code');
    expect(first.text).toContain('Your Telegram user id: 901');
    code = /Pairing code: ([A-Z2-9]{8})/.exec(first.text)?.[1] ?? '';
    expect(code).toHaveLength(8);
    tg.pushUpdate(token, dm(901, 'hello again'));
    const list = await cli('list', '--json');
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject({ requests: [{ channel: 'telegram', accountId: 'default', senderId: '901', username: 'user901', code }] });
    const res = await fetch(`${server.url.replace(/^ws/, 'http')}/sessions/agent:main:telegram:default:direct:901`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    const snap = (await res.json()) as { queued?: number; processed?: number };
    expect((snap.queued ?? 0) + (snap.processed ?? 0)).toBe(0);
  });

  it('refuses a wrong code and a malformed one with clear errors and exit codes', async () => {
    const wrong = await cli('approve', 'telegram', 'ZZZZZZZZ');
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/no pending pairing request with code ZZZZZZZZ/);
    const bad = await cli('approve', 'telegram', 'abc');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid pairing code/);
    const channel = await cli('approve', 'nochannel', code);
    expect(channel.code).toBe(2);
  });

  it('needs operator.admin for the approval that makes the first owner', async () => {
    const r = await runCli(['pairing', 'approve', 'telegram', code], { EDGECLAW_GATEWAY_URL: server.url, EDGECLAW_GATEWAY_TOKEN: PAIRING_TOKEN });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/operator\.admin/);
    const list = await runCli(['pairing', 'list', '--json'], { EDGECLAW_GATEWAY_URL: server.url, EDGECLAW_GATEWAY_TOKEN: PAIRING_TOKEN });
    expect(JSON.parse(list.stdout).requests).toHaveLength(1);
  });

  it('approves the code, tells the sender once, announces pairing.resolved, and then answers them through the agent', async () => {
    const client = await operatorClient(server.url, PAIRING_TOKEN, ['operator.pairing']);
    const r = await cli('approve', 'telegram', code.toLowerCase());
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/approved: 901 \(@user901\) on telegram\/default \(owner\)/);
    expect(r.stdout).toMatch(/notice: sent/);
    const event = await client.next((f) => f.event === 'pairing.resolved');
    expect(event.payload).toMatchObject({ decision: 'approved', senderId: '901', owner: true });
    client.ws.close();
    const again = await cli('approve', 'telegram', code);
    expect(again.stdout).toMatch(/already approved/);
    expect(sentTo(901).filter((m) => m.text.includes('You have been approved'))).toHaveLength(1);
    tg.pushUpdate(token, dm(901, 'now answer me'));
    const reply = await waitFor(async () => sentTo(901).find((m) => m.text === 'echo: now answer me'), 30_000, 'the agent reply');
    expect(reply).toBeDefined();
  });

  it('lets an approved owner store an API key: the message is deleted, the reply and the logs never show it', async () => {
    const u = tg.pushUpdate(token, dm(901, `/set api key openai ${API_KEY}`));
    const reply = await waitFor(async () => sentTo(901).find((m) => m.text.startsWith('API key for openai saved')), 30_000, 'the /set reply');
    expect(reply.text).toContain('Your message was deleted.');
    const messageId = (u.message as { message_id: number }).message_id;
    expect(tg.deleted(token)).toContain(`901:${messageId}`);
    const db = new DatabaseSync(join(dir.path, 'data', 'registry.sqlite'), { readOnly: true });
    try {
      expect(db.prepare("SELECT value FROM secrets WHERE name = 'provider-api-key:openai'").get()).toEqual({ value: API_KEY });
    } finally {
      db.close();
    }
    for (const m of tg.sent(token)) expect(m.text).not.toContain(API_KEY);
    expect(server.stdout()).not.toContain(API_KEY);
    expect(server.stderr()).not.toContain(API_KEY);
  });

  it('answers an allowlisted-by-approval sender and refuses new senders past the pending cap without storing them', async () => {
    const client = await operatorClient(server.url, PAIRING_TOKEN, ['operator.pairing']);
    // pendingCap is 2: two new senders get codes, the third is told to try later.
    for (const id of [902, 903, 904]) tg.pushUpdate(token, dm(id, 'let me in'));
    await waitFor(async () => (sentTo(904).length > 0 ? true : undefined), 30_000, 'the third answer');
    const requested = [await client.next((f) => f.event === 'pairing.requested'), await client.next((f) => f.event === 'pairing.requested')];
    expect(requested.map((f) => f.payload.senderId).sort()).toEqual(['902', '903']);
    client.ws.close();
    expect(sentTo(902)[0]!.text).toMatch(/Pairing code: /);
    expect(sentTo(903)[0]!.text).toMatch(/Pairing code: /);
    expect(sentTo(904)[0]!.text).toMatch(/too many pending access requests/);
    const list = JSON.parse((await cli('list', '--json')).stdout) as { requests: { senderId: string }[] };
    expect(list.requests.map((r) => r.senderId).sort()).toEqual(['902', '903']);
  });

  it('rejects a code and revokes a sender (their next message gets a new code)', async () => {
    const list = JSON.parse((await cli('list', '--json')).stdout) as { requests: { senderId: string; code: string }[] };
    const c902 = list.requests.find((r) => r.senderId === '902')!.code;
    expect((await cli('reject', 'telegram', c902)).code).toBe(0);
    expect((await cli('reject', 'telegram', c902)).code).toBe(3);
    const ambiguous = await cli('revoke', 'telegram', '901');
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(/accountId: required when telegram has 2 accounts/);
    expect((await cli('revoke', 'telegram', '901', '--account', 'default')).code).toBe(0);
    expect((await cli('revoke', 'telegram', '901', '--account', 'default')).code).toBe(3);
    const before = sentTo(901).length;
    tg.pushUpdate(token, dm(901, 'am I still in?'));
    const next = await waitFor(async () => sentTo(901)[before], 30_000, 'the answer after revoke');
    expect(next.text).toMatch(/Pairing code: /);
  });
});

describe('telegram allowlisted sender (node)', () => {
  it('answers a sender in allowFrom through the agent without pairing', async () => {
    const allowSent = (user: number) => tg.sent(allowToken).filter((m) => m.chat_id === String(user));
    tg.pushUpdate(allowToken, dm(555, 'hi from the allowlist'));
    const reply = await waitFor(async () => allowSent(555)[0], 30_000, 'the allowlisted reply');
    expect(reply.text).toBe('echo: hi from the allowlist');
    expect(JSON.parse((await cli('list', '--json', '--account', 'allow')).stdout).requests).toEqual([]);
  });
});
