// `edgeclaw setup` as a new user runs it: non-interactive flags on a fresh data dir → the server starts with
// that config → `edgeclaw agent -m` answers through the fake provider → a restart keeps the history. Also the
// wizard.* gateway methods over the same steps, and the CLI's flag errors.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import JSON5 from 'json5';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSetup } from '../../node-adapter/cli/setup.ts';
import { NodeSecretStore } from '../../node-adapter/secret-store.ts';
import type { Io } from '../../node-adapter/cli/common.ts';
import { READ_TOKEN } from '../contract/constants.ts';
import { createFakeOpenAI } from '../fakes/openai-provider.ts';
import { serveOnPort0, type ServedFake } from '../fakes/serve-node.ts';
import { runCli } from './cli-run.ts';
import { spawnServer, tempDir, type ServerProcess } from './server-process.ts';

const dir = tempDir();
const data = join(dir.path, 'data');
let fake: ServedFake;
const provider = createFakeOpenAI();
let server: ServerProcess | null = null;
let token = '';

const start = () => spawnServer({ PORT: '0', EDGECLAW_DATA_DIR: data, EDGECLAW_AGENT_RUNNER: 'model' });
async function stop() {
  if (!server) return;
  server.child.kill('SIGTERM');
  expect(await server.exited).toBe(0);
  server = null;
}
const gw = () => ({ EDGECLAW_GATEWAY_URL: server!.url.replace('http', 'ws'), EDGECLAW_GATEWAY_TOKEN: token });

async function rpc(method: string, params: unknown, bearer = token) {
  const res = await fetch(`${server!.url}/rpc`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'req', id: '1', method, params }),
  });
  return (await res.json()) as { ok: boolean; payload?: Record<string, any>; error?: { code: string; message: string; details?: Record<string, unknown> } };
}

beforeAll(async () => {
  fake = await serveOnPort0(provider.app);
});
afterAll(async () => {
  await stop().catch(() => {});
  await fake.close();
  dir.cleanup();
});

describe('edgeclaw setup (non-interactive) → start → agent -m → restart', () => {
  it('writes a validated 0600 config into a fresh data dir and prints the generated token once', async () => {
    const res = await runCli(['setup', '--data-dir', data, '--provider', 'custom', '--base-url', `${fake.url}/v1`, '--model', 'echo', '--api-key', 'sk-test-0123456789', '--generate-token', '--defender-profile', 'strict', '--yes', '--json']);
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout) as { ok: boolean; file: string; gatewayToken: string; answers: Record<string, unknown> };
    expect(out.file).toBe(join(data, 'edgeclaw.json5'));
    expect(out.gatewayToken).toMatch(/^ec_[A-Za-z0-9_-]{43}$/);
    expect(out.answers.apiKey).toBe('<redacted>');
    token = out.gatewayToken;
    // Progress lines go to stderr in --json mode.
    expect(res.stderr).toContain('[1/8] Model provider: custom');
    expect(res.stderr).toMatch(/validating and writing .*edgeclaw\.json5 \(0600\)/);
    expect(statSync(data).mode & 0o777).toBe(0o700);
    expect(statSync(out.file).mode & 0o777).toBe(0o600);
    const written = JSON5.parse(readFileSync(out.file, 'utf8')) as Record<string, any>;
    // The API key went to the secret store (registry.sqlite, 0600); the file only refers to it.
    expect(written.models).toEqual({ default: 'custom/echo', providers: { custom: { baseUrl: `${fake.url}/v1`, apiKey: 'secret:models.providers.custom.apiKey' } } });
    expect(readFileSync(out.file, 'utf8')).not.toContain('sk-test-0123456789');
    expect(statSync(join(data, 'registry.sqlite')).mode & 0o777).toBe(0o600);
    const listed = await runCli(['secrets', 'list', '--json'], { EDGECLAW_DATA_DIR: data });
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { secrets: { name: string }[] }).secrets.map((s) => s.name)).toEqual(['models.providers.custom.apiKey']);
    expect(listed.stdout).not.toContain('sk-test-0123456789');
    expect(written.gateway.token).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(JSON.stringify(written)).not.toContain(token);
    expect(written.defender).toEqual({ profile: 'strict' });
    // The same schema accepts it, and the audit finds no plain token.
    expect((await runCli(['config', 'validate'], { EDGECLAW_DATA_DIR: data })).code).toBe(0);
    const audit = await runCli(['security', 'audit', '--json'], { EDGECLAW_DATA_DIR: data });
    expect((JSON.parse(audit.stdout) as { findings: { id: string }[] }).findings.map((f) => f.id)).not.toContain('gateway.token.plain');
  });

  it('starts with that config, and edgeclaw agent -m answers through the fake provider', async () => {
    server = await start();
    // No token generated at start: the wizard's token is the admin token.
    expect(server.stderr()).not.toContain('generated a gateway admin token');
    const res = await runCli(['agent', '-m', 'hi there', '--idempotency-key', 'setup-run-1'], gw());
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout.trim()).toBe('echo: hi there');
    // The key came from the secret store through the `secret:` reference in the config file.
    expect(provider.requests.at(-1)?.authorization).toBe('Bearer sk-test-0123456789');
    const json = await runCli(['agent', '-m', 'second', '--json'], gw());
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'ok', summary: 'completed', result: { payloads: [{ text: 'echo: second' }] } });
    // The defender profile from the wizard is in force (strict thresholds are visible in the config only; the run passed the gate).
    const cfg = await runCli(['config', 'get', 'defender.profile'], { EDGECLAW_DATA_DIR: data });
    expect(cfg.stdout.trim()).toBe('strict');
  });

  it('refuses a wrong token (exit 1) and bad agent flags (exit 2)', async () => {
    expect((await runCli(['agent', '-m', 'x'], { ...gw(), EDGECLAW_GATEWAY_TOKEN: 'wrong-token-0123456789' })).code).toBe(1);
    expect((await runCli(['agent'], gw())).code).toBe(2);
    expect((await runCli(['agent', '-m', 'x', '--wait', '5'], gw())).code).toBe(2);
  });

  it('keeps the history across a restart', async () => {
    await stop();
    server = await start();
    const history = await runCli(['gateway', 'call', 'chat.history', '--params', '{sessionKey:"agent:main:main"}', '--json'], gw());
    expect(history.code, history.stderr).toBe(0);
    const texts = JSON.stringify(JSON.parse(history.stdout));
    for (const t of ['hi there', 'echo: hi there', 'second', 'echo: second']) expect(texts).toContain(t);
    // Same idempotency key after the restart: the same run, not a new one.
    const again = await runCli(['agent', '-m', 'hi there', '--idempotency-key', 'setup-run-1', '--json'], gw());
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ runId: 'setup-run-1', status: 'ok' });
  });

  it('message send is a real client of the gateway `send` method', async () => {
    const res = await runCli(['message', 'send', '--to', '12345', '-m', 'hello', '--channel', 'telegram', '--json'], gw());
    const body = JSON.parse(res.stdout) as { ok?: boolean; error?: { message: string } };
    if (res.code === 0) expect(body).toBeTypeOf('object');
    // Until the gateway has `send`, the gateway's own refusal comes back (exit 2, INVALID_REQUEST), not a local error.
    else expect(body.error?.message).toMatch(/send failed: \w+: /);
    expect((await runCli(['message', 'send', '-m', 'x'], gw())).code).toBe(2);
  });
});

describe('edgeclaw setup flags', () => {
  it('names the bad flag and exits 2, writing nothing', async () => {
    const d = join(dir.path, 'bad');
    for (const [flags, pattern] of [
      [['--provider', 'nope'], /--provider: unknown provider "nope"/],
      [['--telegram-token', 'abc'], /--telegram-token: expected a bot token/],
      [['--provider', 'custom'], /--base-url: expected an http\(s\) URL/],
      [['--defender-profile', 'lax'], /--defender-profile: expected strict, balanced or permissive/],
      [['--generate-token', '--keep-token'], /exclude each other/],
      [['--telegram-token', '123456789:AAbbccddeeffgghhiijjkkll', '--telegram-mode', 'webhook', '--telegram-webhook-url', 'http://x.example'], /--telegram-webhook-url: expected an https URL/],
    ] as const) {
      const res = await runCli(['setup', '--data-dir', d, '--yes', ...flags]);
      expect(res.code, flags.join(' ')).toBe(2);
      expect(res.stderr).toMatch(pattern);
    }
    expect(() => statSync(join(d, 'edgeclaw.json5'))).toThrow();
  });

  it('asks each step when interactive, re-asks an invalid answer, and merges into the existing file', async () => {
    const d = join(dir.path, 'interactive');
    const file = join(dir.path, 'existing.json5');
    writeFileSync(file, JSON.stringify({ port: 18790, queue: { cap: 7 } }));
    const answers = ['openai', 'short', 'sk-openai-0123456789', '', '123456789:AAbbccddeeffgghhiijjkkll', 'webhook', 'https://bot.example.com', 'keep', 'permissive', 'yes'];
    const asked: string[] = [];
    let out = '';
    let err = '';
    const io: Io = { out: (t) => void (out += t), err: (t) => void (err += t) };
    const code = await runSetup(['--config', file, '--data-dir', d], {}, io, async (step) => {
      asked.push(step.id);
      return answers.shift() ?? '';
    });
    expect(code, err).toBe(0);
    expect(asked).toEqual(['provider', 'apiKey', 'apiKey', 'model', 'telegramToken', 'telegramMode', 'telegramWebhookUrl', 'gatewayToken', 'defenderProfile', 'confirm']);
    expect(err).toContain('expected an API key of 8-4096 characters');
    const written = JSON5.parse(readFileSync(file, 'utf8')) as Record<string, any>;
    expect(written.port).toBe(18790);
    expect(written.queue).toEqual({ cap: 7 });
    expect(written.dataDir).toBe(d);
    expect(written.models.default).toBe('openai/gpt-5.3');
    expect(written.channels.telegram.accounts[0]).toEqual({
      id: 'default',
      transport: 'webhook',
      webhookUrl: 'https://bot.example.com',
      token: 'secret:channels.telegram.accounts.default.token',
      webhookSecret: 'secret:channels.telegram.accounts.default.webhookSecret',
    });
    expect(written.models.providers.openai.apiKey).toBe('secret:models.providers.openai.apiKey');
    // The values are in the secret store of the data dir the file names.
    const store = NodeSecretStore.open(d);
    expect(store.get('models.providers.openai.apiKey')).toBe('sk-openai-0123456789');
    expect(store.get('channels.telegram.accounts.default.token')).toBe('123456789:AAbbccddeeffgghhiijjkkll');
    expect(store.get('channels.telegram.accounts.default.webhookSecret')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    store.close();
    expect(readFileSync(file, 'utf8')).not.toContain('sk-openai-0123456789');
    expect(written.defender.profile).toBe('permissive');
    expect(written.gateway).toBeUndefined();
    expect(out).not.toContain('sk-openai-0123456789');
  });

  it('gives up after 3 invalid answers to one step (exit 2) instead of asking forever', async () => {
    let asked = 0;
    const code = await runSetup(['--config', join(dir.path, 'never.json5')], {}, { out: () => {}, err: () => {} }, async () => (asked++, 'no-such-provider'));
    expect(code).toBe(2);
    expect(asked).toBe(3);
  });

  it('writes nothing when the last step is answered no (exit 1)', async () => {
    const file = join(dir.path, 'declined.json5');
    const answers = ['opencode', '', '', 'keep', '', 'no'];
    const code = await runSetup(['--config', file], {}, { out: () => {}, err: () => {} }, async () => answers.shift() ?? '');
    expect(code).toBe(1);
    expect(() => statSync(file)).toThrow();
  });
});

describe('wizard.* gateway methods', () => {
  beforeAll(async () => {
    if (!server) server = await start();
  });

  it('walks the same steps server-side and writes the config file on the last one', async () => {
    const started = await rpc('wizard.start', {});
    expect(started.ok).toBe(true);
    const id = started.payload!.sessionId as string;
    expect(started.payload).toMatchObject({ status: 'running', done: false, step: { id: 'provider', type: 'select' } });
    const steps: [string, string | boolean][] = [['provider', 'custom'], ['baseUrl', `${fake.url}/v1`], ['apiKey', ''], ['model', 'echo'], ['telegramToken', ''], ['gatewayToken', 'keep'], ['defenderProfile', 'balanced'], ['confirm', true]];
    let last: Record<string, any> = started.payload!;
    for (const [stepId, value] of steps) {
      expect(last.step.id).toBe(stepId);
      const res = await rpc('wizard.next', { sessionId: id, answer: { stepId, value } });
      expect(res.ok, JSON.stringify(res.error)).toBe(true);
      last = res.payload!;
    }
    expect(last).toMatchObject({ status: 'done', done: true, result: { applied: true, file: join(data, 'edgeclaw.json5'), restartRequired: true } });
    const written = JSON5.parse(readFileSync(join(data, 'edgeclaw.json5'), 'utf8')) as Record<string, any>;
    expect(written.defender.profile).toBe('balanced');
    // An empty key keeps the stored one: still a reference into the secret store.
    expect(written.models.providers.custom.apiKey).toBe('secret:models.providers.custom.apiKey');
    const status = await rpc('wizard.status', { sessionId: id });
    expect(status.payload).toMatchObject({ status: 'done', answers: { provider: 'custom', gatewayToken: 'keep' } });
  });

  it('rejects a wrong step, an invalid answer (naming it), an unknown session, and non-admin callers', async () => {
    const id = (await rpc('wizard.start', {})).payload!.sessionId as string;
    const wrong = await rpc('wizard.next', { sessionId: id, answer: { stepId: 'model', value: 'x' } });
    expect(wrong.error).toMatchObject({ code: 'INVALID_REQUEST', details: { code: 'WIZARD_STEP_MISMATCH', expected: 'provider' } });
    const bad = await rpc('wizard.next', { sessionId: id, answer: { stepId: 'provider', value: 'nope' } });
    expect(bad.error).toMatchObject({ code: 'INVALID_REQUEST', details: { code: 'WIZARD_INVALID_ANSWER', stepId: 'provider' } });
    expect(bad.error!.message).toContain('unknown provider "nope"');
    expect((await rpc('wizard.next', { sessionId: id })).payload).toMatchObject({ step: { id: 'provider' } });
    expect((await rpc('wizard.cancel', { sessionId: id })).payload).toMatchObject({ status: 'cancelled', done: true });
    expect((await rpc('wizard.next', { sessionId: id, answer: { stepId: 'provider', value: 'openai' } })).error).toMatchObject({ details: { code: 'WIZARD_NOT_RUNNING' } });
    expect((await rpc('wizard.status', { sessionId: 'nope' })).error).toMatchObject({ code: 'INVALID_REQUEST', details: { code: 'WIZARD_NOT_FOUND' } });
    expect((await rpc('wizard.start', { extra: 1 })).error).toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('is admin-only', async () => {
    const cfg = join(data, 'edgeclaw.json5');
    const withReader = { ...(JSON5.parse(readFileSync(cfg, 'utf8')) as object), gateway: { ...(JSON5.parse(readFileSync(cfg, 'utf8')) as { gateway: object }).gateway, credentials: [{ id: 'reader', kind: 'token', secret: READ_TOKEN, role: 'operator', scopes: ['operator.read', 'operator.write'] }] } };
    writeFileSync(cfg, JSON.stringify(withReader), { mode: 0o600 });
    await stop();
    server = await start();
    const res = await rpc('wizard.start', {}, READ_TOKEN);
    expect(res.error).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('refuses new sessions beyond the cap while all are running', async () => {
    const ids: string[] = [];
    let refused: Record<string, unknown> | undefined;
    for (let i = 0; i < 20 && !refused; i++) {
      const res = await rpc('wizard.start', {});
      if (res.ok) ids.push(res.payload!.sessionId as string);
      else refused = res.error;
    }
    expect(ids.length).toBe(8);
    expect(refused).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
    await rpc('wizard.cancel', { sessionId: ids[0] });
    // A finished session makes room for a new one.
    expect((await rpc('wizard.start', {})).ok).toBe(true);
  });
});
