// DM pairing on real workerd: the store suite on D1, then the webhook route against the fake Bot API (as
// the client's fetch) with the real SessionDO: unknown sender → code, nothing queued; approval through the
// method registry → notice once → next message queued; wrong code; pending cap; allowlisted sender;
// owner-only `/set api key` (stored in D1, message deleted, never echoed).
import { applyD1Migrations, env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { notifyApproved, pairingStoreOf } from '../../src/channels/pairing-channels.ts';
import { telegramRoutes } from '../../src/channels/telegram/routes.ts';
import type { Env } from '../../src/env.ts';
import { GatewayError } from '../../src/errors.ts';
import { hubOf } from '../../src/gateway/http.ts';
import { METHODS } from '../../src/gateway/methods/index.ts';
import type { OperatorScope } from '../../src/gateway/scopes.ts';
import { describePairingStore } from '../contract/pairing.ts';
import { waitFor } from '../contract/harness.ts';
import { createFakeTelegram, dm, groupMessage } from '../fakes/telegram.ts';

beforeAll(async () => {
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
});

describePairingStore('workers', () => env.DB);

const SECRET = 'pairing_secret_0123';
const API_KEY = 'sk-workers-secret-never-echoed';
const fake = createFakeTelegram();
const token = fake.addBot(9090, 'pair_bot');
// 4242 is allowlisted, and as the first allowFrom entry also the account's owner.
const vars = { TELEGRAM_BOT_TOKEN: token, TELEGRAM_WEBHOOK_SECRET: SECRET, TELEGRAM_API_ROOT: 'https://bot-api.fake', TELEGRAM_ALLOW_FROM: '4242', TELEGRAM_GROUPS: '-100' };
const tgEnv = { ...env, ...vars } as unknown as Env;
const routes = telegramRoutes({ apiOptions: () => ({ fetch: fake.fetch }) });
const sentTo = (user: number) => fake.sent(token).filter((m) => m.chat_id === String(user));

async function hook(update: Record<string, unknown>): Promise<string> {
  const res = await routes.request(
    '/default/webhook',
    { method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET }, body: JSON.stringify(fake.pushUpdate(token, update)) },
    tgEnv,
  );
  expect(res.status).toBe(200);
  return ((await res.json()) as { status: string }).status;
}

function call(method: string, params: unknown, scopes: OperatorScope[] = ['operator.pairing']) {
  return METHODS.dispatch({ env: tgEnv, hub: hubOf(tgEnv), now: Date.now(), caller: { connId: 'test', role: 'operator', scopes, clientId: 'test', clientMode: 'backend', transport: 'http' } }, method, params);
}

describe('telegram pairing on workerd', () => {
  let code = '';

  it('answers an unknown sender with a code and queues nothing; a second message gets no second code', async () => {
    expect(await hook(dm(7001, 'hi there'))).toBe('answered');
    const first = await waitFor(async () => sentTo(7001)[0], 10_000, 'the code');
    code = /Pairing code: ([A-Z2-9]{8})/.exec(first.text)?.[1] ?? '';
    expect(code).toHaveLength(8);
    expect(await hook(dm(7001, 'hello?'))).toBe('ignored');
    const snap = await env.SESSIONS.getByName('agent:main:telegram:default:direct:7001').snapshot();
    expect(snap.queued + snap.processed).toBe(0);
    const list = (await call('channels.pairing.list', { channel: 'telegram' })) as { requests: { senderId: string; code: string }[] };
    expect(list.requests).toEqual([expect.objectContaining({ senderId: '7001', code })]);
  });

  it('answers a wrong code with a clear error', async () => {
    const err = await call('channels.pairing.approve', { channel: 'telegram', code: 'ZZZZZZZZ' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).toShape()).toMatchObject({ code: 'INVALID_REQUEST', details: { code: 'PAIRING_CODE_NOT_FOUND' } });
    const scope = await call('channels.pairing.approve', { channel: 'telegram', code }, ['operator.read']).catch((e: unknown) => e);
    expect((scope as GatewayError).toShape()).toMatchObject({ code: 'FORBIDDEN', details: { missingScope: 'operator.pairing' } });
  });

  it('approves the code (owner known from allowFrom, so pairing scope is enough), notifies once, then queues the next message', async () => {
    const res = (await call('channels.pairing.approve', { channel: 'telegram', code, notify: false })) as { approved: { senderId: string; owner: boolean }; changed: boolean };
    expect(res).toMatchObject({ changed: true, approved: { senderId: '7001', owner: false } });
    const store = pairingStoreOf(tgEnv);
    const row = (await store.repo.approvedOf('telegram', 'default', '7001'))!;
    expect(await notifyApproved(tgEnv, store, row, { telegram: { fetch: fake.fetch } })).toEqual({ status: 'sent' });
    expect(await notifyApproved(tgEnv, store, row, { telegram: { fetch: fake.fetch } })).toEqual({ status: 'already-sent' });
    expect(sentTo(7001).filter((m) => m.text.includes('You have been approved'))).toHaveLength(1);
    expect(await hook(dm(7001, 'now I am in'))).toBe('queued');
  });

  it('lets an allowlisted sender skip pairing', async () => {
    expect(await hook(dm(4242, 'straight in'))).toBe('queued');
  });

  it('tells new senders past the pending cap to try later and stores nothing for them', async () => {
    for (const id of [7101, 7102, 7103]) expect(await hook(dm(id, 'knock'))).toBe('answered');
    expect(await hook(dm(7104, 'knock'))).toBe('answered');
    const full = await waitFor(async () => sentTo(7104)[0], 10_000, 'the overflow answer');
    expect(full.text).toMatch(/too many pending access requests/);
    const list = (await call('channels.pairing.list', { channel: 'telegram' })) as { requests: { senderId: string }[] };
    expect(list.requests.map((r) => r.senderId).sort()).toEqual(['7101', '7102', '7103']);
  });

  it('stores an API key from the owner, deletes the message, and never echoes the key', async () => {
    const u = dm(4242, `/set api key openai ${API_KEY}`);
    expect(await hook(u)).toBe('answered');
    const reply = await waitFor(async () => sentTo(4242).find((m) => m.text.includes('API key for openai saved')), 10_000, 'the /set reply');
    expect(reply.text).toContain('Your message was deleted.');
    expect(fake.deleted(token)).toContain(`4242:${(u.message as { message_id: number }).message_id}`);
    const row = await env.DB.prepare("SELECT value FROM secrets WHERE name = 'provider-api-key:openai'").first<{ value: string }>();
    expect(row?.value).toBe(API_KEY);
    for (const m of fake.sent(token)) expect(m.text).not.toContain(API_KEY);
  });

  it('refuses /set api key from a non-owner and in a group, deleting the message each time', async () => {
    const other = dm(7001, '/set api key openai sk-not-the-owner-key');
    expect(await hook(other)).toBe('answered');
    await waitFor(async () => sentTo(7001).find((m) => m.text.startsWith('Only the owner')), 10_000, 'the refusal');
    expect(fake.deleted(token)).toContain(`7001:${(other.message as { message_id: number }).message_id}`);
    const group = groupMessage(-100, 4242, '/set@pair_bot api key openai sk-group-key-1234');
    expect(await hook(group)).toBe('answered');
    await waitFor(async () => sentTo(-100).find((m) => m.text.includes('only in a direct message')), 10_000, 'the group refusal');
    const row = await env.DB.prepare("SELECT value FROM secrets WHERE name = 'provider-api-key:openai'").first<{ value: string }>();
    expect(row?.value).toBe(API_KEY);
  });

  it('answers /model with bad input usefully and sets a catalog model', async () => {
    expect(await hook(dm(4242, '/model nosuchprovider/x'))).toBe('answered');
    await waitFor(async () => sentTo(4242).find((m) => m.text.startsWith('Unknown provider "nosuchprovider"')), 10_000, 'the unknown provider answer');
    expect(await hook(dm(4242, '/model openai/GPT-5-mini'))).toBe('answered');
    await waitFor(async () => sentTo(4242).find((m) => m.text.startsWith('Model set: openai/gpt-5-mini')), 10_000, 'the model answer');
    const snap = await env.SESSIONS.getByName('agent:main:telegram:default:direct:4242').snapshot();
    expect(snap.overrides.model).toBe('openai/gpt-5-mini');
  });
});
