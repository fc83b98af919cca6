// `edgeclaw gateway` and `edgeclaw sessions` as real WebSocket clients of a running server.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READ_TOKEN, TEST_CREDENTIALS, TEST_TOKEN } from '../contract/constants.ts';
import { writeFileSync } from 'node:fs';
import { runCli } from './cli-run.ts';
import { spawnServer, tempDir, type ServerProcess } from './server-process.ts';

const dir = tempDir();
let server: ServerProcess;
let gw: Record<string, string>;

beforeAll(async () => {
  const config = join(dir.path, 'edgeclaw.json5');
  writeFileSync(config, JSON.stringify({ gateway: { credentials: JSON.parse(TEST_CREDENTIALS) } }));
  server = await spawnServer({ PORT: '0', EDGECLAW_DATA_DIR: join(dir.path, 'data'), EDGECLAW_GATEWAY_TOKEN: TEST_TOKEN, EDGECLAW_CONFIG: config });
  gw = { EDGECLAW_GATEWAY_URL: server.url.replace('http', 'ws'), EDGECLAW_GATEWAY_TOKEN: TEST_TOKEN };
});

afterAll(async () => {
  server.child.kill('SIGTERM');
  await server.exited;
  dir.cleanup();
});

describe('edgeclaw gateway', () => {
  it('prints the running server status as JSON', async () => {
    const res = await runCli(['gateway', 'status', '--json'], gw);
    expect(res.code, res.stderr).toBe(0);
    const status = JSON.parse(res.stdout) as { runtimeVersion: string; uptimeMs: number };
    expect(status.runtimeVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(status.uptimeMs).toBeGreaterThan(0);
  });

  it('reports health in text form', async () => {
    const res = await runCli(['gateway', 'health'], gw);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^ok: true/);
  });

  it('calls any method with --params and flags given on the command line', async () => {
    const res = await runCli(['gateway', 'call', 'sessions.list', '--params', '{limit: 5}', '--json', '--url', server.url, '--token', READ_TOKEN]);
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ limitApplied: 5 });
  });

  it('exits 2 when the gateway rejects the params', async () => {
    const res = await runCli(['gateway', 'call', 'sessions.list', '--params', '{limit: -1}'], gw);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('INVALID_REQUEST');
  });

  it('exits 1 with the scope error when the token lacks the scope', async () => {
    const res = await runCli(['gateway', 'call', 'exec.approval.list', '--json'], { ...gw, EDGECLAW_GATEWAY_TOKEN: READ_TOKEN });
    expect(res.code).toBe(1);
    expect(JSON.parse(res.stdout)).toMatchObject({ ok: false, error: { details: { code: 'FORBIDDEN' } } });
  });

  it('exits 1 when the token is wrong, without echoing it', async () => {
    const res = await runCli(['gateway', 'status'], { ...gw, EDGECLAW_GATEWAY_TOKEN: 'wrong-token-0123456789' });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('token mismatch');
    expect(res.stderr).not.toContain('wrong-token-0123456789');
  });

  it('exits 1 when no gateway is listening', async () => {
    const res = await runCli(['gateway', 'status', '--url', 'ws://127.0.0.1:1', '--timeout', '2000'], { EDGECLAW_GATEWAY_TOKEN: TEST_TOKEN });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('cannot reach the gateway');
  });

  it('exits 2 on usage errors: no token, unknown action, bad flag', async () => {
    expect((await runCli(['gateway', 'status'], { EDGECLAW_GATEWAY_URL: gw.EDGECLAW_GATEWAY_URL! })).code).toBe(2);
    expect((await runCli(['gateway', 'frob'], gw)).code).toBe(2);
    expect((await runCli(['gateway', 'status', '--nope'], gw)).code).toBe(2);
  });

  it('documents its exit codes in --help', async () => {
    const res = await runCli(['gateway', '--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('Exit codes: 0 ok, 1 runtime failure');
  });
});

describe('edgeclaw sessions', () => {
  it('lists the sessions a chat created', async () => {
    const send = await runCli(['gateway', 'call', 'chat.send', '--params', JSON.stringify({ sessionKey: 'agent:main:main', message: 'hello from the cli', idempotencyKey: 'cli-test-1' })], gw);
    expect(send.code, send.stderr + send.stdout).toBe(0);
    const res = await runCli(['sessions', 'list', '--json'], gw);
    expect(res.code, res.stderr).toBe(0);
    const keys = (JSON.parse(res.stdout) as { sessions: { key: string }[] }).sessions.map((s) => s.key);
    expect(keys).toContain('agent:main:main');
    const text = await runCli(['sessions', 'list'], gw);
    expect(text.stdout).toMatch(/^key\s+agentId/);
  });

  it('rejects an out-of-range --limit with exit 2', async () => {
    expect((await runCli(['sessions', 'list', '--limit', '0'], gw)).code).toBe(2);
  });
});
