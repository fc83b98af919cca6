/**
 * A device identity for tests, made with WebCrypto Ed25519 (workerd and Node), and connect params signed
 * the way the openclaw client signs them (packages/gateway-client/src/device-auth.ts, v3 payload).
 */

/** An Ed25519 key pair with the wire forms of its public key and its device id. */
export interface TestDevice {
  id: string;
  publicKey: string;
  publicKeyB64: string;
  publicKeyPem: string;
  privateKey: CryptoKey;
}

function b64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function b64url(bytes: Uint8Array): string {
  return b64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A fresh device key. */
export async function newDevice(): Promise<TestDevice> {
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const raw = new Uint8Array((await crypto.subtle.exportKey('raw', pair.publicKey)) as ArrayBuffer);
  const spki = new Uint8Array((await crypto.subtle.exportKey('spki', pair.publicKey)) as ArrayBuffer);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', raw));
  return {
    id: [...digest].map((b) => b.toString(16).padStart(2, '0')).join(''),
    publicKey: b64url(raw),
    publicKeyB64: b64(raw),
    publicKeyPem: `-----BEGIN PUBLIC KEY-----\n${b64(spki).match(/.{1,64}/g)!.join('\n')}\n-----END PUBLIC KEY-----\n`,
    privateKey: pair.privateKey,
  };
}

/** What goes into the signed payload (defaults: what connectParams() sends). */
export interface SignInput {
  clientId?: string;
  clientMode?: string;
  role: string;
  scopes: string[];
  token: string;
  nonce: string;
  signedAt: number;
  platform?: string;
  deviceFamily?: string;
}

/** Signs the v3 payload `v3|id|client|mode|role|scopes|signedAt|token|nonce|platform|family` (base64url). */
export async function signConnect(device: TestDevice, i: SignInput): Promise<string> {
  const payload = ['v3', device.id, i.clientId ?? 'cli', i.clientMode ?? 'cli', i.role, i.scopes.join(','), String(i.signedAt), i.token, i.nonce, (i.platform ?? 'linux').toLowerCase(), (i.deviceFamily ?? '').toLowerCase()].join('|');
  const sig = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, device.privateKey, new TextEncoder().encode(payload)));
  return b64url(sig);
}
