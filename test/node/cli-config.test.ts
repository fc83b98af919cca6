// `edgeclaw config` and `edgeclaw token`: reading with secrets redacted, atomic validated writes, credentials as digests.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-run.ts';
import { spawnServer, tempDir } from './server-process.ts';

const dir = tempDir();
afterAll(() => dir.cleanup());
let n = 0;
const freshConfig = (content: unknown) => {
  const file = join(dir.path, `c${++n}.json5`);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content), { mode: 0o600 });
  return file;
};

describe('edgeclaw config', () => {
  it('gets the effective config with secrets redacted', async () => {
    const file = freshConfig({ gateway: { token: 'plain-admin-token-0123456789' }, hooks: { token: 'hooks-token-0123456789abcdef' } });
    const res = await runCli(['config', 'get', '--json', '--config', file], { PORT: '9999' });
    expect(res.code, res.stderr).toBe(0);
    const cfg = JSON.parse(res.stdout) as { port: number; gateway: { token: string }; hooks: { token: string } };
    expect(cfg.port).toBe(9999);
    expect(cfg.gateway.token).toBe('<redacted>');
    expect(res.stdout).not.toContain('plain-admin-token');
    expect(res.stdout).not.toContain('hooks-token-0123');
    const one = await runCli(['config', 'get', 'queue.cap'], { EDGECLAW_CONFIG: file });
    expect(one.stdout).toBe('20\n');
  });

  it('exits 2 for a key that does not exist', async () => {
    expect((await runCli(['config', 'get', 'nope.key'])).code).toBe(2);
  });

  it('sets a key atomically into a 0600 file after validating it', async () => {
    const file = freshConfig('// comment\n{ port: 18789 }');
    const res = await runCli(['config', 'set', 'queue.mode', 'collect', '--config', file]);
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ port: 18789, queue: { mode: 'collect' } });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const num = await runCli(['config', 'set', 'port', '8080', '--config', file]);
    expect(num.code).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8')).port).toBe(8080);
  });

  it('refuses an invalid value with exit 2 and leaves the file untouched', async () => {
    const file = freshConfig({ port: 1234 });
    const before = readFileSync(file, 'utf8');
    const res = await runCli(['config', 'set', 'queue.mode', 'sideways', '--config', file]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('queue.mode');
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect((await runCli(['config', 'set', 'port', '1'])).code).toBe(2); // no config file named
  });

  it('validates and prints each problem as key (source) = value: expected', async () => {
    const file = freshConfig({ port: 'eighty', queue: { cap: 0 }, typo: true });
    const res = await runCli(['config', 'validate', '--config', file]);
    expect(res.code).toBe(2);
    expect(res.stdout).toContain(`port (${file}) = "eighty": expected an integer port`);
    expect(res.stdout).toContain(`queue.cap (${file}) = 0: expected an integer between 1 and 10000`);
    expect(res.stdout).toMatch(/typo \(.*\): unknown key/);
    const env = await runCli(['config', 'validate', '--json'], { EDGECLAW_QUEUE_MODE: 'bad' });
    expect(env.code).toBe(2);
    expect(JSON.parse(env.stdout).problems[0]).toMatchObject({ key: 'queue.mode', source: 'env EDGECLAW_QUEUE_MODE' });
    const ok = await runCli(['config', 'validate'], { EDGECLAW_CONFIG: freshConfig({}) });
    expect(ok.code).toBe(0);
  });
});

describe('edgeclaw token', () => {
  it('creates a scoped token that the gateway accepts, lists it without the secret, and revokes it', async () => {
    const file = freshConfig({});
    const created = await runCli(['token', 'create', '--id', 'ops', '--scope', 'operator.read,operator.approvals', '--json', '--config', file]);
    expect(created.code, created.stderr).toBe(0);
    const { token, scopes } = JSON.parse(created.stdout) as { token: string; scopes: string[] };
    expect(scopes).toEqual(['operator.read', 'operator.approvals']);
    const stored = readFileSync(file, 'utf8');
    expect(stored).not.toContain(token);
    expect(stored).toMatch(/"secret": "sha256:[0-9a-f]{64}"/);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const list = await runCli(['token', 'list', '--config', file]);
    expect(list.stdout).toMatch(/ops\s+token\s+operator\s+operator.read,operator.approvals\s+sha256/);

    const server = await spawnServer({ PORT: '0', EDGECLAW_DATA_DIR: join(dir.path, 'data'), EDGECLAW_CONFIG: file });
    try {
      const gw = { EDGECLAW_GATEWAY_URL: server.url, EDGECLAW_GATEWAY_TOKEN: token };
      expect((await runCli(['gateway', 'call', 'exec.approval.list'], gw)).code).toBe(0);
      expect((await runCli(['gateway', 'call', 'chat.send', '--params', '{sessionKey:"main",message:"x",idempotencyKey:"k1"}'], gw)).code).toBe(1);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    expect((await runCli(['token', 'revoke', 'ops', '--config', file])).code).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8')).gateway.credentials).toEqual([]);
  });

  it('rejects unknown scopes, duplicate ids and unknown ids with exit 2', async () => {
    const file = freshConfig({});
    const bad = await runCli(['token', 'create', '--id', 'x', '--scope', 'operator.root', '--config', file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown scope "operator.root"');
    expect((await runCli(['token', 'create', '--id', 'x', '--config', file])).code).toBe(0);
    expect((await runCli(['token', 'create', '--id', 'x', '--config', file])).code).toBe(2);
    expect((await runCli(['token', 'revoke', 'y', '--config', file])).code).toBe(2);
    expect((await runCli(['token', 'create', '--config', file])).code).toBe(2);
  });
});
