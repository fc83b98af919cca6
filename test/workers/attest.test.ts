// `defender.attest` on workerd: over the WebSocket and over POST /rpc the gateway signs a statement bound to
// the caller's nonce with a key that stays in GatewayDO storage; the verifier accepts it only with that key.
import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { generateAttestationKey, verifyAttestation } from '../../src/defender/attest.ts';
import { TEST_TOKEN } from '../contract/constants.ts';
import { operatorClient, useWorkersHarness } from './contract-harness.ts';

useWorkersHarness();

async function rpc(params: unknown, token = TEST_TOKEN) {
  return exports.default.fetch(new Request('https://edgeclaw.test/rpc', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'req', id: 'a1', method: 'defender.attest', params }),
  }));
}

describe('defender.attest on workers', () => {
  it('signs the statement with one stable key; the nonce binds it; a reader may ask', async () => {
    const client = await operatorClient(TEST_TOKEN, ['operator.read']);
    const nonce = 'n'.repeat(8) + crypto.randomUUID().replaceAll('-', '');
    const a = (await client.req('defender.attest', { nonce })).payload;
    expect(a.server).toMatchObject({ host: 'workers', sourceHash: 'unbuilt' });
    expect(a.policy).toMatchObject({ bundleVersion: null, sha256: null });
    const check = await verifyAttestation(a.attestation, { key: a.attestation.publicKey, nonce });
    expect(check).toMatchObject({ ok: true, problems: [] });
    expect((await verifyAttestation(a.attestation, { key: a.attestation.keyId, nonce: 'other-nonce-0000000' })).problems).toContain('nonce does not match (replayed attestation?)');
    const other = await generateAttestationKey();
    expect((await verifyAttestation(a.attestation, { key: other.publicKey, nonce })).ok).toBe(false);

    const viaHttp = (await (await rpc({ nonce: 'http-nonce-1234567890' })).json()) as { ok: boolean; payload: { attestation: { keyId: string } } };
    expect(viaHttp.ok).toBe(true);
    expect(viaHttp.payload.attestation.keyId).toBe(a.attestation.keyId);
    client.ws.close(1000);
  });

  it('rejects a missing or short nonce with the field named, and anonymous callers', async () => {
    const bad = (await (await rpc({ nonce: 'short' })).json()) as { ok: boolean; error: { code: string; message: string } };
    expect(bad.ok).toBe(false);
    expect(bad.error.code).toBe('INVALID_REQUEST');
    expect(bad.error.message).toMatch(/nonce/);
    expect((await rpc({ nonce: 'x'.repeat(20) }, 'wrong-token')).status).toBe(401);
  });
});
