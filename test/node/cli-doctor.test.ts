// `edgeclaw doctor` and `edgeclaw security audit` against a matrix of seeded misconfigurations; --fix repairs permissions.
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-run.ts';
import { spawnServer, tempDir } from './server-process.ts';

const root = tempDir();
afterAll(() => root.cleanup());
let n = 0;

/** A deployment: data dir with a generated-token file, and a config file, with the given modes. */
function deployment(opts: { dataMode?: number; secretsMode?: number; tokenMode?: number; configMode?: number; config?: Record<string, unknown> } = {}) {
  const base = join(root.path, `d${++n}`);
  const data = join(base, 'data');
  mkdirSync(join(data, 'secrets'), { recursive: true });
  const tokenFile = join(data, 'secrets', 'gateway-token.json');
  writeFileSync(tokenFile, JSON.stringify({ sha256: createHash('sha256').update('generated-admin-token-0123').digest('hex') }));
  const config = join(base, 'edgeclaw.json5');
  writeFileSync(config, JSON.stringify(opts.config ?? {}));
  chmodSync(data, opts.dataMode ?? 0o700);
  chmodSync(join(data, 'secrets'), opts.secretsMode ?? 0o700);
  chmodSync(tokenFile, opts.tokenMode ?? 0o600);
  chmodSync(config, opts.configMode ?? 0o600);
  return { data, tokenFile, config, args: ['--config', config, '--data-dir', data] };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

type Check = { id: string; status: string; message: string; fix?: string };
const statusOf = (checks: Check[]) => Object.fromEntries(checks.map((c) => [c.id, c.status]));

describe('edgeclaw doctor network probes', () => {
  it('probes the primary provider with its key and every bot with getMe; a refused key or token fails', async () => {
    const { createFakeOpenAI } = await import('../fakes/openai-provider.ts');
    const { createFakeTelegram } = await import('../fakes/telegram.ts');
    const { serveOnPort0 } = await import('../fakes/serve-node.ts');
    const tg = createFakeTelegram();
    const good = tg.addBot(777, 'probe_bot');
    const provider = await serveOnPort0(createFakeOpenAI().app);
    const bots = await serveOnPort0(tg.app);
    try {
      const config = (token: string) => ({
        models: { default: 'fake/echo', providers: { fake: { baseUrl: `${provider.url}/v1`, keyless: true, models: ['echo'] } } },
        channels: { telegram: { accounts: [{ id: 'main', token, apiRoot: bots.url }] } },
      });
      const ok = deployment({ config: config(good) });
      const res = await runCli(['doctor', '--json', ...ok.args, '--port', String(await freePort())]);
      const checks = (JSON.parse(res.stdout) as { checks: Check[] }).checks;
      expect(statusOf(checks)).toMatchObject({ provider_net: 'ok', 'telegram:main': 'ok' });
      expect(checks.find((c) => c.id === 'telegram:main')?.message).toContain('@probe_bot');
      expect(res.stdout).not.toContain(good);

      const bad = deployment({ config: config('999999:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA') });
      const res2 = await runCli(['doctor', '--json', ...bad.args, '--port', String(await freePort())]);
      expect(res2.code).toBe(1);
      expect(statusOf((JSON.parse(res2.stdout) as { checks: Check[] }).checks)['telegram:main']).toBe('fail');
      const offline = await runCli(['doctor', '--json', '--offline', ...bad.args, '--port', String(await freePort())]);
      expect(statusOf((JSON.parse(offline.stdout) as { checks: Check[] }).checks)['telegram:main']).toBeUndefined();
    } finally {
      await provider.close();
      await bots.close();
    }
  });
});

describe('edgeclaw doctor', () => {
  it('passes a healthy deployment', async () => {
    const d = deployment();
    const res = await runCli(['doctor', '--json', '--offline', ...d.args, '--port', String(await freePort())]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const { checks } = JSON.parse(res.stdout) as { checks: Check[] };
    expect(statusOf(checks)).toMatchObject({ config: 'ok', data_dir: 'ok', token_file: 'ok', port: 'ok', glibc: 'ok' });
    expect(statusOf(checks).providers).not.toBe('fail'); // keyless default providers may already be usable
  });

  it('fails on open permissions, a taken port and an invalid config, printing fixes', async () => {
    const d = deployment({ dataMode: 0o755, tokenMode: 0o644, config: { queue: { mode: 'sideways' } } });
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    try {
      const port = String((blocker.address() as { port: number }).port);
      const res = await runCli(['doctor', '--offline', '--json', ...d.args, '--port', port]);
      expect(res.code).toBe(1);
      const { checks } = JSON.parse(res.stdout) as { checks: Check[] };
      expect(statusOf(checks)).toMatchObject({ config: 'fail', data_dir: 'fail', token_file: 'fail', port: 'fail' });
      const text = await runCli(['doctor', '--offline', ...d.args, '--port', port]);
      expect(text.stdout).toContain(`fix: chmod 700 ${d.data}`);
      expect(text.stdout).toContain(`fix: chmod 600 ${d.tokenFile}`);
    } finally {
      blocker.close();
    }
  });

  it('recognises its own server answering on the port', async () => {
    const d = deployment();
    const server = await spawnServer({ PORT: '0', EDGECLAW_DATA_DIR: d.data });
    try {
      const port = new URL(server.url).port;
      const res = await runCli(['doctor', '--offline', '--json', ...d.args, '--port', port]);
      expect(statusOf((JSON.parse(res.stdout) as { checks: Check[] }).checks).port).toBe('ok');
      expect(res.stdout).toContain('edgeclaw is answering');
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });
});

describe('edgeclaw security audit', () => {
  type Finding = { id: string; severity: string; fixed?: boolean };
  const ids = (out: string) => (JSON.parse(out) as { findings: Finding[] }).findings.map((f) => f.id);

  it('has no findings for a loopback deployment with tight permissions', async () => {
    const d = deployment();
    const res = await runCli(['security', 'audit', ...d.args]);
    expect(res.code, res.stdout).toBe(0);
    expect(res.stdout).toBe('no findings\n');
  });

  it('flags a public bind, model runs with exec on it, token reuse and a plain token', async () => {
    const token = 'shared-token-0123456789abcdef';
    const d = deployment({ config: { host: '0.0.0.0', gateway: { token, credentials: [{ id: 'old', secret: 'plain-secret-123' }] }, hooks: { token } } });
    const res = await runCli(['security', 'audit', '--json', ...d.args]);
    expect(res.code).toBe(1);
    expect(ids(res.stdout)).toEqual(expect.arrayContaining(['gateway.bind.public', 'agent.exec.public', 'hooks.token.reused', 'gateway.token.plain', 'gateway.credentials.plain']));
    expect(res.stdout).not.toContain(token);
  });

  it('flags a missing token and world-readable files, and --fix repairs the permissions', async () => {
    const d = deployment({ dataMode: 0o755, secretsMode: 0o755, tokenMode: 0o644, configMode: 0o644 });
    const before = await runCli(['security', 'audit', '--json', ...d.args]);
    expect(before.code).toBe(1);
    expect(ids(before.stdout)).toEqual(['fs.data_dir.perms', 'fs.secrets_dir.perms', 'fs.token_file.perms', 'fs.config_file.perms']);
    const fixed = await runCli(['security', 'audit', '--fix', '--json', ...d.args]);
    expect(fixed.code).toBe(0);
    expect((JSON.parse(fixed.stdout) as { findings: Finding[] }).findings.every((f) => f.fixed)).toBe(true);
    expect(statSync(d.data).mode & 0o777).toBe(0o700);
    expect(statSync(d.tokenFile).mode & 0o777).toBe(0o600);
    expect(statSync(d.config).mode & 0o777).toBe(0o600);
    expect((await runCli(['security', 'audit', ...d.args])).stdout).toBe('no findings\n');

    const empty = join(root.path, 'empty-data');
    const none = await runCli(['security', 'audit', '--json', '--data-dir', empty]);
    expect(ids(none.stdout)).toEqual(['gateway.auth.none']);
  });
});
