/** Starts the real Node server (`node-adapter/main.ts`) as a child process, as `npm start` does. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { TEST_TOKEN } from '../contract/constants.ts';
import { connectOperator } from '../contract/harness.ts';
import { FrameClient, type WsLike } from '../contract/ws-client.ts';

/** Project root. */
export const ROOT = join(import.meta.dirname, '..', '..');
/** What `npm start` runs (the bundle is rebuilt from source by test/node/global-setup.ts). */
export const START_ARGS = [join(ROOT, 'dist/node/server.mjs')];

/** A server child with its collected output. */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or signal name) once the process ended. */
  exited: Promise<number | string>;
}

/** A fresh temporary directory, removed by `cleanup`. */
export function tempDir(prefix = 'edgeclaw-'): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** Spawns the server and waits for its `listening` log line (or its exit). */
export function spawnServer(env: Record<string, string>, args: string[] = []): Promise<ServerProcess> {
  return listening(runServer(env, args));
}

/** Spawns the server without waiting (for start-up failure tests). */
export function runServer(env: Record<string, string>, args: string[] = []): Omit<ServerProcess, 'url'> {
  // Scheduling suites run with the agent paused (record-only); agent suites pass EDGECLAW_AGENT_RUNNER=model.
  return spawnProcess(process.execPath, [...START_ARGS, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', EDGECLAW_AGENT_RUNNER: 'record', ...env } });
}

/**
 * Spawns `command` with exactly `env` (nothing inherited) in `cwd`, collecting its output.
 * @example const proc = spawnProcess(join(app, 'bin/edgeclaw'), ['start'], { cwd: app, env: { PORT: '0' } })
 */
export function spawnProcess(command: string, args: string[], opts: { cwd: string; env: Record<string, string> }): Omit<ServerProcess, 'url'> {
  const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/**
 * Waits for a spawned server's `listening` log line and adds its URL; rejects, with its output, when it
 * exits first.
 * @example const { url } = await listening(spawnProcess(process.execPath, ['server.mjs'], { cwd, env }))
 */
export function listening(proc: Omit<ServerProcess, 'url'>): Promise<ServerProcess> {
  return new Promise<ServerProcess>((resolve, reject) => {
    const onData = () => {
      for (const line of proc.stdout().split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const rec = JSON.parse(line) as { msg?: string; url?: string };
          if (rec.msg === 'listening' && rec.url) return resolve({ ...proc, url: rec.url });
        } catch {
          // partial line; wait for more
        }
      }
    };
    proc.child.stdout!.on('data', onData);
    void proc.exited.then((code) => reject(new Error(`server exited (${code}) before listening:\n${proc.stderr()}\n${proc.stdout()}`)));
  });
}

/**
 * Kills `server` with SIGKILL (no shutdown hooks run), waits for it to exit and starts it again with `env`
 * on the same data dir: what a crash and a supervisor restart look like.
 * @example server = await killAndRestart(server, serverEnv)
 */
export async function killAndRestart(server: ServerProcess, env: Record<string, string>, args: string[] = []): Promise<ServerProcess> {
  server.child.kill('SIGKILL');
  await server.exited;
  return spawnServer(env, args);
}

/**
 * A server that clients keep calling while it is crashed and restarted: {@link CrashingServer.ready}
 * waits out a restart in progress, so a caller never reads the URL of a dead process.
 * @example const srv = new CrashingServer(env); await srv.start(); await srv.crash(); await srv.stop()
 */
export class CrashingServer {
  #server: ServerProcess | null = null;
  #restarting: Promise<void> | null = null;

  readonly env: Record<string, string>;

  constructor(env: Record<string, string>) {
    this.env = env;
  }

  /** Spawns the server. */
  async start(): Promise<void> {
    this.#server = await spawnServer(this.env);
  }

  /** The running server's URL (after {@link CrashingServer.ready}). */
  get url(): string {
    if (!this.#server) throw new Error('server not started');
    return this.#server.url;
  }

  /** Resolves once no restart is in progress. */
  async ready(): Promise<void> {
    while (this.#restarting) await this.#restarting;
  }

  /** SIGKILLs the server and starts it again; callers awaiting {@link CrashingServer.ready} wait for it. */
  async crash(): Promise<void> {
    await this.ready();
    let done!: () => void;
    this.#restarting = new Promise<void>((r) => (done = r));
    try {
      this.#server = await killAndRestart(this.#server!, this.env);
    } finally {
      this.#restarting = null;
      done();
    }
  }

  /** SIGKILLs the server (if started) and waits for it to exit. */
  async stop(): Promise<void> {
    this.#server?.child.kill('SIGKILL');
    await this.#server?.exited;
  }
}

/**
 * Opens a WebSocket to the server's gateway (`/`), from `remote` when given (as the trusted local proxy's
 * X-Forwarded-For), and resolves once it is open.
 * @example const client = await openGateway(server.url, '203.0.113.5')
 */
export async function openGateway(url: string, remote?: string): Promise<FrameClient> {
  const ws = new WebSocket(url.replace('http', 'ws') + '/', { headers: remote ? { 'x-forwarded-for': remote } : {} });
  const client = new FrameClient(ws as unknown as WsLike);
  await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)));
  return client;
}

/**
 * A gateway client connected as an operator with `token`, narrowed to `scopes` when given.
 * @example const admin = await operatorClient(server.url, TEST_TOKEN, ['operator.admin'])
 */
export async function operatorClient(url: string, token: string, scopes?: string[]): Promise<FrameClient> {
  return connectOperator(await openGateway(url), token, scopes);
}

/**
 * Stops the server gracefully (SIGTERM) and waits for it to exit; a server never started is skipped.
 * @example afterAll(() => stopServer(server))
 */
export async function stopServer(server: ServerProcess | undefined): Promise<void> {
  if (!server) return;
  server.child.kill('SIGTERM');
  await server.exited;
}

/**
 * Env of a server on `dir` (data in `dir/data`, loopback port 0, the test token) whose agent answers through
 * models (EDGECLAW_AGENT_RUNNER=model), with `config` written to `dir/edgeclaw.json5` as its config file.
 * @example server = await spawnServer(agentServerEnv(dir.path, { models: agentModelsConfig(`${provider.url}/v1`) }))
 */
export function agentServerEnv(dir: string, config: Record<string, unknown>, extra: Record<string, string> = {}): Record<string, string> {
  const path = join(dir, 'edgeclaw.json5');
  writeFileSync(path, JSON.stringify(config));
  return { PORT: '0', EDGECLAW_DATA_DIR: join(dir, 'data'), EDGECLAW_GATEWAY_TOKEN: TEST_TOKEN, EDGECLAW_CONFIG: path, EDGECLAW_AGENT_RUNNER: 'model', ...extra };
}
