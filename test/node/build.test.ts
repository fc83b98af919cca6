// The three ways the same code ships: source with the module hook, the self-contained Node bundle, and
// the Worker bundle from wrangler (offline dry run).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listening, ROOT, spawnProcess, tempDir } from './server-process.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Starts `args` with PORT=0 in `cwd`, returns /readyz status, then SIGTERMs it and returns the exit code. */
async function startAndProbe(args: string[], cwd: string): Promise<{ ready: number; exit: number | string }> {
  const data = tempDir();
  cleanups.push(() => data.cleanup());
  const proc = spawnProcess(process.execPath, args, { cwd, env: { PATH: process.env.PATH ?? '', PORT: '0', EDGECLAW_DATA_DIR: data.path, EDGECLAW_GATEWAY_TOKEN: 'build-test-token-0123456789' } });
  cleanups.push(async () => {
    if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
    await proc.exited;
  });
  const { url } = await listening(proc);
  const ready = (await fetch(`${url}/readyz`)).status;
  proc.child.kill('SIGTERM');
  return { ready, exit: await proc.exited };
}

describe('build outputs', () => {
  it('runs from source, with cloudflare:workers resolved by the module hook', async () => {
    const result = await startAndProbe(['--disable-warning=ExperimentalWarning', '--import', './node-adapter/register.mjs', 'node-adapter/main.ts'], ROOT);
    expect(result).toEqual({ ready: 200, exit: 0 });
  });

  it('runs the Node bundle (dist/node: entries + chunks) on its own, with no node_modules next to it', async () => {
    const dir = tempDir();
    cleanups.push(() => dir.cleanup());
    cpSync(join(ROOT, 'dist/node'), dir.path, { recursive: true });
    expect(existsSync(join(dir.path, 'node_modules'))).toBe(false);
    expect(await startAndProbe(['server.mjs'], dir.path)).toEqual({ ready: 200, exit: 0 });
  });

  it('builds the Worker bundle with wrangler offline (deploy --dry-run)', () => {
    const out = tempDir();
    cleanups.push(() => out.cleanup());
    const res = spawnSync(join(ROOT, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--outdir', out.path], {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
      encoding: 'utf8',
    });
    expect(res.status, res.stderr).toBe(0);
    expect(statSync(join(out.path, 'worker.js')).size).toBeGreaterThan(10_000);
    expect(res.stdout).toContain('env.SESSIONS (SessionDO)');
  });
});
