// The exec tool on a real shell: workspace cwd, exit codes, output cap, timeout and abort kill the group.
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createExecTool } from '../../node-adapter/tools/exec.ts';
import { createToolHost } from '../../src/tools/host.ts';

let ws: string;
const NODE = { exec: true, localFiles: true, host: 'node' } as const;
beforeAll(() => {
  ws = mkdtempSync(join(tmpdir(), 'edgeclaw-exec-'));
  mkdirSync(join(ws, 'sub'));
});
afterAll(() => rmSync(ws, { recursive: true, force: true }));

const host = (limits = {}) => createToolHost({ tools: [createExecTool(ws, limits)], capabilities: NODE });
const ctx = (signal = new AbortController().signal) => ({ signal, callId: 'c' });

/** Running (a zombie awaiting its reaper counts as dead: it was killed). */
function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('exec tool', () => {
  it('runs in the workspace and reports the exit code with combined output', async () => {
    expect(await host().call('exec', { command: 'pwd; echo err >&2; exit 3' }, ctx())).toEqual({ ok: true, content: `exit code 3\n${realpathSync(ws)}\nerr\n` });
    expect(await host().call('exec', { command: 'pwd', cwd: 'sub' }, ctx())).toMatchObject({ content: expect.stringContaining(`${realpathSync(ws)}/sub`) });
  });

  it('refuses a cwd outside the workspace', async () => {
    expect(await host().call('exec', { command: 'pwd', cwd: '../' }, ctx())).toMatchObject({ ok: false, error: { message: expect.stringMatching(/escapes the workspace/) } });
  });

  it('does not pass provider keys or other env vars to commands', async () => {
    process.env.OPENAI_API_KEY = 'sk-should-not-leak';
    try {
      const out = await host().call('exec', { command: 'env' }, ctx());
      expect(out.ok && out.content).not.toContain('sk-should-not-leak');
    } finally {
      delete process.env.OPENAI_API_KEY;
    }
  });

  it('caps output and counts what it dropped', async () => {
    const out = await host({ maxOutputBytes: 10 }).call('exec', { command: 'printf 0123456789abcdef' }, ctx());
    expect(out).toEqual({ ok: true, content: 'exit code 0\n0123456789\n[truncated: 6 more bytes of output]' });
  });

  it('kills the whole process group on timeout', async () => {
    const out = await host().call('exec', { command: 'sleep 30 & echo $!; wait', timeoutMs: 200 }, ctx());
    expect(out.ok && out.content).toMatch(/^timed out after 200 ms \(killed\)/);
    const grandchild = Number(out.ok && out.content.split('\n')[1]);
    expect(grandchild).toBeGreaterThan(0);
    await vi.waitFor(() => expect(alive(grandchild)).toBe(false));
  });

  it('kills the process group when the turn is aborted', async () => {
    const ctrl = new AbortController();
    const pending = host().call('exec', { command: 'echo started; sleep 30' }, ctx(ctrl.signal));
    setTimeout(() => ctrl.abort(), 50);
    expect(await pending).toMatchObject({ ok: false, error: { code: 'aborted' } });
  });
});
