// Device proof details beyond the contract suite: the legacy v2 payload, signature encodings, and the skew edge.
import { describe, expect, it } from 'vitest';
import { DEVICE_SIGNATURE_SKEW_MS, devicePayload, verifyDeviceProof, type SignedFields } from '../../../src/gateway/device-identity.ts';
import { newDevice } from '../../contract/device-key.ts';

const fields: SignedFields = { clientId: 'cli', clientMode: 'cli', role: 'operator', scopes: ['operator.read'], token: 'T', platform: ' Linux ', deviceFamily: 'Desktop' };

async function sign(key: CryptoKey, payload: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, key, new TextEncoder().encode(payload)));
}

const b64 = (u: Uint8Array) => btoa(String.fromCharCode(...u));
const b64url = (u: Uint8Array) => b64(u).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

describe('device proof', () => {
  it('builds the v3 payload with trimmed, ASCII-lowercased platform metadata', () => {
    expect(devicePayload('v3', 'id', fields, 5, 'n')).toBe('v3|id|cli|cli|operator|operator.read|5|T|n|linux|desktop');
    expect(devicePayload('v2', 'id', { ...fields, token: null }, 5, 'n')).toBe('v2|id|cli|cli|operator|operator.read|5||n');
  });

  it('accepts the legacy v2 payload and standard base64 signatures', async () => {
    const dev = await newDevice();
    const sig = await sign(dev.privateKey, devicePayload('v2', dev.id, fields, 1_000, 'n'));
    for (const signature of [b64url(sig), b64(sig)]) {
      expect(await verifyDeviceProof({ id: dev.id, publicKey: dev.publicKey, signature, signedAt: 1_000, nonce: 'n' }, fields, 'n', 1_000)).toMatchObject({ ok: true, payloadVersion: 'v2' });
    }
  });

  it('accepts a signature exactly at the skew limit and refuses one just past it', async () => {
    const dev = await newDevice();
    const sig = b64url(await sign(dev.privateKey, devicePayload('v3', dev.id, fields, 0, 'n')));
    const proof = { id: dev.id, publicKey: dev.publicKey, signature: sig, signedAt: 0, nonce: 'n' };
    expect((await verifyDeviceProof(proof, fields, 'n', DEVICE_SIGNATURE_SKEW_MS)).ok).toBe(true);
    expect(await verifyDeviceProof(proof, fields, 'n', DEVICE_SIGNATURE_SKEW_MS + 1)).toMatchObject({ ok: false, code: 'DEVICE_AUTH_SIGNATURE_EXPIRED' });
    expect(await verifyDeviceProof({ ...proof, nonce: ' ' }, fields, 'n', 0)).toMatchObject({ ok: false, code: 'DEVICE_AUTH_NONCE_REQUIRED' });
    expect(await verifyDeviceProof({ ...proof, signature: sig.slice(0, 40) }, fields, 'n', 0)).toMatchObject({ ok: false, code: 'DEVICE_AUTH_SIGNATURE_INVALID' });
    expect(await verifyDeviceProof({ ...proof, id: dev.id.toUpperCase() }, fields, 'n', 0)).toMatchObject({ ok: false, code: 'DEVICE_AUTH_DEVICE_ID_MISMATCH' });
  });
});
