// The secret store on Node: config files hold `secret:NAME` references into <data dir>/registry.sqlite
// (0600), resolved before validation with env overrides still winning; `edgeclaw secrets` manages it (names
// only on list); an old config with inline secrets keeps working, and `security audit --fix` moves them out.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import JSON5 from 'json5';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../node-adapter/config.ts';
import { NodeSecretStore, SECRETS_MAX, readSecrets } from '../../node-adapter/secret-store.ts';
import { ConfigError } from '../../src/config/schema.ts';
import { externalizeSecrets, inlineSecrets, resolveSecretRefs } from '../../src/config/secret-refs.ts';
import { runCli } from './cli-run.ts';
import { spawnServer, tempDir } from './server-process.ts';

const dir = tempDir('edgeclaw-secrets-');
afterAll(() => dir.cleanup());

const BOT = '123456789:AAbbccddeeffgghhiijjkkllmmnn';
const HOOKS = 'hooks-token-0123456789abcdef';
const KEY = 'sk-inline-0123456789';

describe('secret references (pure)', () => {
  it('finds inline secrets by key, skipping references, digests and env-name lists, and names array items by id', () => {
    const cfg = {
      gateway: { token: 'sha256:' + 'a'.repeat(64), credentials: [{ id: 'ci', kind: 'password', secret: 'pw-0123456789' }] },
      hooks: { token: HOOKS },
      models: { providers: { openai: { apiKey: 'env:OPENAI_API_KEY', apiKeyEnv: ['X_API_KEY'] }, groq: { apiKey: 'secret:models.providers.groq.apiKey' } } },
      channels: { telegram: { accounts: [{ id: 'default', token: BOT }] } },
    };
    expect(inlineSecrets(cfg).map((l) => l.name).sort()).toEqual(['channels.telegram.accounts.default.token', 'gateway.credentials.ci.secret', 'hooks.token']);
    const stored = new Map<string, string>();
    const { config, moved } = externalizeSecrets(cfg, (n, v) => stored.set(n, v));
    expect(moved).toHaveLength(3);
    expect(JSON.stringify(config)).not.toContain(HOOKS);
    expect(config.hooks).toEqual({ token: 'secret:hooks.token' });
    const back = resolveSecretRefs(config, (n) => stored.get(n));
    expect(back.missing).toEqual([{ path: 'models.providers.groq.apiKey', name: 'models.providers.groq.apiKey' }]);
    expect((back.config.channels as typeof cfg.channels).telegram.accounts[0]!.token).toBe(BOT);
    // Under a key that is not secret, `secret:` is plain text.
    expect(resolveSecretRefs({ agent: { systemPrompt: 'secret:agent' } }, () => 'x')).toEqual({ config: { agent: { systemPrompt: 'secret:agent' } }, missing: [] });
  });
});

describe('secret store on Node', () => {
  it('loads a config whose secrets are references; env overrides still win; a missing one names the key and the fix', () => {
    const data = join(dir.path, 'load');
    const file = join(dir.path, 'load.json5');
    writeFileSync(file, JSON.stringify({ dataDir: data, hooks: { token: 'secret:hooks.token' }, channels: { telegram: { accounts: [{ id: 'default', token: 'secret:bot' }] } } }));
    const missing = (() => {
      try {
        loadConfig({ EDGECLAW_CONFIG: file });
      } catch (err) {
        return err;
      }
    })();
    expect(missing).toBeInstanceOf(ConfigError);
    expect((missing as ConfigError).problems.map((p) => [p.key, p.expected])).toEqual([
      ['hooks.token', expect.stringContaining('edgeclaw secrets set hooks.token')],
      ['channels.telegram.accounts.0.token', expect.stringContaining('"bot" is not in')],
    ]);
    const store = NodeSecretStore.open(data);
    store.set('hooks.token', HOOKS, 'test');
    store.set('bot', BOT, 'test');
    store.close();
    expect(statSync(data).mode & 0o777).toBe(0o700);
    expect(statSync(join(data, 'registry.sqlite')).mode & 0o777).toBe(0o600);
    const { config } = loadConfig({ EDGECLAW_CONFIG: file });
    expect(config.hooks.token).toBe(HOOKS);
    expect(config.channels.telegram.accounts[0]!.token).toBe(BOT);
    const env = 'env-hooks-token-0123456789';
    expect(loadConfig({ EDGECLAW_CONFIG: file, EDGECLAW_HOOKS_TOKEN: env }).config.hooks.token).toBe(env);
  });

  it('caps the store: one more than SECRETS_MAX is refused with the fix, replacing an existing one still works', () => {
    const data = join(dir.path, 'cap');
    const store = NodeSecretStore.open(data);
    for (let i = 0; i < SECRETS_MAX; i++) store.set(`s${i}`, `value-${i}`, 'test');
    expect(() => store.set('one-more', 'v', 'test')).toThrow(`the secret store is full (${SECRETS_MAX} secrets): delete one with \`edgeclaw secrets delete NAME\``);
    store.set('s0', 'replaced', 'test');
    expect(store.get('s0')).toBe('replaced');
    // Runtime-set provider keys (`/set api key`) have their own cap and do not count here.
    expect(() => store.set('provider-api-key:openai', 'sk-live-0123456789', 'test')).toThrow(/full/);
    expect(store.delete('s1')).toBe(true);
    store.set('one-more', 'v', 'test');
    expect(store.list()).toHaveLength(SECRETS_MAX);
    expect(() => store.set('bad name', 'v', 'test')).toThrow(/invalid secret name/);
    store.close();
    expect(readSecrets(data)('one-more')).toBe('v');
  });

  it('edgeclaw secrets set/list/delete: the value from the environment or stdin, names only on list, bad input exits 2', async () => {
    const data = join(dir.path, 'cli');
    const env = { EDGECLAW_DATA_DIR: data, MY_TOKEN: HOOKS };
    const set = await runCli(['secrets', 'set', 'hooks.token', '--from-env', 'MY_TOKEN', '--json'], env);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).not.toContain(HOOKS);
    const list = await runCli(['secrets', 'list', '--json'], env);
    expect(JSON.parse(list.stdout)).toMatchObject({ ok: true, secrets: [{ name: 'hooks.token', chars: HOOKS.length, updatedBy: 'edgeclaw secrets set' }] });
    expect(list.stdout).not.toContain(HOOKS);
    expect(readSecrets(data)('hooks.token')).toBe(HOOKS);
    expect((await runCli(['secrets', 'set', 'bad name!', '--from-env', 'MY_TOKEN'], env)).code).toBe(2);
    const unset = await runCli(['secrets', 'set', 'x', '--from-env', 'NOPE'], env);
    expect([unset.code, unset.stderr]).toEqual([2, expect.stringContaining('--from-env: NOPE is not set or empty')]);
    expect((await runCli(['secrets', 'frobnicate'], env)).code).toBe(2);
    expect((await runCli(['secrets', 'delete', 'hooks.token'], env)).code).toBe(0);
    expect((await runCli(['secrets', 'delete', 'hooks.token'], env)).code).toBe(1);
    expect(readSecrets(data)('hooks.token')).toBeUndefined();
  });

  it('an old config with inline secrets keeps working; doctor and security audit report it and --fix moves them into the store', async () => {
    const data = join(dir.path, 'legacy');
    const file = join(dir.path, 'legacy.json5');
    writeFileSync(file, JSON.stringify({ dataDir: data, hooks: { token: HOOKS }, models: { providers: { openai: { apiKey: KEY } } } }), { mode: 0o600 });
    const env = { EDGECLAW_CONFIG: file };
    expect(loadConfig(env).config.hooks.token).toBe(HOOKS);
    const doctor = await runCli(['doctor', '--offline', '--json'], env);
    expect(JSON.parse(doctor.stdout).checks).toContainEqual(expect.objectContaining({ id: 'secrets', status: 'warn', message: expect.stringContaining('inline secret in config file') }));
    const audit = await runCli(['security', 'audit', '--json'], env);
    const finding = (JSON.parse(audit.stdout) as { findings: { id: string; message: string }[] }).findings.find((f) => f.id === 'config.secret.inline');
    expect(finding?.message).toBe(`inline secret in config file ${file}: hooks.token, models.providers.openai.apiKey`);
    expect(audit.stdout).not.toContain(KEY);

    const fixed = await runCli(['security', 'audit', '--fix', '--json'], env);
    expect((JSON.parse(fixed.stdout) as { findings: { id: string; fixed?: boolean }[] }).findings).toContainEqual(expect.objectContaining({ id: 'config.secret.inline', fixed: true }));
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(HOOKS);
    expect(text).not.toContain(KEY);
    expect(JSON5.parse(text)).toMatchObject({ hooks: { token: 'secret:hooks.token' }, models: { providers: { openai: { apiKey: 'secret:models.providers.openai.apiKey' } } } });
    expect(loadConfig(env).config.models.providers.openai!.apiKey).toBe(KEY);
    const again = await runCli(['security', 'audit', '--json'], env);
    expect((JSON.parse(again.stdout) as { findings: { id: string }[] }).findings.map((f) => f.id)).not.toContain('config.secret.inline');
    const doctorAfter = await runCli(['doctor', '--offline', '--json'], env);
    expect(JSON.parse(doctorAfter.stdout).checks).toContainEqual(expect.objectContaining({ id: 'secrets', status: 'ok' }));
  });

  it('config set of a secret key stores the value and writes a reference; the server starts from it and uses it', async () => {
    const data = join(dir.path, 'server');
    const file = join(dir.path, 'server.json5');
    writeFileSync(file, '{}', { mode: 0o600 });
    const env = { EDGECLAW_CONFIG: file, EDGECLAW_DATA_DIR: data };
    const set = await runCli(['config', 'set', 'hooks.token', HOOKS, '--json'], env);
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ ok: true, value: '<redacted>', secretsStored: ['hooks.token'] });
    expect(JSON5.parse(readFileSync(file, 'utf8'))).toEqual({ hooks: { token: 'secret:hooks.token' } });
    const get = await runCli(['config', 'get', 'hooks.token'], env);
    expect(get.stdout.trim()).toBe('<redacted>');
    const server = await spawnServer({ ...env, PORT: '0' });
    try {
      const wake = (token: string) => fetch(`${server.url}/hooks/wake`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ text: 'ping' }) });
      expect((await wake(HOOKS)).status).toBe(200);
      expect((await wake('wrong-token-0123456789')).status).toBe(401);
      expect(server.stdout()).not.toContain(HOOKS);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('a fresh server keeps its registry (the secret store) owner-only, so doctor and the audit find nothing to fix', async () => {
    const data = join(dir.path, 'fresh');
    const server = await spawnServer({ PORT: '0', EDGECLAW_DATA_DIR: data });
    try {
      expect(statSync(join(data, 'registry.sqlite')).mode & 0o777).toBe(0o600);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    const audit = await runCli(['security', 'audit', '--json'], { EDGECLAW_DATA_DIR: data });
    expect((JSON.parse(audit.stdout) as { findings: { id: string }[] }).findings.map((f) => f.id).filter((id) => id.startsWith('fs.') || id.startsWith('config.'))).toEqual([]);
    const doctor = await runCli(['doctor', '--offline', '--json'], { EDGECLAW_DATA_DIR: data });
    expect(JSON.parse(doctor.stdout).checks).toContainEqual(expect.objectContaining({ id: 'secrets', status: 'ok' }));
  });
});
