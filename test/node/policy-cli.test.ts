// `edgeclaw policy keygen | root | sign | verify | rotate` through the real bin: keys, bundles, every rejection code, a rotation chain.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './server-process.ts';

const BIN = join(ROOT, 'bin/edgeclaw.mjs');
const NOW = '2030-01-01T00:00:00.000Z';
let dir: string;

function policy(...args: string[]) {
  const res = spawnSync(process.execPath, [BIN, 'policy', ...args], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  const last = res.stdout.trim().split('\n').pop() ?? '';
  let json: Record<string, unknown> = {};
  try { json = JSON.parse(last) as Record<string, unknown>; } catch { /* keygen prints a bare key id */ }
  return { status: res.status, stdout: res.stdout, stderr: res.stderr, json };
}
const p = (name: string) => join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgeclaw-policy-'));
  writeFileSync(p('policy.json'), JSON.stringify({ reviewThreshold: 40, blockThreshold: 80 }));
  for (const k of ['a', 'b', 'c', 'x']) expect(policy('keygen', '--out', p(k)).status).toBe(0);
  expect(policy('root', '--pub', p('a.pub'), '--threshold', '1', '--expires', '2031-01-01T00:00:00Z', '--out', p('trust.json')).status).toBe(0);
  expect(policy('root', '--pub', p('a.pub'), '--pub', p('b.pub'), '--threshold', '2', '--expires', '2031-01-01T00:00:00Z', '--out', p('trust2.json')).status).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sign(out: string, keys: string[], version: number, expires = '2030-06-01T00:00:00Z') {
  return policy('sign', '--policy', p('policy.json'), ...keys.flatMap((k) => ['--key', p(`${k}.key`)]), '--version', String(version), '--expires', expires, '--out', p(out), '--now', NOW);
}
function verify(bundle: string, trust = 'trust.json', ...extra: string[]) {
  return policy('verify', '--bundle', p(bundle), '--trust', p(trust), '--now', NOW, ...extra);
}

describe('edgeclaw policy', () => {
  it('keygen writes a 0600 private key and prints the key id of the public key', () => {
    const res = policy('keygen', '--out', p('k'));
    expect(res.status).toBe(0);
    const pub = JSON.parse(readFileSync(p('k.pub'), 'utf8')) as { keyid: string };
    expect(res.stdout.trim()).toBe(pub.keyid);
    expect(pub.keyid).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(p('k.key')).mode & 0o777).toBe(0o600);
    expect(policy('keygen', '--out', p('k')).status).toBe(2); // never overwrites a key
  });

  it('signs a bundle that verify accepts, printing its version and thresholds', () => {
    expect(sign('ok.json', ['a'], 3).status).toBe(0);
    const res = verify('ok.json');
    expect(res.status).toBe(0);
    expect(res.json).toMatchObject({ ok: true, bundleVersion: 3, rootVersion: 1, reviewThreshold: 40, blockThreshold: 80 });
  });

  it('rejects a tampered bundle with TAMPERED', () => {
    sign('t.json', ['a'], 4);
    const env = JSON.parse(readFileSync(p('t.json'), 'utf8')) as { payload: string };
    const body = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8')) as { policy: Record<string, number> };
    body.policy.blockThreshold = 99;
    env.payload = Buffer.from(JSON.stringify(body)).toString('base64');
    writeFileSync(p('t.json'), JSON.stringify(env));
    const res = verify('t.json');
    expect(res.status).toBe(1);
    expect(res.json).toMatchObject({ ok: false, code: 'TAMPERED' });
    expect(res.stderr).toContain('TAMPERED');
  });

  it('rejects a bundle signed by an untrusted key with WRONG_KEY', () => {
    sign('x.json', ['x'], 5);
    expect(verify('x.json').json).toMatchObject({ ok: false, code: 'WRONG_KEY' });
  });

  it('rejects one signature under a 2-of-2 root with BELOW_THRESHOLD and accepts two', () => {
    sign('one.json', ['a'], 5);
    sign('two.json', ['a', 'b'], 5);
    expect(verify('one.json', 'trust2.json')).toMatchObject({ status: 1, json: { code: 'BELOW_THRESHOLD' } });
    expect(verify('two.json', 'trust2.json')).toMatchObject({ status: 0, json: { ok: true } });
  });

  it('rejects an older version with ROLLBACK and an expired bundle with EXPIRED', () => {
    sign('v2.json', ['a'], 2);
    expect(verify('v2.json', 'trust.json', '--last-version', '3').json).toMatchObject({ code: 'ROLLBACK' });
    sign('old.json', ['a'], 9, '2029-12-31T00:00:00Z');
    expect(verify('old.json').json).toMatchObject({ code: 'EXPIRED' });
  });

  it('rotates the root through three keys; only the newest key signs accepted bundles', () => {
    writeFileSync(p('chain.json'), readFileSync(p('trust.json')));
    const r1 = policy('rotate', '--trust', p('chain.json'), '--old', p('a.key'), '--new', p('b.key'), '--threshold', '1', '--expires', '2031-01-01T00:00:00Z', '--out', p('rot1.json'), '--update', '--now', NOW);
    expect(r1).toMatchObject({ status: 0, json: { rootVersion: 2 } });
    const r2 = policy('rotate', '--trust', p('chain.json'), '--old', p('b.key'), '--new', p('c.key'), '--threshold', '1', '--expires', '2031-01-01T00:00:00Z', '--out', p('rot2.json'), '--update', '--now', NOW);
    expect(r2).toMatchObject({ status: 0, json: { rootVersion: 3 } });
    sign('c.json', ['c'], 6);
    expect(verify('c.json', 'chain.json').json).toMatchObject({ ok: true, rootVersion: 3 });
    sign('a.json', ['a'], 7);
    expect(verify('a.json', 'chain.json').json).toMatchObject({ ok: false, code: 'WRONG_KEY' });
  });

  it('refuses a rotation not signed by the current root', () => {
    const res = policy('rotate', '--trust', p('trust.json'), '--old', p('x.key'), '--new', p('c.key'), '--threshold', '1', '--expires', '2031-01-01T00:00:00Z', '--out', p('bad.json'), '--now', NOW);
    expect(res).toMatchObject({ status: 1, json: { code: 'WRONG_KEY' } });
  });

  it('exits 2 with usage on missing flags or an unknown subcommand', () => {
    expect(policy('sign', '--policy', p('policy.json')).status).toBe(2);
    const res = policy('frob');
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('usage: edgeclaw policy');
  });
});
