/**
 * Device identity, pairing and per-device tokens, run against both hosts with a real WebSocket client and
 * Ed25519 keys made in the test: signed connects, PAIRING_REQUIRED → approve → device token, proof
 * failures, rotation and revocation (open sockets closed), scope escalation, the pending cap, and nodes.
 */
import { describe, expect, it } from 'vitest';
import { connectOperator } from './harness.ts';
import { connectParams, FrameClient, type Frame } from './ws-client.ts';
import { NODE_TOKEN, READ_TOKEN, TEST_PAIRING_MAX_PENDING, TEST_TOKEN } from './constants.ts';
import { newDevice, signConnect, type TestDevice } from './device-key.ts';

/** What a host must offer the devices suite. */
export interface DevicesHarness {
  /** Opens a WebSocket to `/`; with `remote` the connect comes through a proxy (never direct loopback). */
  open(remote?: string): Promise<FrameClient>;
  /** Sends an HTTP request to the app (path relative to its origin). */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Loses every in-memory instance, keeping storage (only where the host can do it without disturbing others). */
  restart?(): Promise<void>;
}

/** Host facts the suite branches on (declared, not sniffed). */
export interface DevicesHostFacts {
  /** A connect opened without `remote` is direct loopback (Node); Workers never see one. */
  directLocal: boolean;
  /** The host can restart without disturbing other test files. */
  restartable: boolean;
}

let remoteCounter = 0;
/** A fresh client address per connect, so auth failures in one test never lock out another. */
const nextRemote = () => `203.0.113.${(remoteCounter++ % 250) + 1}`;

interface ConnectOpts {
  auth: Record<string, string>;
  role?: 'operator' | 'node';
  scopes?: string[];
  /** Open without a proxy header (direct loopback where the host has it). */
  local?: boolean;
  caps?: string[];
  commands?: string[];
  tamper?: { nonce?: string; signedAt?: number; id?: string; publicKey?: string; signWith?: TestDevice; signScopes?: string[] };
}

async function connectDevice(h: DevicesHarness, dev: TestDevice, o: ConnectOpts): Promise<{ client: FrameClient; res: Frame }> {
  const client = await h.open(o.local ? undefined : nextRemote());
  const challenge = await client.next((f) => f.event === 'connect.challenge');
  const role = o.role ?? 'operator';
  const scopes = o.scopes ?? (role === 'node' ? [] : ['operator.read']);
  const nonce = o.tamper?.nonce ?? challenge.payload.nonce;
  const signedAt = o.tamper?.signedAt ?? challenge.payload.ts;
  const clientInfo = role === 'node' ? { id: 'node-host', version: '2026.9.6', platform: 'linux', mode: 'node', displayName: 'test node' } : undefined;
  const signature = await signConnect(o.tamper?.signWith ?? dev, {
    role,
    scopes: o.tamper?.signScopes ?? scopes,
    token: o.auth.token ?? o.auth.deviceToken ?? '',
    nonce,
    signedAt,
    ...(clientInfo ? { clientId: clientInfo.id, clientMode: clientInfo.mode } : {}),
  });
  const params = connectParams(o.auth, scopes, {
    role,
    ...(clientInfo ? { client: clientInfo } : {}),
    ...(o.caps ? { caps: o.caps } : {}),
    ...(o.commands ? { commands: o.commands } : {}),
    device: { id: o.tamper?.id ?? dev.id, publicKey: o.tamper?.publicKey ?? dev.publicKey, signature, signedAt, nonce },
  });
  return { client, res: await client.req('connect', params) };
}

/** A device-less operator connect with the admin token narrowed to `scopes` (all when omitted). */
async function operator(h: DevicesHarness, scopes?: string[]): Promise<FrameClient> {
  return connectOperator(await h.open(nextRemote()), TEST_TOKEN, scopes);
}

/** Pairs `dev` for `scopes` through an approval by `admin`; returns the device token from hello-ok. */
async function pair(h: DevicesHarness, admin: FrameClient, dev: TestDevice, scopes: string[]): Promise<string> {
  const first = await connectDevice(h, dev, { auth: { token: TEST_TOKEN }, scopes });
  expect(first.res.error?.details?.code, JSON.stringify(first.res)).toBe('PAIRING_REQUIRED');
  const approved = await admin.req('device.pair.approve', { requestId: first.res.error.details.requestId });
  expect(approved.ok, JSON.stringify(approved.error)).toBe(true);
  const again = await connectDevice(h, dev, { auth: { token: TEST_TOKEN }, scopes });
  expect(again.res.ok, JSON.stringify(again.res.error)).toBe(true);
  again.client.ws.close(1000);
  return again.res.payload.auth.deviceToken as string;
}

/** Rejects every pending request (tests share one gateway). */
async function clearPending(admin: FrameClient): Promise<void> {
  const list = await admin.req('device.pair.list', {});
  for (const r of list.payload.pending as { requestId: string }[]) await admin.req('device.pair.reject', { requestId: r.requestId });
}

/** Registers the suite. */
export function describeDevices(host: string, harness: () => DevicesHarness, facts: DevicesHostFacts): void {
  describe(`devices contract (${host})`, () => {
    it('pairs a new device: PAIRING_REQUIRED, events to pairing holders only, approval, then the device token works alone', async () => {
      const h = harness();
      const admin = await operator(h);
      const watcher = await operator(h, ['operator.pairing']);
      const reader = await operator(h, ['operator.read']);
      const dev = await newDevice();
      const first = await connectDevice(h, dev, { auth: { token: TEST_TOKEN }, scopes: ['operator.read', 'operator.write'] });
      expect(first.res.ok).toBe(false);
      expect(first.res.error).toMatchObject({
        code: 'NOT_PAIRED',
        message: 'pairing required: device is not approved yet',
        details: { code: 'PAIRING_REQUIRED', reason: 'not-paired', deviceId: dev.id, requestedRole: 'operator', requestedScopes: ['operator.read', 'operator.write'] },
      });
      const requestId = first.res.error.details.requestId as string;
      expect((await first.client.closed()).code).toBe(1008);
      const requested = await watcher.next((f) => f.event === 'device.pair.requested' && f.payload.deviceId === dev.id);
      expect(requested.payload).toMatchObject({ requestId, role: 'operator', scopes: ['operator.read', 'operator.write'], reason: 'not-paired', clientId: 'cli' });
      // Asking again while pending reuses the request.
      const again = await connectDevice(h, dev, { auth: { token: TEST_TOKEN }, scopes: ['operator.read', 'operator.write'] });
      expect(again.res.error.details.requestId).toBe(requestId);
      const listed = await watcher.req('device.pair.list', {});
      expect(listed.payload.pending.filter((r: { deviceId: string }) => r.deviceId === dev.id)).toHaveLength(1);
      // A pairing-only operator cannot grant scopes it does not hold.
      const denied = await watcher.req('device.pair.approve', { requestId });
      expect(denied.error).toMatchObject({ code: 'FORBIDDEN', message: 'missing scope: operator.read', details: { code: 'MISSING_SCOPE', missingScope: 'operator.read' } });
      const approved = await admin.req('device.pair.approve', { requestId });
      expect(approved.payload).toMatchObject({ requestId, device: { deviceId: dev.id, roles: ['operator'], grants: [{ role: 'operator', scopes: ['operator.read', 'operator.write'], token: { state: 'none' } }] } });
      expect(JSON.stringify(approved.payload)).not.toMatch(/ecdt_|token_hash/);
      expect((await watcher.next((f) => f.event === 'device.pair.resolved' && f.payload.requestId === requestId)).payload).toMatchObject({ deviceId: dev.id, decision: 'approved' });
      // The reader (no operator.pairing) got none of the pairing events; its own response comes after them.
      await reader.req('health', {});
      await expect(reader.next((f) => String(f.event).startsWith('device.pair.'), 0)).rejects.toThrow(/timed out/);

      const paired = await connectDevice(h, dev, { auth: { token: TEST_TOKEN }, scopes: ['operator.read', 'operator.write'] });
      expect(paired.res.payload.auth).toMatchObject({ role: 'operator', scopes: ['operator.read', 'operator.write'], method: 'token', deviceToken: expect.stringMatching(/^ecdt_[A-Za-z0-9_-]{43}$/) });
      const token = paired.res.payload.auth.deviceToken as string;
      // Shown once: the next shared-auth connect gets no token.
      const later = await connectDevice(h, dev, { auth: { token: TEST_TOKEN }, scopes: ['operator.read'] });
      expect(later.res.payload.auth.deviceToken).toBeUndefined();
      for (const auth of [{ deviceToken: token }, { token }] as Record<string, string>[]) {
        const byToken = await connectDevice(h, dev, { auth, scopes: ['operator.read'] });
        expect(byToken.res.payload.auth).toEqual({ role: 'operator', scopes: ['operator.read'], method: 'device-token' });
        expect((await byToken.client.req('health', {})).ok).toBe(true);
        expect((await byToken.client.req('sessions.reset', { key: 'agent:main:x' })).error).toMatchObject({ code: 'FORBIDDEN' });
        byToken.client.ws.close(1000);
      }
      // A device token is not a bearer token: without the device's signature it is just a wrong shared token.
      const bare = await h.open(nextRemote());
      await bare.next();
      expect((await bare.req('connect', connectParams({ deviceToken: token }, ['operator.read']))).error.details.code).toBe('AUTH_TOKEN_MISMATCH');
      // Another key presenting it fails too.
      const thief = await connectDevice(h, await newDevice(), { auth: { deviceToken: token } });
      expect(thief.res.error.details).toMatchObject({ code: 'AUTH_DEVICE_TOKEN_MISMATCH' });
      expect((await thief.client.closed()).code).toBe(1008);
      const presence = await admin.req('system-presence', {});
      expect(presence.payload.some((p: { deviceId?: string }) => p.deviceId === dev.id)).toBe(true);
      for (const c of [paired.client, later.client, admin, watcher, reader]) c.ws.close(1000);
    });

    it('refuses bad device proofs with the reference detail codes and close 1008', async () => {
      const h = harness();
      const dev = await newDevice();
      const other = await newDevice();
      const auth = { token: TEST_TOKEN };
      const cases: [ConnectOpts['tamper'], string, string][] = [
        [{ signWith: other }, 'DEVICE_AUTH_SIGNATURE_INVALID', 'device signature invalid'],
        [{ signScopes: ['operator.admin'] }, 'DEVICE_AUTH_SIGNATURE_INVALID', 'device signature invalid'],
        [{ nonce: crypto.randomUUID() }, 'DEVICE_AUTH_NONCE_MISMATCH', 'device nonce mismatch'],
        [{ signedAt: Date.now() - 10 * 60_000 }, 'DEVICE_AUTH_SIGNATURE_EXPIRED', 'device signature expired'],
        [{ id: other.id }, 'DEVICE_AUTH_DEVICE_ID_MISMATCH', 'device identity mismatch'],
        [{ publicKey: 'bm90LWEta2V5' }, 'DEVICE_AUTH_PUBLIC_KEY_INVALID', 'device public key invalid'],
      ];
      for (const [tamper, code, message] of cases) {
        const { client, res } = await connectDevice(h, dev, { auth, tamper });
        expect(res.error, code).toMatchObject({ code: 'INVALID_REQUEST', message, details: { code } });
        expect((await client.closed()).code).toBe(1008);
      }
      // The same key as standard base64 or SPKI PEM is the same device.
      const admin = await operator(h);
      for (const publicKey of [dev.publicKeyB64, dev.publicKeyPem]) {
        const { res } = await connectDevice(h, dev, { auth, tamper: { publicKey } });
        expect(res.error.details).toMatchObject({ code: 'PAIRING_REQUIRED', deviceId: dev.id });
      }
      await clearPending(admin);
      admin.ws.close(1000);
    });

    it('rotates and revokes device tokens: the old token stops working and its open sockets close at once', async () => {
      const h = harness();
      const admin = await operator(h);
      const dev = await newDevice();
      const token = await pair(h, admin, dev, ['operator.read', 'operator.write']);
      const open = await connectDevice(h, dev, { auth: { deviceToken: token }, scopes: ['operator.read'] });
      expect(open.res.ok).toBe(true);
      const rotated = await admin.req('device.token.rotate', { deviceId: dev.id, role: 'operator' });
      expect(rotated.payload).toMatchObject({ deviceId: dev.id, role: 'operator', scopes: ['operator.read', 'operator.write'], tokenDelivery: 'in-band', token: expect.stringMatching(/^ecdt_/) });
      expect(rotated.payload.token).not.toBe(token);
      expect((await open.client.closed()).code).toBe(1008);
      expect((await connectDevice(h, dev, { auth: { deviceToken: token } })).res.error.details.code).toBe('AUTH_DEVICE_TOKEN_MISMATCH');
      const fresh = await connectDevice(h, dev, { auth: { deviceToken: rotated.payload.token }, scopes: ['operator.write'] });
      expect(fresh.res.payload.auth.scopes).toEqual(['operator.write']);
      // Rotation may narrow, never widen.
      const widen = await admin.req('device.token.rotate', { deviceId: dev.id, role: 'operator', scopes: ['operator.admin'] });
      expect(widen.error).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('operator.admin is not approved') });
      const narrow = await admin.req('device.token.rotate', { deviceId: dev.id, role: 'operator', scopes: ['operator.read'] });
      expect(narrow.payload.scopes).toEqual(['operator.read']);
      expect((await fresh.client.closed()).code).toBe(1008);
      const upgrade = await connectDevice(h, dev, { auth: { deviceToken: narrow.payload.token }, scopes: ['operator.write'] });
      expect(upgrade.res.error.details).toMatchObject({ code: 'PAIRING_REQUIRED', reason: 'scope-upgrade', approvedScopes: ['operator.read'] });
      const live = await connectDevice(h, dev, { auth: { deviceToken: narrow.payload.token }, scopes: ['operator.read'] });
      expect(live.res.ok).toBe(true);
      const revoked = await admin.req('device.token.revoke', { deviceId: dev.id, role: 'operator' });
      expect(revoked.payload).toMatchObject({ deviceId: dev.id, role: 'operator', revokedAtMs: expect.any(Number) });
      expect((await live.client.closed()).code).toBe(1008);
      expect((await connectDevice(h, dev, { auth: { deviceToken: narrow.payload.token } })).res.error.details.code).toBe('AUTH_DEVICE_TOKEN_MISMATCH');
      // Shared auth still works for the device, but a revoked token is not silently re-issued.
      const shared = await connectDevice(h, dev, { auth: { token: TEST_TOKEN }, scopes: ['operator.read'] });
      expect(shared.res.payload.auth.deviceToken).toBeUndefined();
      expect((await admin.req('device.token.revoke', { deviceId: '0'.repeat(64), role: 'operator' })).error).toMatchObject({ code: 'INVALID_REQUEST', message: 'unknown deviceId/role' });
      await clearPending(admin);
      expect((await admin.req('device.pair.remove', { deviceId: dev.id })).payload).toEqual({ deviceId: dev.id, removed: true });
      expect((await shared.client.closed()).code).toBe(1008);
      admin.ws.close(1000);
    });

    it('never grants more than the credential or the approver holds: scope upgrades go through pairing again', async () => {
      const h = harness();
      const admin = await operator(h);
      const pairingOnly = await operator(h, ['operator.pairing', 'operator.read']);
      const dev = await newDevice();
      // A read-only credential claiming admin: the request carries only what the credential grants.
      const claim = await connectDevice(h, dev, { auth: { token: READ_TOKEN }, scopes: ['operator.read', 'operator.admin'] });
      expect(claim.res.error.details).toMatchObject({ code: 'PAIRING_REQUIRED', requestedScopes: ['operator.read'] });
      expect((await pairingOnly.req('device.pair.approve', { requestId: claim.res.error.details.requestId })).ok).toBe(true);
      const shared = await connectDevice(h, dev, { auth: { token: READ_TOKEN }, scopes: ['operator.read'] });
      const token = shared.res.payload.auth.deviceToken as string;
      expect(token).toMatch(/^ecdt_/);
      const escalate = await connectDevice(h, dev, { auth: { deviceToken: token }, scopes: ['operator.admin'] });
      expect(escalate.res.error).toMatchObject({ code: 'NOT_PAIRED', details: { reason: 'scope-upgrade', requestedScopes: ['operator.read', 'operator.admin'], approvedScopes: ['operator.read'] } });
      const requestId = escalate.res.error.details.requestId as string;
      const refused = await pairingOnly.req('device.pair.approve', { requestId });
      expect(refused.error).toMatchObject({ code: 'FORBIDDEN', details: { code: 'MISSING_SCOPE', missingScope: 'operator.admin' } });
      expect((await pairingOnly.req('device.token.rotate', { deviceId: dev.id, role: 'operator' })).payload.scopes).toEqual(['operator.read']);
      // Still pending after the refusal; an admin may approve it.
      expect((await admin.req('device.pair.approve', { requestId })).ok).toBe(true);
      const rotatedByAdmin = await admin.req('device.token.rotate', { deviceId: dev.id, role: 'operator' });
      expect((await pairingOnly.req('device.token.rotate', { deviceId: dev.id, role: 'operator' })).error).toMatchObject({ code: 'FORBIDDEN', details: { missingScope: 'operator.admin' } });
      const upgraded = await connectDevice(h, dev, { auth: { deviceToken: rotatedByAdmin.payload.token }, scopes: ['operator.admin'] });
      expect(upgraded.res.payload.auth).toMatchObject({ scopes: ['operator.admin'], method: 'device-token' });
      // A device token is bound to its role.
      const asNode = await connectDevice(h, dev, { auth: { deviceToken: rotatedByAdmin.payload.token }, role: 'node' });
      expect(asNode.res.error.details.code).toBe('AUTH_DEVICE_TOKEN_MISMATCH');
      await admin.req('device.pair.remove', { deviceId: dev.id });
      for (const c of [admin, pairingOnly, shared.client]) c.ws.close(1000);
    });

    it(`caps pending requests at ${TEST_PAIRING_MAX_PENDING}: the next new device is refused with a retryable UNAVAILABLE and close 1013`, async () => {
      const h = harness();
      const admin = await operator(h);
      await clearPending(admin);
      const devices = await Promise.all(Array.from({ length: TEST_PAIRING_MAX_PENDING + 1 }, () => newDevice()));
      for (const dev of devices.slice(0, TEST_PAIRING_MAX_PENDING)) {
        expect((await connectDevice(h, dev, { auth: { token: TEST_TOKEN } })).res.error.details.code).toBe('PAIRING_REQUIRED');
      }
      const over = await connectDevice(h, devices[TEST_PAIRING_MAX_PENDING]!, { auth: { token: TEST_TOKEN } });
      expect(over.res.error).toMatchObject({ code: 'UNAVAILABLE', retryable: true, retryAfterMs: expect.any(Number), details: { code: 'PAIRING_QUEUE_FULL' } });
      expect(over.res.error.retryAfterMs).toBeGreaterThan(0);
      expect((await over.client.closed()).code).toBe(1013);
      // A device already waiting keeps its place; a resolved request frees one.
      const waiting = await connectDevice(h, devices[0]!, { auth: { token: TEST_TOKEN } });
      expect(waiting.res.error.details.code).toBe('PAIRING_REQUIRED');
      expect((await admin.req('device.pair.reject', { requestId: waiting.res.error.details.requestId })).payload).toMatchObject({ decision: 'rejected', deviceId: devices[0]!.id });
      expect((await connectDevice(h, devices[TEST_PAIRING_MAX_PENDING]!, { auth: { token: TEST_TOKEN } })).res.error.details.code).toBe('PAIRING_REQUIRED');
      expect((await admin.req('device.pair.list', {})).payload.pending).toHaveLength(TEST_PAIRING_MAX_PENDING);
      await clearPending(admin);
      admin.ws.close(1000);
    });

    it.skipIf(!facts.directLocal)('auto-approves a direct loopback connect with valid shared auth, within the credential', async () => {
      const h = harness();
      const watcher = await operator(h, ['operator.pairing']);
      const dev = await newDevice();
      const local = await connectDevice(h, dev, { auth: { token: READ_TOKEN }, scopes: ['operator.read', 'operator.admin'], local: true });
      expect(local.res.payload.auth).toMatchObject({ scopes: ['operator.read'], method: 'token', deviceToken: expect.stringMatching(/^ecdt_/) });
      expect((await watcher.next((f) => f.event === 'device.pair.resolved' && f.payload.deviceId === dev.id)).payload.decision).toBe('approved');
      const admin = await operator(h);
      const listed = (await admin.req('device.pair.list', {})).payload.paired.find((d: { deviceId: string }) => d.deviceId === dev.id);
      expect(listed).toMatchObject({ connected: true, grants: [{ role: 'operator', scopes: ['operator.read'], approvedBy: 'auto:local', token: { state: 'active' } }] });
      await admin.req('device.pair.remove', { deviceId: dev.id });
      for (const c of [admin, watcher]) c.ws.close(1000);
    });

    it('pairs nodes: device identity required, node.pair.* approval needs write for declared commands, node.list/describe and presence', async () => {
      const h = harness();
      const admin = await operator(h);
      const pairingOnly = await operator(h, ['operator.pairing', 'operator.read']);
      const nodeOpts = { auth: { token: NODE_TOKEN }, role: 'node' as const, caps: ['camera'], commands: ['camera.snap'] };
      const bare = await h.open(nextRemote());
      await bare.next();
      const noDevice = await bare.req('connect', connectParams({ token: NODE_TOKEN }, undefined, { role: 'node', client: { id: 'node-host', version: '1', platform: 'linux', mode: 'node' } }));
      expect(noDevice.error).toMatchObject({ code: 'INVALID_REQUEST', details: { code: 'DEVICE_IDENTITY_REQUIRED' } });
      expect((await bare.closed()).code).toBe(1008);
      const node = await newDevice();
      const first = await connectDevice(h, node, nodeOpts);
      expect(first.res.error.details).toMatchObject({ code: 'PAIRING_REQUIRED', reason: 'not-paired', requestedRole: 'node', requestedScopes: [] });
      const requestId = first.res.error.details.requestId as string;
      const announced = await pairingOnly.next((f) => f.event === 'node.pair.requested' && f.payload.nodeId === node.id);
      expect(announced.payload).toMatchObject({ requestId, caps: ['camera'], commands: ['camera.snap'], displayName: 'test node' });
      const pending = await pairingOnly.req('node.pair.list', {});
      expect(pending.payload.pending.find((r: { nodeId: string }) => r.nodeId === node.id)).toMatchObject({ requestId, commands: ['camera.snap'] });
      const refused = await pairingOnly.req('node.pair.approve', { requestId });
      expect(refused.error).toMatchObject({ code: 'FORBIDDEN', details: { missingScope: 'operator.write' } });
      // An operator credential cannot take the node role, and an operator request is not a node request.
      expect((await connectDevice(h, node, { ...nodeOpts, auth: { token: TEST_TOKEN } })).res.error.details.code).toBe('AUTH_UNAUTHORIZED');
      const approved = await admin.req('node.pair.approve', { requestId });
      expect(approved.payload).toMatchObject({ requestId, node: { nodeId: node.id, commands: ['camera.snap'] } });
      expect((await pairingOnly.next((f) => f.event === 'node.pair.resolved' && f.payload.nodeId === node.id)).payload.decision).toBe('approved');
      const online = await connectDevice(h, node, nodeOpts);
      expect(online.res.payload.auth).toMatchObject({ role: 'node', scopes: [], deviceToken: expect.stringMatching(/^ecdt_/) });
      const nodes = await admin.req('node.list', {});
      expect(nodes.payload.nodes.find((n: { nodeId: string }) => n.nodeId === node.id)).toMatchObject({ connected: true, paired: true, caps: ['camera'], commands: ['camera.snap'], platform: 'linux', displayName: 'test node' });
      expect((await admin.req('node.describe', { nodeId: node.id })).payload).toMatchObject({ nodeId: node.id, connected: true, commands: ['camera.snap'] });
      const presence = await admin.req('system-presence', {});
      expect(presence.payload.find((p: { deviceId?: string }) => p.deviceId === node.id)).toMatchObject({ roles: ['node'], mode: 'node' });
      // The node's token works alone, and only for the node role.
      const byToken = await connectDevice(h, node, { ...nodeOpts, auth: { deviceToken: online.res.payload.auth.deviceToken } });
      expect(byToken.res.payload.auth).toMatchObject({ role: 'node', method: 'device-token' });
      expect((await byToken.client.req('health', {})).error).toMatchObject({ code: 'FORBIDDEN' });
      expect((await admin.req('node.pair.remove', { nodeId: node.id })).payload).toEqual({ nodeId: node.id, removed: true });
      expect((await online.client.closed()).code).toBe(1008);
      expect((await byToken.client.closed()).code).toBe(1008);
      expect((await admin.req('node.describe', { nodeId: node.id })).error).toMatchObject({ code: 'INVALID_REQUEST', message: 'unknown nodeId' });
      expect((await admin.req('node.describe', { nodeId: 'nope' })).error.message).toMatch(/^invalid node.describe params: nodeId/);
      for (const c of [admin, pairingOnly]) c.ws.close(1000);
    });

    it('answers device.pair.* and node.pair.* reject/remove with their own shapes, announces a node removal and names the id kind in errors', async () => {
      const h = harness();
      const admin = await operator(h);
      const watcher = await operator(h, ['operator.pairing']);
      const dev = await newDevice();
      const devRequestId = (await connectDevice(h, dev, { auth: { token: TEST_TOKEN } })).res.error.details.requestId as string;
      expect((await admin.req('device.pair.reject', { requestId: devRequestId })).payload).toEqual({ requestId: devRequestId, deviceId: dev.id, role: 'operator', decision: 'rejected' });
      expect((await admin.req('device.pair.reject', { requestId: devRequestId })).error).toMatchObject({ code: 'INVALID_REQUEST', message: 'unknown requestId' });
      const node = await newDevice();
      const nodeOpts = { auth: { token: NODE_TOKEN }, role: 'node' as const };
      const nodeRequestId = (await connectDevice(h, node, nodeOpts)).res.error.details.requestId as string;
      expect((await admin.req('node.pair.reject', { requestId: nodeRequestId })).payload).toEqual({ requestId: nodeRequestId, nodeId: node.id, decision: 'rejected' });
      expect((await admin.req('node.pair.reject', { requestId: nodeRequestId })).error).toMatchObject({ code: 'INVALID_REQUEST', message: 'unknown requestId' });
      const again = (await connectDevice(h, node, nodeOpts)).res.error.details.requestId as string;
      expect((await admin.req('node.pair.approve', { requestId: again })).payload).toMatchObject({ requestId: again, node: { requestId: again, nodeId: node.id } });
      expect((await admin.req('node.pair.remove', { nodeId: node.id })).payload).toEqual({ nodeId: node.id, removed: true });
      const removed = await watcher.next((f) => f.event === 'node.pair.resolved' && f.payload.nodeId === node.id && f.payload.decision === 'removed');
      expect(removed.payload).toEqual({ requestId: '', nodeId: node.id, decision: 'removed', ts: expect.any(Number) });
      expect((await admin.req('node.pair.remove', { nodeId: node.id })).error).toMatchObject({ code: 'INVALID_REQUEST', message: 'unknown nodeId' });
      expect((await admin.req('node.pair.remove', { nodeId: 'nope' })).error.message).toBe('invalid node.pair.remove params: nodeId: expected a node id (64 lowercase hex digits)');
      expect((await admin.req('device.pair.remove', { deviceId: 'nope' })).error.message).toBe('invalid device.pair.remove params: deviceId: expected a device id (64 lowercase hex digits)');
      expect((await admin.req('node.pair.remove', { deviceId: node.id })).error.code).toBe('INVALID_REQUEST');
      for (const c of [admin, watcher]) c.ws.close(1000);
    });

    it('lists, renames and removes paired devices; a removed device is disconnected and its token is gone', async () => {
      const h = harness();
      const admin = await operator(h);
      const dev = await newDevice();
      const token = await pair(h, admin, dev, ['operator.read']);
      const open = await connectDevice(h, dev, { auth: { deviceToken: token } });
      expect((await admin.req('device.pair.rename', { deviceId: dev.id, label: 'ops laptop' })).payload).toEqual({ deviceId: dev.id, label: 'ops laptop' });
      expect((await admin.req('device.pair.rename', { deviceId: dev.id, label: '   ' })).error.message).toMatch(/^invalid device.pair.rename params: label/);
      const listed = (await admin.req('device.pair.list', {})).payload.paired.find((d: { deviceId: string }) => d.deviceId === dev.id);
      expect(listed).toMatchObject({ label: 'ops laptop', connected: true, publicKey: dev.publicKey, grants: [{ role: 'operator', token: { state: 'active' } }] });
      expect(JSON.stringify(listed)).not.toContain(token);
      expect((await admin.req('device.pair.remove', { deviceId: dev.id })).ok).toBe(true);
      expect((await open.client.closed()).code).toBe(1008);
      expect((await connectDevice(h, dev, { auth: { deviceToken: token } })).res.error.details.code).toBe('AUTH_DEVICE_TOKEN_MISMATCH');
      expect((await admin.req('device.pair.remove', { deviceId: dev.id })).error).toMatchObject({ code: 'INVALID_REQUEST', message: 'unknown deviceId' });
      expect((await admin.req('device.pair.approve', { requestId: 'no-such-request' })).error).toMatchObject({ code: 'INVALID_REQUEST', message: 'unknown requestId' });
      const reader = await h.open(nextRemote());
      await reader.next();
      await reader.req('connect', connectParams({ token: READ_TOKEN }));
      expect((await reader.req('device.pair.list', {})).error).toMatchObject({ code: 'FORBIDDEN', details: { missingScope: 'operator.pairing' } });
      for (const c of [admin, reader]) c.ws.close(1000);
    });

    it('serves the pairing methods over POST /rpc with the same scope checks', async () => {
      const h = harness();
      const rpc = (token: string, method: string, params: unknown) =>
        h.fetch('/rpc', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ type: 'req', id: 'r1', method, params }) });
      const listed = await rpc(TEST_TOKEN, 'device.pair.list', {});
      expect(listed.status).toBe(200);
      expect(await listed.json()).toMatchObject({ type: 'res', id: 'r1', ok: true, payload: { pending: expect.any(Array), paired: expect.any(Array) } });
      const nodes = await rpc(READ_TOKEN, 'node.list', {});
      expect(await nodes.json()).toMatchObject({ ok: true, payload: { nodes: expect.any(Array) } });
      const denied = await rpc(READ_TOKEN, 'device.token.revoke', { deviceId: '0'.repeat(64), role: 'operator' });
      expect(denied.status).toBe(403);
      expect(await denied.json()).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', details: { missingScope: 'operator.pairing' } } });
      const unknown = await rpc(TEST_TOKEN, 'device.pair.rename', { deviceId: '0'.repeat(64), label: 'x' });
      expect(await unknown.json()).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST', message: 'unknown deviceId' } });
    });

    it.skipIf(!facts.restartable)('keeps paired devices, tokens and pending requests across a restart', async () => {
      const h = harness();
      let admin = await operator(h);
      const dev = await newDevice();
      const waiting = await newDevice();
      const token = await pair(h, admin, dev, ['operator.read']);
      const pendingId = (await connectDevice(h, waiting, { auth: { token: TEST_TOKEN } })).res.error.details.requestId as string;
      admin.ws.close(1000);
      await h.restart!();
      const back = await connectDevice(h, dev, { auth: { deviceToken: token } });
      expect(back.res.payload.auth).toMatchObject({ method: 'device-token', scopes: ['operator.read'] });
      admin = await operator(h);
      expect((await admin.req('device.pair.list', {})).payload.pending.map((r: { requestId: string }) => r.requestId)).toContain(pendingId);
      await clearPending(admin);
      await admin.req('device.pair.remove', { deviceId: dev.id });
      admin.ws.close(1000);
    });
  });
}
