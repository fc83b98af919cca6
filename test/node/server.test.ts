// Lifecycle of the real Node server process: zero-config start, bad input at start-up, port and data
// dir conflicts, graceful shutdown, and where state is written.
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runServer, spawnServer, START_ARGS, tempDir, type ServerProcess } from './server-process.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function track(s: Omit<ServerProcess, 'url'>): void {
  cleanups.push(async () => {
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    await s.exited;
  });
}

function temp(): string {
  const d = tempDir();
  cleanups.push(() => d.cleanup());
  return d.path;
}

async function stopGracefully(s: ServerProcess, signal: NodeJS.Signals = 'SIGTERM') {
  s.child.kill(signal);
  return s.exited;
}

describe('node server lifecycle', () => {
  it('starts with no config on 127.0.0.1:18789 with data under ./data, and prints a generated token once', async () => {
    const cwd = temp();
    const { spawn } = await import('node:child_process');
    const start = () => {
      const child = spawn(process.execPath, START_ARGS, { cwd, env: { PATH: process.env.PATH ?? '', HOME: cwd }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      const exited = new Promise<number | string>((r) => child.once('exit', (c, s) => r(c ?? s ?? -1)));
      const proc = { child, exited, stdout: () => out, stderr: () => err };
      track(proc);
      return proc;
    };
    const first = start();
    const ready = async () => {
      for (let i = 0; i < 200; i++) {
        try {
          const res = await fetch('http://127.0.0.1:18789/readyz');
          if (res.status === 200) return res;
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`not ready: ${first.stderr()}`);
    };
    expect(await (await ready()).json()).toEqual({ ready: true });
    expect(await (await fetch('http://127.0.0.1:18789/healthz')).json()).toEqual({ ok: true, status: 'live' });
    const token = /^\s+(ec_[A-Za-z0-9_-]{43})$/m.exec(first.stderr())?.[1];
    expect(token).toBeDefined();
    const tokenFile = join(cwd, 'data', 'secrets', 'gateway-token.json');
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(cwd, 'data')).mode & 0o777).toBe(0o700);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(tokenFile, 'utf8')).not.toContain(token!);
    expect(first.stdout()).not.toContain(token!);
    const authed = await fetch('http://127.0.0.1:18789/sessions', { headers: { authorization: `Bearer ${token}` } });
    expect(authed.status).toBe(200);
    expect(await stopGracefully(first as unknown as ServerProcess)).toBe(0);
    // All state is under ./data; nothing else appears in the working directory.
    expect(readdirSync(cwd)).toEqual(['data']);

    const second = start();
    await ready();
    expect(second.stderr()).not.toMatch(/ec_[A-Za-z0-9_-]{43}/);
    const again = await fetch('http://127.0.0.1:18789/sessions', { headers: { authorization: `Bearer ${token}` } });
    expect(again.status).toBe(200);
    expect(await stopGracefully(second as unknown as ServerProcess)).toBe(0);
  });

  it('stops on SIGTERM and on SIGINT with exit code 0 after draining', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const s = await spawnServer({ PORT: '0', EDGECLAW_DATA_DIR: temp() });
      track(s);
      expect(await stopGracefully(s, signal)).toBe(0);
      expect(s.stdout()).toContain('"msg":"stopped"');
      expect(s.stdout()).toContain('"drained":true');
    }
  });

  it.each([
    [{ PORT: 'abc' }, [], /port \(env PORT\) = "abc": expected an integer port between 0 and 65535/],
    [{ PORT: '70000' }, [], /port \(env PORT\) = "70000": expected an integer port/],
    [{ EDGECLAW_QUEUE_CAP: '0' }, [], /queue\.cap \(env EDGECLAW_QUEUE_CAP\) = "0": expected an integer between 1 and 10000/],
    [{ EDGECLAW_LOG_LEVEL: 'loud' }, [], /logLevel \(env EDGECLAW_LOG_LEVEL\) = "loud"/],
    [{ EDGECLAW_GATEWAY_TOKEN: 'short' }, [], /gateway\.token \(env EDGECLAW_GATEWAY_TOKEN\) = "<redacted>": expected at least 16 characters/],
    [{}, ['--port', 'x'], /port \(flag --port\) = "x"/],
    [{}, ['--bogus'], /Unknown option '--bogus'/],
    [{ EDGECLAW_CONFIG: '/nonexistent/edgeclaw.json5' }, [], /EDGECLAW_CONFIG \(env\) = "\/nonexistent\/edgeclaw.json5": a readable config file \(ENOENT\)/],
  ])('refuses to start with exit code 2 on bad input %#', async (env, args, message) => {
    const s = runServer({ EDGECLAW_DATA_DIR: temp(), ...env }, args);
    track(s);
    expect(await s.exited).toBe(2);
    expect(s.stderr()).toMatch(message);
    expect(s.stderr()).not.toContain('short'); // secrets are not echoed
  });

  it('names each bad key of a config file, with the value and what is expected', async () => {
    const dir = temp();
    const file = join(dir, 'edgeclaw.json5');
    writeFileSync(file, `{ // comments are fine\n port: "eighty", queue: { capp: 3 }, histroy: {} }`);
    const s = runServer({ EDGECLAW_CONFIG: file, EDGECLAW_DATA_DIR: join(dir, 'data') });
    track(s);
    expect(await s.exited).toBe(2);
    expect(s.stderr()).toContain(`port (${file}) = "eighty": expected an integer port between 0 and 65535`);
    expect(s.stderr()).toContain(`queue.capp (${file}): unknown key (allowed: cap, mode, drop, debounceMs, byChannel, maxConcurrent, globalCap, idempotencyCap, idempotencyTtlMs)`);
    expect(s.stderr()).toContain(`histroy (${file}): unknown key (allowed: host, port, dataDir`);
    writeFileSync(file, '{ port: ');
    const t = runServer({ EDGECLAW_CONFIG: file, EDGECLAW_DATA_DIR: join(dir, 'data') });
    track(t);
    expect(await t.exited).toBe(2);
    expect(t.stderr()).toMatch(/valid JSON5: JSON5: invalid end of input at 1:9/);
  });

  it('applies the config file, with env overriding it and flags overriding env', async () => {
    const dir = temp();
    const file = join(dir, 'edgeclaw.json5');
    writeFileSync(file, `{ port: 1, queue: { cap: 2, drop: "new" }, gateway: { token: "file-token-0123456789" } }`);
    const s = await spawnServer({ EDGECLAW_CONFIG: file, EDGECLAW_DATA_DIR: join(dir, 'data'), PORT: '2', EDGECLAW_QUEUE_CAP: '3' }, ['--port', '0']);
    track(s);
    const auth = { authorization: 'Bearer file-token-0123456789', 'content-type': 'application/json' };
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${s.url}/sessions/agent:cfg:main/queue`, { method: 'POST', headers: auth, body: JSON.stringify({ text: `t${i}`, delayMs: 60_000 }) });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([202, 202, 202, 429]);
    expect(existsSyncSafe(join(dir, 'data', 'secrets', 'gateway-token.json'))).toBe(false);
  });

  it('reports a port in use clearly and exits 1', async () => {
    const a = await spawnServer({ PORT: '0', EDGECLAW_DATA_DIR: temp() });
    track(a);
    const port = new URL(a.url).port;
    const b = runServer({ PORT: port, EDGECLAW_DATA_DIR: temp() });
    track(b);
    expect(await b.exited).toBe(1);
    expect(b.stderr()).toContain(`cannot listen on 127.0.0.1:${port}: the port is already in use`);
  });

  it('refuses a second server on the same data dir and exits 1', async () => {
    const dir = temp();
    const a = await spawnServer({ PORT: '0', EDGECLAW_DATA_DIR: dir });
    track(a);
    const b = runServer({ PORT: '0', EDGECLAW_DATA_DIR: dir });
    track(b);
    expect(await b.exited).toBe(1);
    expect(b.stderr()).toContain(`data dir ${dir} is in use by another edgeclaw process`);
    // The first one is unharmed.
    expect((await fetch(`${a.url}/readyz`)).status).toBe(200);
  });

  it('releases the data dir lock when killed with SIGKILL', async () => {
    const dir = temp();
    const a = await spawnServer({ PORT: '0', EDGECLAW_DATA_DIR: dir });
    a.child.kill('SIGKILL');
    await a.exited;
    const b = await spawnServer({ PORT: '0', EDGECLAW_DATA_DIR: dir });
    track(b);
    expect((await fetch(`${b.url}/readyz`)).status).toBe(200);
  });
});

function existsSyncSafe(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
