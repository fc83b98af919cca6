/**
 * Device identity proof in `connect` (openclaw-protocol.md §2.4): an Ed25519 public key (raw base64url,
 * base64 or SPKI PEM), `device.id` = lowercase hex SHA-256 of the raw 32-byte key, and a signature over
 * the v3 (or legacy v2) payload string that binds the client, role, scopes, token and this socket's
 * challenge nonce. Verified with WebCrypto Ed25519, which workerd and Node 24 both provide.
 */

/** Largest |now − signedAt| accepted (reference DEVICE_SIGNATURE_SKEW_MS). */
export const DEVICE_SIGNATURE_SKEW_MS = 120_000;

/** SPKI DER prefix of an Ed25519 public key (RFC 8410); the raw key follows. */
const SPKI_PREFIX = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

/** The `device` block of connect params. */
export interface DeviceProofInput {
  id: string;
  publicKey: string;
  signature: string;
  signedAt: number;
  nonce: string;
}

/** The connect fields the signature covers. */
export interface SignedFields {
  clientId: string;
  clientMode: string;
  role: string;
  scopes: readonly string[];
  /** `auth.token ?? auth.deviceToken ?? auth.bootstrapToken`, or null. */
  token: string | null;
  platform?: string | undefined;
  deviceFamily?: string | undefined;
}

/** Why a proof was refused: the reference's reason and connect-error detail code. */
export interface DeviceProofFailure {
  ok: false;
  reason: 'device-public-key' | 'device-id-mismatch' | 'device-signature-stale' | 'device-nonce-missing' | 'device-nonce-mismatch' | 'device-signature';
  code: string;
  message: string;
}

/** A verified device: its id and canonical (raw base64url) public key. */
export interface VerifiedDevice {
  ok: true;
  deviceId: string;
  publicKey: string;
  payloadVersion: 'v3' | 'v2';
}

function bytesToBase64Url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function base64ToBytes(input: string): Uint8Array | null {
  if (input.length === 0 || input.length > 4096 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(input)) return null;
  const std = input.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (std.length % 4 === 1) return null;
  try {
    return Uint8Array.from(atob(std + '='.repeat((4 - (std.length % 4)) % 4)), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/**
 * The raw 32-byte Ed25519 key from PEM (SPKI), base64 or base64url; null when it is not one.
 * @example rawPublicKey(bytesToBase64Url(raw))?.length === 32
 */
export function rawPublicKey(publicKey: string): Uint8Array | null {
  const trimmed = publicKey.trim();
  if (trimmed.includes('BEGIN')) {
    const m = /^-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\s]+)-----END PUBLIC KEY-----$/.exec(trimmed);
    const der = m ? base64ToBytes(m[1]!.replace(/\s+/g, '')) : null;
    if (!der || der.length !== SPKI_PREFIX.length + 32 || SPKI_PREFIX.some((b, i) => der[i] !== b)) return null;
    return der.slice(SPKI_PREFIX.length);
  }
  const raw = base64ToBytes(trimmed);
  return raw && raw.length === 32 ? raw : null;
}

/**
 * Canonical form of a public key (raw base64url), or null.
 * @example normalizePublicKey(pem) === normalizePublicKey(base64url)
 */
export function normalizePublicKey(publicKey: string): string | null {
  const raw = rawPublicKey(publicKey);
  return raw ? bytesToBase64Url(raw) : null;
}

/**
 * Device id of a public key: lowercase hex SHA-256 of the raw key.
 * @example await deviceIdOf(publicKeyBase64Url) // '3f2a…' (64 hex digits)
 */
export async function deviceIdOf(publicKey: string): Promise<string | null> {
  const raw = rawPublicKey(publicKey);
  if (!raw) return null;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', raw));
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Trim, then lower-case ASCII A–Z only (reference normalizeDeviceMetadataForAuth). */
function metadataForAuth(value: string | undefined): string {
  return (value ?? '').trim().replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

/**
 * The string a device signs (reference buildDeviceAuthPayloadV3 / legacy v2).
 * @example devicePayload('v3', id, fields, signedAt, nonce) // 'v3|<id>|cli|cli|operator|operator.read|…'
 */
export function devicePayload(version: 'v3' | 'v2', deviceId: string, f: SignedFields, signedAtMs: number, nonce: string): string {
  const base = [version, deviceId, f.clientId, f.clientMode, f.role, f.scopes.join(','), String(signedAtMs), f.token ?? '', nonce];
  return (version === 'v3' ? [...base, metadataForAuth(f.platform), metadataForAuth(f.deviceFamily)] : base).join('|');
}

async function verifies(raw: Uint8Array, payload: string, signature: Uint8Array): Promise<boolean> {
  try {
    const key = await crypto.subtle.importKey('raw', raw, { name: 'Ed25519' }, false, ['verify']);
    return await crypto.subtle.verify({ name: 'Ed25519' }, key, signature, new TextEncoder().encode(payload));
  } catch {
    return false;
  }
}

function failure(reason: DeviceProofFailure['reason']): DeviceProofFailure {
  const table: Record<DeviceProofFailure['reason'], [string, string]> = {
    'device-public-key': ['DEVICE_AUTH_PUBLIC_KEY_INVALID', 'device public key invalid'],
    'device-id-mismatch': ['DEVICE_AUTH_DEVICE_ID_MISMATCH', 'device identity mismatch'],
    'device-signature-stale': ['DEVICE_AUTH_SIGNATURE_EXPIRED', 'device signature expired'],
    'device-nonce-missing': ['DEVICE_AUTH_NONCE_REQUIRED', 'device nonce required'],
    'device-nonce-mismatch': ['DEVICE_AUTH_NONCE_MISMATCH', 'device nonce mismatch'],
    'device-signature': ['DEVICE_AUTH_SIGNATURE_INVALID', 'device signature invalid'],
  };
  const [code, message] = table[reason];
  return { ok: false, reason, code, message };
}

/**
 * Checks a connect's device proof against the nonce issued on this socket: key, id = fingerprint,
 * signedAt within the skew, nonce, then the v3 signature (v2 accepted as legacy).
 * @example await verifyDeviceProof(p.device, fields, att.nonce, Date.now())
 */
export async function verifyDeviceProof(device: DeviceProofInput, fields: SignedFields, issuedNonce: string, now: number): Promise<VerifiedDevice | DeviceProofFailure> {
  const raw = rawPublicKey(device.publicKey);
  if (!raw) return failure('device-public-key');
  const id = await deviceIdOf(device.publicKey);
  if (id !== device.id) return failure('device-id-mismatch');
  if (!Number.isSafeInteger(device.signedAt) || Math.abs(now - device.signedAt) > DEVICE_SIGNATURE_SKEW_MS) return failure('device-signature-stale');
  const nonce = device.nonce.trim();
  if (!nonce) return failure('device-nonce-missing');
  if (nonce !== issuedNonce) return failure('device-nonce-mismatch');
  const signature = base64ToBytes(device.signature);
  if (!signature || signature.length !== 64) return failure('device-signature');
  for (const version of ['v3', 'v2'] as const) {
    if (await verifies(raw, devicePayload(version, id, fields, device.signedAt, nonce), signature)) {
      return { ok: true, deviceId: id, publicKey: bytesToBase64Url(raw), payloadVersion: version };
    }
  }
  return failure('device-signature');
}
