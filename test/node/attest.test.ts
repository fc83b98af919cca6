// `defender.attest` and `edgeclaw attest verify` against the real Node server: a signed statement of the
// build, the active policy bundle and the settings; after a restart configured with an older bundle the
// remembered newer one stays active (rollback refused) and the signing key is unchanged.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, makeRoot, POLICY_TYPE, signEnvelope } from '../../src/defender/bundle.ts';
import { TEST_TOKEN } from '../contract/constants.ts';
import { runCli } from './cli-run.ts';
import { spawnServer, tempDir, type ServerProcess } from './server-process.ts';

const dir = tempDir('edgeclaw-attest-');
const file = (name: string) => join(dir.path, name);
let server: ServerProcess;
let base: Record<string, string>;

async function restart(bundleFile: string) {
  if (server) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  server = await spawnServer({ ...base, EDGECLAW_POLICY_BUNDLE_FILE: bundleFile });
}
const cli = (...args: string[]) => runCli(['attest', ...args, '--url', server.url.replace('http', 'ws'), '--json'], { EDGECLAW_GATEWAY_TOKEN: TEST_TOKEN });
const sha256 = (path: string, text: string) => (writeFileSync(path, text), createHash('sha256').update(text).digest('hex'));

beforeAll(async () => {
  const key = await generateSigningKey();
  writeFileSync(file('trust.json'), JSON.stringify({ root: makeRoot(1, '2099-01-01T00:00:00Z', 1, [key]), rotations: [] }));
  for (const [v, block] of [[1, 90], [2, 60]] as const) {
    const env = await signEnvelope(POLICY_TYPE, { bundleVersion: v, issuedAt: '2026-01-01T00:00:00Z', expiresAt: '2099-01-01T00:00:00Z', policyId: `p${v}`, policy: { blockThreshold: block } }, [key]);
    writeFileSync(file(`v${v}.json`), JSON.stringify(env));
  }
  base = { PORT: '0', EDGECLAW_DATA_DIR: file('data'), EDGECLAW_GATEWAY_TOKEN: TEST_TOKEN, EDGECLAW_POLICY_TRUST_FILE: file('trust.json') };
  await restart(file('v2.json'));
});

afterAll(async () => {
  server.child.kill('SIGTERM');
  await server.exited;
  dir.cleanup();
});

describe('attestation (node)', () => {
  let pinned = '';

  it('signs what runs: build source hash, the active bundle and a settings hash, bound to the nonce', async () => {
    const res = await cli();
    expect(res.code, res.stderr).toBe(0);
    const att = JSON.parse(res.stdout) as Record<string, any>;
    expect(att.server.sourceHash).toMatch(/^[0-9a-f]{64}$/);
    expect(att.server.host).toBe('node');
    expect(att.policy).toMatchObject({ bundleVersion: 2, policyId: 'p2', rootVersion: 1, error: null });
    expect(att.policy.sha256).toBe(createHash('sha256').update(await import('node:fs').then((f) => f.readFileSync(file('v2.json'), 'utf8'))).digest('hex'));
    expect(att.configHash).toMatch(/^[0-9a-f]{64}$/);
    expect(att.attestation.payload).not.toContain(TEST_TOKEN);
    pinned = att.attestation.publicKey;
  });

  it('verify passes with the pinned key and the expected build and bundle, and names each failed check', async () => {
    const ok = await cli('verify', '--key', pinned, '--expect-build', 'local', '--expect-policy', file('v2.json'));
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, problems: [], unchecked: ['config'] });

    const wrongPolicy = await cli('verify', '--key', pinned, '--expect-policy', file('v1.json'));
    expect(wrongPolicy.code).toBe(1);
    expect(JSON.parse(wrongPolicy.stdout).problems.join('\n')).toMatch(/active policy bundle .* is not the expected/);

    const other = await generateSigningKey();
    const wrongKey = await cli('verify', '--key', other.publicKey, '--expect-build', '0'.repeat(64));
    expect(wrongKey.code).toBe(1);
    const problems = JSON.parse(wrongKey.stdout).problems.join('\n');
    expect(problems).toMatch(/not the pinned key/);
    expect(problems).toMatch(/build .* is not the expected/);

    const noKey = await cli('verify');
    expect(noKey.code).toBe(2);
  });

  it('a saved attestation verifies offline; a tampered one does not', async () => {
    const saved = file('att.json');
    expect((await runCli(['attest', '--out', saved, '--url', server.url.replace('http', 'ws')], { EDGECLAW_GATEWAY_TOKEN: TEST_TOKEN })).code).toBe(0);
    expect((await cli('verify', '--key', pinned, '--file', saved)).code).toBe(0);
    const att = JSON.parse(await import('node:fs').then((f) => f.readFileSync(saved, 'utf8'))) as { payload: string };
    att.payload = att.payload.replace('"bundleVersion":2', '"bundleVersion":3');
    writeFileSync(file('tampered.json'), JSON.stringify(att));
    const bad = await cli('verify', '--key', pinned, '--file', file('tampered.json'));
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).problems).toContain('signature does not verify');
  });

  it('after a restart with an older bundle, the remembered newer bundle stays active and the key is the same', async () => {
    await restart(file('v1.json'));
    const res = await cli('verify', '--key', pinned, '--expect-policy', file('v2.json'));
    expect(res.code, res.stdout).toBe(0);
    const payload = JSON.parse(res.stdout).payload as Record<string, any>;
    expect(payload.policy).toMatchObject({ bundleVersion: 2, policyId: 'p2' });
    expect(payload.policy.error).toMatch(/^ROLLBACK: bundle version 1 is not newer than 2/);
  });
});
