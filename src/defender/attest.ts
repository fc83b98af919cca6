// Attestation: what the gateway runs (build source hash, active policy bundle, settings hash), bound to a
// caller's nonce and signed with the gateway's Ed25519 key. `edgeclaw attest verify` checks it against a
// pinned key and expected values. WebCrypto only, so both runtimes build and verify the same bytes.
import { z } from 'zod';
import { canonicalJson, fromBase64, toBase64 } from './bundle.ts';

/** The signed statement. */
export interface AttestationPayload {
  type: 'edgeclaw.attestation.v1';
  issuedAt: string;
  nonce: string;
  server: { version: string; sourceHash: string; host: string };
  policy: { bundleVersion: number | null; sha256: string | null; policyId: string | null; rootVersion: number | null; error: string | null };
  /** SHA-256 over `name=sha256(value)` lines of the settings the gateway runs with (values never revealed). */
  configHash: string;
}

/** What `defender.attest` returns: the canonical payload text and its signature, plus the key to check it with. */
export interface Attestation {
  payload: string;
  signature: string;
  keyId: string;
  publicKey: string;
}

/** Wire shape, validated before anything is checked (bad files and bad servers get a clear error). */
export const AttestationSchema = z.strictObject({
  payload: z.string().min(2).max(16_384),
  signature: z.string().min(1).max(200),
  keyId: z.string().regex(/^[0-9a-f]{64}$/),
  publicKey: z.string().min(1).max(200),
});

const PayloadSchema = z.object({
  type: z.literal('edgeclaw.attestation.v1'),
  issuedAt: z.string(),
  nonce: z.string(),
  server: z.object({ version: z.string(), sourceHash: z.string(), host: z.string() }),
  policy: z.object({ bundleVersion: z.number().nullable(), sha256: z.string().nullable(), policyId: z.string().nullable(), rootVersion: z.number().nullable(), error: z.string().nullable() }),
  configHash: z.string(),
});

const enc = new TextEncoder();

async function sha256Hex(bytes: Uint8Array | string): Promise<string> {
  const data = typeof bytes === 'string' ? enc.encode(bytes) : bytes;
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

const SECRET_FREE = (v: unknown): v is string => typeof v === 'string';

/**
 * Hash of the settings (string vars) the gateway runs with: every value is hashed on its own first, so the
 * result reveals nothing about secrets, yet changes when any setting changes.
 * @example await settingsHash({ EDGECLAW_QUEUE_CAP: '20' })
 */
export async function settingsHash(env: Record<string, unknown>): Promise<string> {
  const lines: string[] = [];
  for (const name of Object.keys(env).sort()) {
    const v = env[name];
    if (SECRET_FREE(v)) lines.push(`${name}=${await sha256Hex(v)}`);
  }
  return sha256Hex(lines.join('\n'));
}

/** Key id of a raw Ed25519 public key: hex SHA-256 (the same rule as device ids). */
export function keyIdOf(rawPublicKey: Uint8Array): Promise<string> {
  return sha256Hex(rawPublicKey);
}

/** A signing key as stored by the gateway (base64 PKCS#8 private, base64 raw public). */
export interface StoredAttestationKey { privateKey: string; publicKey: string }

/** Generates a new attestation key. */
export async function generateAttestationKey(): Promise<StoredAttestationKey> {
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const raw = new Uint8Array((await crypto.subtle.exportKey('raw', pair.publicKey)) as ArrayBuffer);
  const pkcs8 = new Uint8Array((await crypto.subtle.exportKey('pkcs8', pair.privateKey)) as ArrayBuffer);
  return { privateKey: toBase64(pkcs8), publicKey: toBase64(raw) };
}

/**
 * Signs a payload with a stored key.
 * @example const att = await signAttestation(await generateAttestationKey(), payload)
 */
export async function signAttestation(key: StoredAttestationKey, payload: AttestationPayload): Promise<Attestation> {
  const text = canonicalJson(payload);
  const priv = await crypto.subtle.importKey('pkcs8', fromBase64(key.privateKey), { name: 'Ed25519' }, false, ['sign']);
  const sig = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, priv, enc.encode(text)));
  return { payload: text, signature: toBase64(sig), keyId: await keyIdOf(fromBase64(key.publicKey)), publicKey: key.publicKey };
}

/** What the verifier expects; anything left out is not checked (but reported). */
export interface AttestationExpectations {
  /** The pinned public key (base64 raw) or its key id (hex). Required: a self-supplied key proves nothing. */
  key: string;
  nonce?: string;
  sourceHash?: string;
  policySha256?: string;
  configHash?: string;
  /** Oldest acceptable `issuedAt` age (default 5 minutes). */
  maxAgeMs?: number;
  now?: number;
}

/** The verdict: every failed check is listed; `payload` is present when the signature verified. */
export interface AttestationCheck {
  ok: boolean;
  problems: string[];
  payload?: AttestationPayload;
}

/**
 * Verifies an attestation: pinned key, signature, nonce, freshness and the expected values.
 * @example const { ok, problems } = await verifyAttestation(att, { key: pinnedKey, nonce })
 */
export async function verifyAttestation(input: unknown, want: AttestationExpectations): Promise<AttestationCheck> {
  const parsed = AttestationSchema.safeParse(input);
  if (!parsed.success) return { ok: false, problems: [`not an attestation: ${parsed.error.issues[0]?.path.join('.') || '(root)'}: ${parsed.error.issues[0]?.message}`] };
  const att = parsed.data;
  let raw: Uint8Array;
  try {
    raw = fromBase64(att.publicKey);
  } catch {
    return { ok: false, problems: ['publicKey is not base64'] };
  }
  const problems: string[] = [];
  const keyId = await keyIdOf(raw);
  if (keyId !== att.keyId) problems.push('keyId does not match publicKey');
  if (want.key !== att.publicKey && want.key.toLowerCase() !== keyId) problems.push(`signed by key ${keyId.slice(0, 16)}…, not the pinned key`);
  let valid = false;
  try {
    const pub = await crypto.subtle.importKey('raw', raw, { name: 'Ed25519' }, false, ['verify']);
    valid = await crypto.subtle.verify({ name: 'Ed25519' }, pub, fromBase64(att.signature), enc.encode(att.payload));
  } catch {
    valid = false;
  }
  if (!valid) return { ok: false, problems: [...problems, 'signature does not verify'] };
  let payload: AttestationPayload;
  try {
    payload = PayloadSchema.parse(JSON.parse(att.payload)) as AttestationPayload;
  } catch {
    return { ok: false, problems: [...problems, 'signed payload is not an edgeclaw attestation'] };
  }
  if (canonicalJson(payload) !== att.payload) problems.push('payload is not in canonical form');
  const now = want.now ?? Date.now();
  const age = now - Date.parse(payload.issuedAt);
  if (!Number.isFinite(age) || age > (want.maxAgeMs ?? 300_000) || age < -60_000) problems.push(`issuedAt ${payload.issuedAt} is not fresh`);
  if (want.nonce !== undefined && payload.nonce !== want.nonce) problems.push('nonce does not match (replayed attestation?)');
  if (want.sourceHash !== undefined && payload.server.sourceHash !== want.sourceHash) problems.push(`build ${payload.server.sourceHash} is not the expected ${want.sourceHash}`);
  if (want.policySha256 !== undefined && payload.policy.sha256 !== want.policySha256) problems.push(`active policy bundle ${payload.policy.sha256 ?? '(none: built-in default)'} is not the expected ${want.policySha256}`);
  if (want.configHash !== undefined && payload.configHash !== want.configHash) problems.push('settings hash differs from the expected one');
  return { ok: problems.length === 0, problems, payload };
}
