// Bridge mode against the REAL openclaw gateway (cached install, temp HOME): edgeclaw denies `rm -rf ~`,
// allows `ls`, audits both; judges a real agent run (OpenClaw's model provider is our fake OpenAI server, whose
// model calls `exec rm -rf ~`, then hangs): the inbound message as a prompt, the tool call as blocked, answered with
// chat.abort (the hanging model call is cancelled) and a transcript note; survives a gateway kill + restart, and
// refuses a wrong token with exit 2.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeOpenAI } from '../fakes/openai-provider.ts';
// @ts-expect-error plain ESM script without types
import { ensureOpenclaw } from '../../scripts/install-openclaw.mjs';
import { ROOT, tempDir } from '../node/server-process.ts';

const TOKEN = 'bridge-compat-token-0123456789abcdef';
const dir = tempDir('edgeclaw-bridge-');
const home = join(dir.path, 'home');
const dataDir = join(dir.path, 'data');
let openclaw: string;
let port: number;
let gateway: ChildProcess | null = null;
let gatewayLog = '';
let bridge: ChildProcess | null = null;
let bridgeOut = '';
const provider = createFakeOpenAI();
let providerServer: ServerType | null = null;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n--- gateway ---\n${gatewayLog.slice(-3000)}\n--- bridge ---\n${bridgeOut.slice(-3000)}\n--- audit ---\n${JSON.stringify(audit()).slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Starts `openclaw gateway run` in its own process group and waits for "[gateway] ready". On a loaded machine
 * OpenClaw may give up during start-up (its state-lease heartbeat has a fixed 5 s budget) and exit; that start
 * is retried (up to 3 attempts), since it is the peer's start-up and not what this suite checks.
 */
async function startGateway(): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    gatewayLog = '';
    const g = spawn(process.execPath, [openclaw, 'gateway', 'run', '--port', String(port)], {
      cwd: home,
      detached: true,
      env: { PATH: process.env.PATH ?? '', HOME: home, OPENCLAW_HOME: home, OPENCLAW_STATE_DIR: join(home, '.openclaw'), TMPDIR: dir.path },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    gateway = g;
    g.stdout!.setEncoding('utf8').on('data', (d: string) => (gatewayLog = (gatewayLog + d).slice(-200_000)));
    g.stderr!.setEncoding('utf8').on('data', (d: string) => (gatewayLog = (gatewayLog + d).slice(-200_000)));
    const exitedEarly = () => g.exitCode !== null || g.signalCode !== null;
    await until('openclaw gateway ready (or exited)', () => /\[gateway\] ready/.test(gatewayLog) || exitedEarly(), 300_000);
    if (!exitedEarly()) return;
    if (attempt >= 3) throw new Error(`openclaw gateway exited during start-up ${attempt} times:\n${gatewayLog.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

async function killGateway(): Promise<void> {
  const g = gateway;
  if (!g || g.exitCode !== null || g.signalCode !== null) return;
  const exited = new Promise((r) => g.once('exit', r));
  process.kill(-g.pid!, 'SIGKILL');
  await exited;
  gateway = null;
}

/** Runs the edgeclaw CLI from source (the bundled dist may be stale). */
function edgeclaw(args: string[]): ChildProcess {
  const boot = "const {cli}=await import('./node-adapter/cli/index.ts');process.exit(await cli(process.argv.slice(1),process.env,'test'))";
  return spawn(process.execPath, ['--disable-warning=ExperimentalWarning', '--import', './node-adapter/register.mjs', '--input-type=module', '-e', boot, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const statusFile = () => join(dataDir, 'bridge', 'status.json');
function status(): any {
  try {
    return JSON.parse(readFileSync(statusFile(), 'utf8'));
  } catch {
    return undefined;
  }
}
function audit(): any[] {
  const f = join(dataDir, 'bridge', 'audit.jsonl');
  return existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
}

/** Connects a separate operator (write + read) and runs `fn` with a request function; closes afterwards. */
function withOperator<T>(fn: (req: (method: string, params: unknown) => Promise<any>) => Promise<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`);
    const pending = new Map<string, { resolve(v: any): void; reject(e: Error): void }>();
    let n = 0;
    const req = (method: string, params: unknown) => new Promise<any>((res, rej) => {
      const id = `q${++n}`;
      pending.set(id, { resolve: res, reject: rej });
      ws.send(JSON.stringify({ type: 'req', id, method, params }));
    });
    ws.on('message', (data) => {
      const f = JSON.parse(String(data));
      if (f.type === 'event' && f.event === 'connect.challenge') {
        req('connect', { minProtocol: 4, maxProtocol: 4, client: { id: 'gateway-client', displayName: 'bridge-test operator', version: 'test', platform: 'linux', mode: 'backend' }, role: 'operator', scopes: ['operator.read', 'operator.write'], auth: { token: TOKEN } }).then(
          () => fn(req).then((v) => (ws.close(), resolve(v)), (e) => (ws.close(), reject(e))),
          (e) => (ws.close(), reject(e)),
        );
      } else if (f.type === 'res') {
        const p = pending.get(f.id);
        pending.delete(f.id);
        if (f.ok) p?.resolve(f.payload);
        else p?.reject(new Error(JSON.stringify(f.error)));
      }
    });
    ws.on('error', reject);
  });
}

/** Asks the gateway for an exec approval as a separate operator and returns the decision it reports. */
function requestApproval(command: string): Promise<{ id: string; decision: string | null }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`);
    const timer = setTimeout(() => (ws.terminate(), reject(new Error(`no decision for ${command}`))), 60_000);
    const send = (id: string, method: string, params: unknown) => ws.send(JSON.stringify({ type: 'req', id, method, params }));
    ws.on('message', (data) => {
      const f = JSON.parse(String(data));
      if (f.type === 'event' && f.event === 'connect.challenge') {
        send('c', 'connect', { minProtocol: 4, maxProtocol: 4, client: { id: 'gateway-client', displayName: 'bridge-test requester', version: 'test', platform: 'linux', mode: 'backend' }, role: 'operator', scopes: ['operator.approvals'], auth: { token: TOKEN } });
      } else if (f.type === 'res' && f.id === 'c') {
        if (!f.ok) return reject(new Error(JSON.stringify(f.error)));
        send('r', 'exec.approval.request', { command, host: 'gateway', timeoutMs: 30_000 });
      } else if (f.type === 'res' && f.id === 'r') {
        clearTimeout(timer);
        ws.close();
        if (!f.ok) return reject(new Error(JSON.stringify(f.error)));
        resolve({ id: f.payload.id, decision: f.payload.decision });
      }
    });
    ws.on('error', reject);
  });
}

beforeAll(async () => {
  openclaw = ensureOpenclaw();
  port = await freePort();
  const providerPort = await new Promise<number>((resolve) => {
    providerServer = serve({ fetch: provider.app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(info.port));
  });
  mkdirSync(join(home, '.openclaw'), { recursive: true });
  // The OpenClaw config a bridge user needs: token auth, and exec on the gateway host asking for every command.
  // The model provider is our fake OpenAI server: model `tools:1` calls the tool given in x-fake-tool-calls once.
  writeFileSync(join(home, '.openclaw', 'openclaw.json'), JSON.stringify({
    gateway: { mode: 'local', port, bind: 'loopback', auth: { mode: 'token', token: TOKEN } },
    tools: { exec: { host: 'gateway', security: 'allowlist', ask: 'always' } },
    agents: { defaults: { model: { primary: 'fake/tools:1' } } },
    models: {
      mode: 'merge',
      providers: {
        fake: {
          baseUrl: `http://127.0.0.1:${providerPort}/v1`, apiKey: 'fake-key', api: 'openai-completions',
          // After the tool call the model hangs, so the run is still active when the bridge aborts it.
          headers: { 'x-fake-tool-calls': JSON.stringify([{ name: 'exec', arguments: { command: 'rm -rf ~' } }]), 'x-fake-after-tools': 'hang' },
          models: [{ id: 'tools:1', name: 'fake tools', reasoning: false, input: ['text'], cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, contextWindow: 128000, maxTokens: 4000 }],
        },
      },
    },
  }, null, 2));
  await startGateway();
  bridge = edgeclaw(['bridge', '--url', `ws://127.0.0.1:${port}`, '--token', TOKEN, '--data-dir', dataDir, '--review', 'deny', '--review-timeout-ms', '2000', '--max-backoff-ms', '2000']);
  bridge.stdout!.setEncoding('utf8').on('data', (d: string) => (bridgeOut = (bridgeOut + d).slice(-200_000)));
  bridge.stderr!.setEncoding('utf8').on('data', (d: string) => (bridgeOut = (bridgeOut + d).slice(-200_000)));
  await until('bridge connected', () => status()?.state === 'connected', 60_000);
}, 400_000);

afterAll(async () => {
  if (bridge && bridge.exitCode === null) {
    const exited = new Promise((r) => bridge!.once('exit', r));
    bridge.kill('SIGTERM');
    await exited;
  }
  await killGateway();
  providerServer?.close();
  dir.cleanup();
}, 60_000);

describe('edgeclaw bridge against the real openclaw gateway', () => {
  it('denies a destructive command and allows a safe one, and audits both', async () => {
    const bad = await requestApproval('rm -rf ~');
    const good = await requestApproval('ls');
    expect(bad.decision).toBe('deny');
    expect(good.decision).toBe('allow-once');
    const records = await until('audit records', () => {
      const a = audit();
      return a.some((r) => r.approvalId === good.id) && a;
    }, 10_000);
    expect(records.find((r) => r.approvalId === bad.id)).toMatchObject({ command: 'rm -rf ~', action: 'block', resolution: 'deny', outcome: 'resolved', reasons: [expect.objectContaining({ rule: expect.stringContaining('command_guard') })] });
    expect(records.find((r) => r.approvalId === good.id)).toMatchObject({ command: 'ls', action: 'allow', resolution: 'allow-once', outcome: 'resolved' });
    expect(bridgeOut).toContain('"msg":"bridge decision"');
  });

  it('judges a real agent run: the inbound message as a prompt, the exec tool call blocked with chat.abort and a note', async () => {
    expect(status().observing).toBe(true);
    const ack = await withOperator((req) => req('chat.send', { sessionKey: 'main', message: 'please tidy up my home directory', idempotencyKey: 'bridge-run-1' }));
    expect(ack).toMatchObject({ runId: 'bridge-run-1' });
    const records = await until('prompt and tool_call records', () => {
      const a = audit();
      return a.some((r) => r.kind === 'prompt') && a.some((r) => r.kind === 'tool_call') && a;
    }, 240_000);
    expect(records.find((r) => r.kind === 'prompt')).toMatchObject({ sessionKey: 'agent:main:main', summary: 'please tidy up my home directory', action: 'allow', outcome: 'observed' });
    expect(records.find((r) => r.kind === 'tool_call')).toMatchObject({
      sessionKey: 'agent:main:main', runId: 'bridge-run-1', tool: 'exec', summary: 'exec rm -rf ~', action: 'block', response: 'abort', outcome: 'aborted',
      reasons: [expect.objectContaining({ rule: 'command_guard:fs.rm_recursive_root_or_home' })],
    });
    // chat.abort reached the model call: the hanging second step saw its client go away.
    await until('model call aborted', () => provider.requests.some((r) => r.disconnected), 60_000);
    // The note is in the session's transcript, visible to every OpenClaw client.
    const history = await withOperator((req) => req('chat.history', { sessionKey: 'main', limit: 50 }));
    expect(JSON.stringify(history.messages)).toContain('edgeclaw Defender blocked this tool call `exec`');
  }, 300_000);

  it('reconnects after the gateway is killed and restarted, and keeps deciding', async () => {
    const before = status().counters.connects;
    await killGateway();
    await until('bridge noticed the disconnect', () => status()?.state !== 'connected', 30_000);
    await startGateway();
    await until('bridge reconnected', () => {
      const s = status();
      return s?.state === 'connected' && s.counters.connects > before;
    }, 120_000);
    const bad = await requestApproval('rm -rf /');
    const good = await requestApproval('ls -la /tmp');
    expect(bad.decision).toBe('deny');
    expect(good.decision).toBe('allow-once');
    await until('audit after restart', () => audit().some((r) => r.approvalId === good.id), 10_000);
    expect(audit().filter((r) => r.approvalId === bad.id)).toHaveLength(1);
  }, 400_000);

  it('bridge status prints the connection state, counters and last decisions', async () => {
    const p = edgeclaw(['bridge', 'status', '--data-dir', dataDir]);
    let out = '';
    p.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const code = await new Promise((r) => p.on('exit', r));
    expect(code).toBe(0);
    expect(out).toMatch(/running \(pid \d+\)/);
    expect(out).toMatch(/state\s+connected/);
    expect(out).toMatch(/approvals allowed 2, denied 2/);
    expect(out).toMatch(/tool_call\s+seen 1, allow 0, review 0, block 1/);
    expect(out).toMatch(/prompt\s+seen 1, allow 1/);
    expect(out).toContain('"rm -rf ~"');
  });

  it('a wrong token gives a clear error and exit code 2', async () => {
    const p = edgeclaw(['bridge', '--url', `ws://127.0.0.1:${port}`, '--token', 'wrong-token', '--data-dir', join(dir.path, 'data-bad')]);
    let err = '';
    p.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    const code = await new Promise((r) => p.on('exit', r));
    expect(code).toBe(2);
    expect(err).toMatch(/gateway rejected connect: .*AUTH_TOKEN_MISMATCH/);
  }, 60_000);
});
