// Compatibility with the official openclaw CLI (pinned, installed by scripts/install-openclaw.mjs into a
// cache outside the repo) against the real Node server. Run with `npm run test:compat`.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without types
import { ensureOpenclaw } from '../../scripts/install-openclaw.mjs';
import { spawnServer, tempDir, type ServerProcess } from '../node/server-process.ts';
import { agentModelsConfig } from '../contract/agent-config.ts';
import { createFakeOpenAI } from '../fakes/openai-provider.ts';
import { serveOnPort0, type ServedFake } from '../fakes/serve-node.ts';

const TOKEN = 'compat-token-0123456789abcdef';
const dir = tempDir('edgeclaw-compat-');
let server: ServerProcess;
let openclaw: string;
let wsUrl: string;
let fake: ServedFake;

/** Runs the CLI with a clean env (an inherited VITEST=true makes it print nothing). */
function oc(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const home = join(dir.path, 'home');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [openclaw, ...args], {
      cwd: home,
      env: { PATH: process.env.PATH ?? '', HOME: home, OPENCLAW_HOME: home, OPENCLAW_STATE_DIR: join(home, '.openclaw'), ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const call = (method: string, params?: unknown, extra: string[] = []) =>
  oc(['gateway', 'call', method, '--url', wsUrl, '--token', TOKEN, '--json', ...(params ? ['--params', JSON.stringify(params)] : []), ...extra]);

function json(out: string): any {
  const start = out.search(/^[[{]/m);
  return JSON.parse(out.slice(start));
}

beforeAll(async () => {
  openclaw = ensureOpenclaw();
  mkdirSync(join(dir.path, 'home', '.openclaw'), { recursive: true });
  fake = await serveOnPort0(createFakeOpenAI().app);
  const config = join(dir.path, 'edgeclaw.json5');
  writeFileSync(config, JSON.stringify({ models: agentModelsConfig(`${fake.url}/v1`) }));
  server = await spawnServer({ PORT: '0', EDGECLAW_DATA_DIR: join(dir.path, 'data'), EDGECLAW_GATEWAY_TOKEN: TOKEN, EDGECLAW_CONFIG: config, EDGECLAW_AGENT_RUNNER: 'model' });
  wsUrl = server.url.replace('http://', 'ws://');
}, 300_000);

afterAll(async () => {
  server?.child.kill('SIGTERM');
  await server?.exited;
  await fake?.close();
  dir.cleanup();
});

describe('official openclaw CLI against edgeclaw', () => {
  it('gateway call health prints the health snapshot', async () => {
    const r = await call('health');
    expect(r.code, r.stderr).toBe(0);
    expect(json(r.stdout)).toMatchObject({ ok: true, defaultAgentId: 'main' });
  });

  it('gateway call status and system-presence succeed', async () => {
    const s = await call('status');
    expect(s.code, s.stderr).toBe(0);
    expect(json(s.stdout)).toMatchObject({ runtimeVersion: expect.any(String), sessions: { byAgent: expect.any(Array) } });
    const p = await call('system-presence');
    expect(p.code, p.stderr).toBe(0);
    expect(json(p.stdout)[0]).toMatchObject({ host: 'edgeclaw', reason: 'self' });
  });

  it('gateway call chat.send returns the run, and sessions.list then shows the session', async () => {
    const r = await call('chat.send', { sessionKey: 'agent:main:main', message: 'hello from openclaw', idempotencyKey: 'compat-run-1' });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r.stdout)).toMatchObject({ runId: 'compat-run-1', status: 'started' });
    let listed: any;
    for (let i = 0; i < 20; i++) {
      listed = json((await call('sessions.list')).stdout);
      if (listed.sessions.some((s: { key: string }) => s.key === 'agent:main:main')) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(listed.sessions.map((s: { key: string }) => s.key)).toContain('agent:main:main');
  });

  it('gateway call agent --expect-final prints the final result of the run', async () => {
    const r = await call('agent', { message: 'hello agent', agentId: 'main', idempotencyKey: 'compat-run-2' }, ['--expect-final', '--timeout', '60000']);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r.stdout)).toMatchObject({ runId: 'compat-run-2', status: 'ok', summary: 'completed', result: { payloads: [{ text: 'echo: hello agent' }] } });
  });

  it('openclaw agent -m prints the reply text', async () => {
    const r = await oc(['agent', '--agent', 'main', '-m', 'hi from the cli'], { OPENCLAW_GATEWAY_URL: wsUrl, OPENCLAW_GATEWAY_TOKEN: TOKEN });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('echo: hi from the cli');
  });

  it('openclaw status in remote mode reaches the gateway', async () => {
    writeFileSync(join(dir.path, 'home', '.openclaw', 'openclaw.json'), JSON.stringify({ gateway: { mode: 'remote', remote: { url: wsUrl, token: TOKEN } } }));
    const r = await oc(['status', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r.stdout).gateway).toMatchObject({ reachable: true });
  });

  it('a wrong token fails with AUTH_TOKEN_MISMATCH and exit code 1', async () => {
    const r = await oc(['gateway', 'call', 'health', '--url', wsUrl, '--token', 'not-the-token-000', '--json']);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/AUTH_TOKEN_MISMATCH|token mismatch/);
  });
});
