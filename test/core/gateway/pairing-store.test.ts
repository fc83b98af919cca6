// PairingStore and DeviceGate over real SQLite: TTL expiry, the pending cap, the paired cap, tokens kept
// only as digests, and the pairing decisions (reasons, auto-approval bounds, token shown once).
import { describe, expect, it } from 'vitest';
import { DeviceGate } from '../../../src/gateway/device-gate.ts';
import { deviceIdOf, normalizePublicKey, verifyDeviceProof } from '../../../src/gateway/device-identity.ts';
import { missingApproverScope, PairingStore, type PairingRequest } from '../../../src/gateway/pairing-store.ts';
import { NodeSqlStorage } from '../../../node-adapter/sql-storage.ts';
import { openDatabase } from '../../../node-adapter/sqlite.ts';
import { newDevice, signConnect } from '../../contract/device-key.ts';

const LIMITS = { maxPending: 2, pendingTtlMs: 1_000, maxPaired: 2 };

function setup(limits = LIMITS) {
  const sql = new NodeSqlStorage(openDatabase(':memory:'));
  const store = new PairingStore(sql, limits);
  store.migrate();
  return { sql, store };
}

const client = { clientId: 'cli', clientMode: 'cli' };
const ask = (deviceId: string, scopes: PairingRequest['scopes'] = ['operator.read']) => ({ deviceId, publicKey: `pk-${deviceId}`, role: 'operator' as const, scopes, reason: 'not-paired' as const, client });

describe('pairing store', () => {
  it('drops a pending request after its TTL and reports it once', () => {
    const { store } = setup();
    const r = store.request(ask('a'), 0);
    expect(r.status).toBe('created');
    expect(store.listPending(999)).toHaveLength(1);
    expect(store.listPending(1_000)).toHaveLength(0);
    expect(store.expire(1_000).map((x) => x.deviceId)).toEqual(['a']);
    expect(store.expire(2_000)).toEqual([]);
  });

  it('refuses a new device at the pending cap until the oldest expires; the same device reuses or supersedes its request', () => {
    const { store } = setup();
    store.request(ask('a'), 0);
    store.request(ask('b'), 100);
    expect(store.request(ask('c'), 400)).toEqual({ status: 'full', retryAfterMs: 600 });
    expect(store.request(ask('a'), 500).status).toBe('existing');
    const changed = store.request(ask('a', ['operator.write']), 500);
    expect(changed).toMatchObject({ status: 'created', superseded: { deviceId: 'a', scopes: ['operator.read'] } });
    expect(store.listPending(500)).toHaveLength(2);
    expect(store.request(ask('c'), 1_100).status).toBe('created');
  });

  it('refuses approvals past the paired cap, and keeps tokens only as digests', async () => {
    const { sql, store } = setup();
    for (const id of ['a', 'b']) {
      const r = store.request(ask(id), 0);
      if (r.status !== 'created') throw new Error('expected a request');
      expect(store.approve(r.request, 'op', 0)).toMatchObject({ deviceId: id });
    }
    const third = store.request(ask('c'), 0);
    if (third.status !== 'created') throw new Error('expected a request');
    expect(store.approve(third.request, 'op', 0)).toEqual({ status: 'full' });
    const issued = await store.issueToken('a', 'operator', 5);
    expect(issued?.token).toMatch(/^ecdt_/);
    const dump = JSON.stringify(sql.exec('SELECT * FROM device_grants').toArray());
    expect(dump).not.toContain(issued!.token);
    expect(await store.checkToken('a', 'operator', issued!.token)).toMatchObject({ role: 'operator', token: { state: 'active' } });
    expect(await store.checkToken('b', 'operator', issued!.token)).toBeNull();
    expect(await store.checkToken('a', 'node', issued!.token)).toBeNull();
    store.revokeToken('a', 'operator', 6);
    expect(await store.checkToken('a', 'operator', issued!.token)).toBeNull();
  });

  it('asks approvers for every requested scope, and for write/admin when a node declares commands', () => {
    const node = { role: 'node' as const, scopes: [], client: { ...client, commands: ['camera.snap'] } };
    expect(missingApproverScope(node, ['operator.pairing'])).toBe('operator.write');
    expect(missingApproverScope({ ...node, client: { ...client, commands: ['system.run'] } }, ['operator.pairing', 'operator.write'])).toBe('operator.admin');
    expect(missingApproverScope({ role: 'node', scopes: [], client }, ['operator.pairing'])).toBeNull();
    expect(missingApproverScope({ role: 'operator', scopes: ['operator.read'], client }, ['operator.write'])).toBeNull();
  });
});

describe('device gate', () => {
  async function verified() {
    const dev = await newDevice();
    const nonce = 'n-1';
    const signature = await signConnect(dev, { role: 'operator', scopes: ['operator.read'], token: 't', nonce, signedAt: 1_000 });
    const proof = await verifyDeviceProof({ id: dev.id, publicKey: dev.publicKey, signature, signedAt: 1_000, nonce }, { clientId: 'cli', clientMode: 'cli', role: 'operator', scopes: ['operator.read'], token: 't', platform: 'linux' }, nonce, 1_000);
    if (!proof.ok) throw new Error(proof.code);
    return proof;
  }

  it('auto-approves only direct local shared auth, only within the credential, and shows the token once', async () => {
    const { store } = setup({ maxPending: 10, pendingTtlMs: 1_000, maxPaired: 10 });
    const events: string[] = [];
    const ids: unknown[] = [];
    const gate = new DeviceGate(store, { autoApproveLocal: true, announce: (e, p) => (events.push(e), ids.push((p as { requestId: string }).requestId)) });
    const device = await verified();
    const base = { device, role: 'operator' as const, authMethod: 'token' as const, client, now: 1_000 };
    expect(await gate.admit({ ...base, wanted: ['operator.read'], credentialScopes: ['operator.read'], directLocal: false })).toMatchObject({ kind: 'pairing-required', reason: 'not-paired' });
    const local = await gate.admit({ ...base, wanted: ['operator.read'], credentialScopes: ['operator.read'], directLocal: true });
    expect(local).toMatchObject({ kind: 'ok', scopes: ['operator.read'], deviceToken: expect.stringMatching(/^ecdt_/) });
    expect(await gate.admit({ ...base, wanted: ['operator.read'], credentialScopes: ['operator.read'], directLocal: true })).toEqual({ kind: 'ok', scopes: ['operator.read'] });
    // Naming no scopes: a paired device gets its grant, even with a wider credential.
    expect(await gate.admit({ ...base, wanted: undefined, credentialScopes: ['operator.admin', 'operator.read'], directLocal: false })).toEqual({ kind: 'ok', scopes: ['operator.read'] });
    // More than the credential holds is never auto-approved: it waits for an operator.
    expect(await gate.admit({ ...base, wanted: ['operator.admin'], credentialScopes: ['operator.read'], directLocal: true })).toMatchObject({ kind: 'pairing-required', reason: 'scope-upgrade', approvedScopes: ['operator.read'] });
    expect(await gate.admit({ ...base, role: 'node', wanted: [], credentialScopes: [], directLocal: false })).toMatchObject({ kind: 'pairing-required', reason: 'role-upgrade' });
    expect(events).toEqual(['device.pair.requested', 'device.pair.resolved', 'device.pair.requested', 'device.pair.requested', 'node.pair.requested']);
    // The auto-approval resolves the request the device had left pending, under its id.
    expect(ids[1]).toBe(ids[0]);
  });

  it('normalises PEM, base64 and base64url keys to one device id', async () => {
    const dev = await newDevice();
    for (const form of [dev.publicKey, dev.publicKeyB64, dev.publicKeyPem]) {
      expect(normalizePublicKey(form)).toBe(dev.publicKey);
      expect(await deviceIdOf(form)).toBe(dev.id);
    }
    expect(normalizePublicKey('AAAA')).toBeNull();
    expect(normalizePublicKey('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----')).toBeNull();
  });
});
