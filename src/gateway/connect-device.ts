/**
 * The device half of the `connect` handshake, kept out of connection.ts: the device proof (or the refusal
 * a node without one gets), the client metadata stored with pairing state, and the wire errors of a
 * pairing decision (NOT_PAIRED + PAIRING_REQUIRED, or UNAVAILABLE when the pairing tables are full).
 */
import type { ErrorShape } from '../errors.ts';
import type { AdmitResult } from './device-gate.ts';
import { verifyDeviceProof, type VerifiedDevice } from './device-identity.ts';
import type { ConnectParams } from './frames.ts';
import type { ClientMeta } from './pairing-store.ts';
import type { Role } from './scopes.ts';

/** A refusal: the error response and how the socket closes. */
export interface ConnectRefusal {
  error: ErrorShape;
  close: { code: number; reason: string };
}

/**
 * Verifies `p.device` against this socket's nonce. Null when there is none and the role may go without;
 * a refusal for a bad proof (DEVICE_AUTH_*) or a node without one (DEVICE_IDENTITY_REQUIRED).
 * @example const proof = await proveDevice(p, role, att.nonce, now)
 */
export async function proveDevice(p: ConnectParams, role: Role, nonce: string, now: number): Promise<VerifiedDevice | ConnectRefusal | null> {
  if (!p.device) {
    if (role !== 'node') return null;
    const message = 'device identity required: the node role must sign its connect with a device key';
    return { error: { code: 'INVALID_REQUEST', message, details: { code: 'DEVICE_IDENTITY_REQUIRED' } }, close: { code: 1008, reason: 'device identity required' } };
  }
  const proof = await verifyDeviceProof(p.device, {
    clientId: p.client.id,
    clientMode: p.client.mode,
    role: p.role ?? 'operator',
    scopes: p.scopes ?? [],
    token: p.auth?.token ?? p.auth?.deviceToken ?? p.auth?.bootstrapToken ?? null,
    platform: p.client.platform,
    deviceFamily: p.client.deviceFamily,
  }, nonce, now);
  if (proof.ok) return proof;
  return { error: { code: 'INVALID_REQUEST', message: proof.message, details: { code: proof.code, reason: proof.reason } }, close: { code: 1008, reason: proof.message } };
}

/**
 * What a connect declared about its client, as pairing state keeps it (caps/commands only for nodes).
 * @example clientMetaOf(p, 'node', att.remote).commands // ['camera.snap']
 */
export function clientMetaOf(p: ConnectParams, role: Role, remote: string): ClientMeta {
  return {
    clientId: p.client.id,
    clientMode: p.client.mode,
    ...(p.client.displayName ? { displayName: p.client.displayName } : {}),
    platform: p.client.platform,
    ...(p.client.deviceFamily ? { deviceFamily: p.client.deviceFamily } : {}),
    version: p.client.version,
    ...(role === 'node' ? { caps: p.caps ?? [], commands: p.commands ?? [] } : {}),
    remote,
  };
}

const PAIRING_REQUIREMENT: Record<string, string> = {
  'not-paired': 'device is not approved yet',
  'role-upgrade': 'device is asking for a higher role than currently approved',
  'scope-upgrade': 'device is asking for more scopes than currently approved',
};

/**
 * The wire refusal of a pairing decision that did not admit the device (reference connect-error-details).
 * @example const r = pairingRefusal(admitted, deviceId, 'operator'); fail(sock, id, r.error, r.close)
 */
export function pairingRefusal(admitted: Exclude<AdmitResult, { kind: 'ok' }>, deviceId: string, role: Role): ConnectRefusal {
  if (admitted.kind === 'full') {
    const pending = admitted.what === 'pending';
    const message = pending ? 'pairing unavailable: too many pending pairing requests; retry later' : 'pairing unavailable: too many paired devices (gateway.nodes.pairing.maxPaired)';
    return {
      error: { code: 'UNAVAILABLE', message, retryable: pending, retryAfterMs: admitted.retryAfterMs, details: { code: pending ? 'PAIRING_QUEUE_FULL' : 'PAIRING_DEVICES_FULL' } },
      close: { code: 1013, reason: 'pairing unavailable' },
    };
  }
  const { reason, request, approvedScopes } = admitted;
  const message = `pairing required: ${PAIRING_REQUIREMENT[reason] ?? 'device approval is required'}`;
  return {
    error: {
      code: 'NOT_PAIRED',
      message,
      details: {
        code: 'PAIRING_REQUIRED',
        reason,
        requestId: request.requestId,
        remediationHint: 'Approve this device from the pending pairing requests (device.pair.approve).',
        deviceId,
        requestedRole: role,
        requestedScopes: [...request.scopes],
        ...(approvedScopes.length > 0 ? { approvedScopes: [...approvedScopes] } : {}),
      },
    },
    close: { code: 1008, reason: `${message} (requestId: ${request.requestId})` },
  };
}
