// The control-method contract against the real Node server (config in a real file, kill -9 restart), plus
// what only Node can show here: the config file rewritten atomically with mode 0600, and `send` through
// the fake Telegram Bot API, deduplicated by idempotencyKey.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeControl, type ControlHarness } from '../contract/control.ts';
import { READ_TOKEN, TEST_TOKEN } from '../contract/constants.ts';
import { createFakeTelegram } from '../fakes/telegram.ts';
import { serveOnPort0, type ServedFake } from '../fakes/serve-node.ts';
import { killAndRestart, openGateway, operatorClient, spawnServer, stopServer, tempDir, type ServerProcess } from './server-process.ts';
import { createHash } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';

const dir = tempDir();
const configPath = join(dir.path, 'edgeclaw.json5');
const fake = createFakeTelegram();
const botToken = fake.addBot(7070, 'send_bot');
let telegram: ServedFake;
let server: ServerProcess;
let env: Record<string, string>;

const harness: ControlHarness = {
  open: () => openGateway(server.url),
  fetch: (path, init) => fetch(`${server.url}${path}`, init),
  async crashAndRestart() {
    server = await killAndRestart(server, env);
  },
};

beforeAll(async () => {
  telegram = await serveOnPort0(fake.app);
  const digest = `sha256:${createHash('sha256').update(READ_TOKEN).digest('hex')}`;
  writeFileSync(configPath, JSON.stringify({
    gateway: { credentials: [{ id: 'reader', kind: 'token', secret: digest, role: 'operator', scopes: ['operator.read'] }] },
    channels: { telegram: { accounts: [{ id: 'default', token: botToken, apiRoot: telegram.url, transport: 'webhook', webhookSecret: 'node-secret-0123456789' }] } },
  }), { mode: 0o644 });
  env = { PORT: '0', EDGECLAW_DATA_DIR: join(dir.path, 'data'), EDGECLAW_GATEWAY_TOKEN: TEST_TOKEN, EDGECLAW_CONFIG: configPath, EDGECLAW_AGENT_RUNNER: 'record' };
  server = await spawnServer(env);
});

afterAll(async () => {
  await stopServer(server);
  await telegram.close();
  dir.cleanup();
});

describeControl('node', () => harness);

describe('control methods on the Node host', () => {
  it('rewrites the config file atomically with mode 0600, tokens as digests', async () => {
    const admin = await operatorClient(server.url, TEST_TOKEN, ['operator.admin']);
    const { hash } = (await admin.req('config.get', {})).payload;
    const res = await admin.req('config.patch', { raw: JSON.stringify({ gateway: { token: 'plain-admin-token-0123456789' }, logLevel: 'debug' }), baseHash: hash });
    expect(res.payload).toMatchObject({ ok: true, path: configPath, applied: ['logLevel'], restartRequired: true });
    expect(statSync(configPath).mode & 0o777).toBe(0o600);
    const file = JSON.parse(readFileSync(configPath, 'utf8'));
    expect(file.logLevel).toBe('debug');
    expect(file.gateway.token).toBe(`sha256:${createHash('sha256').update('plain-admin-token-0123456789').digest('hex')}`);
    // Secret values left the file for the data dir's secret store; the file keeps references.
    expect(file.channels.telegram.accounts[0]).toMatchObject({ token: 'secret:channels.telegram.accounts.default.token', webhookSecret: 'secret:channels.telegram.accounts.default.webhookSecret' });
    expect(readFileSync(configPath, 'utf8')).not.toContain(botToken);
    const store = new DatabaseSync(join(env.EDGECLAW_DATA_DIR!, 'registry.sqlite'), { readOnly: true });
    expect(store.prepare(`SELECT value FROM secrets WHERE name = ?`).get('channels.telegram.accounts.default.token')).toEqual({ value: botToken });
    store.close();
    expect(statSync(join(env.EDGECLAW_DATA_DIR!, 'registry.sqlite')).mode & 0o777).toBe(0o600);
    const back = (await admin.req('config.get', {})).payload;
    // config.get shows the reference (a name, not a secret) and redacts the resolved value.
    expect(back.parsed.channels.telegram.accounts[0].token).toBe('secret:channels.telegram.accounts.default.token');
    expect(back.config.channels.telegram.accounts[0].token).toBe('__EDGECLAW_REDACTED__');
    expect(JSON.stringify(back)).not.toContain(botToken);
    expect(back.hash).toBe(res.payload.hash);
    expect((await admin.req('config.patch', { raw: '{logLevel:null,gateway:{token:null}}', baseHash: back.hash })).payload.ok).toBe(true);
    admin.ws.close(1000);
  });

  it('send delivers through the Telegram outbox once per idempotencyKey', async () => {
    const writer = await operatorClient(server.url, TEST_TOKEN, ['operator.write']);
    const mirror = `agent:main:sendmirror-${crypto.randomUUID().slice(0, 8)}`;
    const params = { to: '4242', message: 'deploy **done**', idempotencyKey: `send-${crypto.randomUUID()}`, channel: 'telegram', sessionKey: mirror };
    const first = await writer.req('send', params);
    expect(first.payload).toMatchObject({ runId: params.idempotencyKey, status: 'ok', channel: 'telegram', to: '4242', messageId: expect.any(String), chunks: 1 });
    const again = await writer.req('send', params);
    expect(again.payload).toMatchObject({ ...first.payload, deduplicated: true });
    const sent = fake.sent(botToken).filter((m) => String(m.chat_id) === '4242');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text).toContain('deploy');
    const history = (await writer.req('chat.history', { sessionKey: mirror })).payload.messages;
    expect(history.map((m: { content: { text: string }[] }) => m.content[0]!.text)).toEqual(['deploy **done**']);
    writer.ws.close(1000);
  });
});
