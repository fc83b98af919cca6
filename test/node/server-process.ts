/** Starts the real Node server (`node-adapter/main.ts`) as a child process, as `npm start` does. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
export async function spawnServer(env: Record<string, string>, args: string[] = []): Promise<ServerProcess> {
  const result = runServer(env, args);
  const url = await new Promise<string>((resolve, reject) => {
    const onData = () => {
      for (const line of result.stdout().split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const rec = JSON.parse(line) as { msg?: string; url?: string };
          if (rec.msg === 'listening' && rec.url) return resolve(rec.url);
        } catch {
          // partial line; wait for more
        }
      }
    };
    result.child.stdout!.on('data', onData);
    void result.exited.then((code) => reject(new Error(`server exited (${code}) before listening:\n${result.stderr()}\n${result.stdout()}`)));
  });
  return { ...result, url };
}

/** Spawns the server without waiting (for start-up failure tests). */
export function runServer(env: Record<string, string>, args: string[] = []): Omit<ServerProcess, 'url'> {
  const child = spawn(process.execPath, [...START_ARGS, ...args], {
    cwd: ROOT,
    // Scheduling suites run with the agent paused (record-only); agent suites pass EDGECLAW_AGENT_RUNNER=model.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', EDGECLAW_AGENT_RUNNER: 'record', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return { child, stdout: () => out, stderr: () => err, exited };
}
