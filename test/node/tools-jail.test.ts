// Workspace jail and file tools on a real directory: traversal, absolute paths and symlinks are refused.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileTools } from '../../node-adapter/tools/files.ts';
import { JailError, WorkspaceJail } from '../../node-adapter/tools/jail.ts';
import { createToolHost } from '../../src/tools/host.ts';

let base: string;
let ws: string;
let outside: string;
const ctx = () => ({ signal: new AbortController().signal, callId: 'c' });

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'edgeclaw-jail-'));
  ws = join(base, 'ws');
  outside = join(base, 'outside');
  mkdirSync(join(ws, 'sub'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), 'top secret');
  writeFileSync(join(ws, 'hello.txt'), 'hello world');
  symlinkSync(join(outside, 'secret.txt'), join(ws, 'link-file'));
  symlinkSync(outside, join(ws, 'link-dir'));
  symlinkSync(join(outside, 'not-yet'), join(ws, 'dangling'));
  symlinkSync(join(ws, 'hello.txt'), join(ws, 'inner-link'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('WorkspaceJail', () => {
  it.each(['../outside/secret.txt', 'sub/../../outside/secret.txt', '..', 'sub/../..'])('refuses traversal %s', (p) => {
    expect(() => new WorkspaceJail(ws).resolve(p)).toThrow(/escapes the workspace/);
  });

  it('refuses absolute paths, even ones inside the workspace', () => {
    const jail = new WorkspaceJail(ws);
    expect(() => jail.resolve('/etc/passwd')).toThrow(/absolute paths are not allowed/);
    expect(() => jail.resolve(join(ws, 'hello.txt'))).toThrow(/absolute paths are not allowed/);
  });

  it.each(['link-file', 'link-dir/secret.txt', 'link-dir/new.txt', 'dangling'])('refuses the symlink escape %s', (p) => {
    expect(() => new WorkspaceJail(ws).resolve(p)).toThrow(JailError);
  });

  it('allows normal paths, new files, and symlinks that stay inside', () => {
    const jail = new WorkspaceJail(ws);
    expect(jail.resolve('sub/../hello.txt')).toBe(join(jail.root, 'hello.txt'));
    expect(jail.resolve('sub/new/deep.txt')).toBe(join(jail.root, 'sub/new/deep.txt'));
    expect(jail.resolve('inner-link')).toBe(join(jail.root, 'hello.txt'));
  });
});

describe('file tools', () => {
  const host = () => createToolHost({ tools: createFileTools(ws, { maxReadBytes: 5, maxListEntries: 3 }), capabilities: { exec: false, localFiles: true, host: 'node' } });

  it('reads with a byte cap and tells how to continue', async () => {
    expect(await host().call('read', { path: 'hello.txt' }, ctx())).toEqual({ ok: true, content: 'hello\n[truncated: file has 11 bytes; continue with offset 5]' });
    expect(await host().call('read', { path: 'hello.txt', offset: 6 }, ctx())).toEqual({ ok: true, content: 'world' });
  });

  it('writes and edits inside the workspace', async () => {
    expect(await host().call('write', { path: 'sub/a.txt', content: 'one two' }, ctx())).toEqual({ ok: true, content: 'wrote 7 bytes to sub/a.txt' });
    expect(await host().call('edit', { path: 'sub/a.txt', oldText: 'two', newText: 'three' }, ctx())).toMatchObject({ ok: true });
    expect(readFileSync(join(ws, 'sub/a.txt'), 'utf8')).toBe('one three');
    expect(await host().call('edit', { path: 'sub/a.txt', oldText: 'zzz', newText: '' }, ctx())).toMatchObject({ ok: false, error: { message: 'oldText not found' } });
  });

  it('refuses reads and writes that leave the workspace, touching nothing outside', async () => {
    for (const [tool, args] of [
      ['read', { path: '../outside/secret.txt' }],
      ['read', { path: 'link-file' }],
      ['write', { path: 'link-dir/evil.txt', content: 'x' }],
      ['write', { path: 'dangling', content: 'x' }],
      ['write', { path: '/tmp/evil.txt', content: 'x' }],
      ['list', { path: 'link-dir' }],
    ] as const) {
      expect(await host().call(tool, args, ctx())).toMatchObject({ ok: false, error: { code: 'tool_error' } });
    }
    expect(() => readFileSync(join(outside, 'evil.txt'))).toThrow();
    expect(() => readFileSync(join(outside, 'not-yet'))).toThrow();
  });

  it('lists a directory with an entry cap', async () => {
    expect(await host().call('list', {}, ctx())).toEqual({ ok: true, content: 'dangling@\nhello.txt\ninner-link@\n[truncated: 3 more entries]' });
  });
});
