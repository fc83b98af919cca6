// Signed policy bundles: canonical JSON payloads in a DSSE-style envelope, Ed25519 via WebCrypto on both
// runtimes, key ids = SHA-256 of the raw public key, a signature threshold, root rotation signed by the
// old and the new root, monotonic versions and expiry. A rejected bundle leaves the previous state as is.
import { resolvePolicy, type PartialPolicy } from './policy.ts';
import type { DefenderPolicy } from './types.ts';

/** Payload type of a policy bundle. */
export const POLICY_TYPE = 'application/vnd.edgeclaw.policy+json;v=1';
/** Payload type of a root (trusted keys) rotation. */
export const ROOT_TYPE = 'application/vnd.edgeclaw.root+json;v=1';
const MAX_ENVELOPE_BYTES = 1 << 20;

/** Why a bundle or root was refused. */
export type BundleErrorCode = 'MALFORMED' | 'UNSUPPORTED_TYPE' | 'TAMPERED' | 'WRONG_KEY' | 'BELOW_THRESHOLD' | 'ROLLBACK' | 'EXPIRED' | 'ROOT_VERSION' | 'INVALID_POLICY';

/** A refusal with a specific code; the message says what to fix. */
export class BundleError extends Error {
  override readonly name = 'BundleError';
  readonly code: BundleErrorCode;
  constructor(code: BundleErrorCode, message: string) { super(message); this.code = code; }
}

/** The envelope on the wire. `payload` is base64 of the canonical JSON bytes that were signed. */
export interface Envelope { payloadType: string; payload: string; signatures: Array<{ keyid: string; sig: string }> }
/** Trusted keys: keyid -> base64 raw Ed25519 public key; `threshold` distinct keys must sign. */
export interface TrustRoot { version: number; expiresAt: string; threshold: number; keys: Record<string, string> }
/** What a policy bundle says. */
export interface PolicyPayload { bundleVersion: number; issuedAt: string; expiresAt: string; policyId?: string; policy: PartialPolicy }
/** Verifier state: the trusted root, the last accepted version and the active policy (null = defaults). */
export interface BundleState { root: TrustRoot; lastVersion: number; active: { payload: PolicyPayload; policy: DefenderPolicy } | null }

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Deterministic JSON: keys sorted recursively, no whitespace; only safe integers as numbers. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new BundleError('MALFORMED', `canonical JSON allows only safe integers, got ${value}`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  throw new BundleError('MALFORMED', `canonical JSON cannot hold ${typeof value}`);
}

/** base64 (standard) of bytes. */
export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}
/** Bytes of base64, standard or URL-safe alphabet. */
export function fromBase64(b64: string): Uint8Array {
  const s = atob(b64.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return [...d].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** DSSE pre-authentication encoding: what is actually signed (binds the payload type). */
function pae(type: string, body: Uint8Array): Uint8Array {
  const head = enc.encode(`DSSEv1 ${enc.encode(type).length} ${type} ${body.length} `);
  const out = new Uint8Array(head.length + body.length);
  out.set(head); out.set(body, head.length);
  return out;
}

/** A signing key: its id, base64 raw public key and base64 PKCS#8 private key. */
export interface SigningKey { keyid: string; publicKey: string; privateKey: string }

/** Generates an Ed25519 key pair with WebCrypto. */
export async function generateSigningKey(): Promise<SigningKey> {
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const raw = new Uint8Array((await crypto.subtle.exportKey('raw', pair.publicKey)) as ArrayBuffer);
  const pkcs8 = new Uint8Array((await crypto.subtle.exportKey('pkcs8', pair.privateKey)) as ArrayBuffer);
  return { keyid: await sha256Hex(raw), publicKey: toBase64(raw), privateKey: toBase64(pkcs8) };
}

/** Signs any JSON payload of the given type with each key. */
export async function signEnvelope(payloadType: string, payload: unknown, keys: readonly SigningKey[]): Promise<Envelope> {
  const body = enc.encode(canonicalJson(payload));
  const signatures = [];
  for (const k of keys) {
    const key = await crypto.subtle.importKey('pkcs8', fromBase64(k.privateKey) as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, false, ['sign']);
    const sig = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, key, pae(payloadType, body) as Uint8Array<ArrayBuffer>));
    signatures.push({ keyid: k.keyid, sig: toBase64(sig) });
  }
  return { payloadType, payload: toBase64(body), signatures };
}

/** Builds a root listing these keys. */
export function makeRoot(version: number, expiresAt: string, threshold: number, keys: readonly SigningKey[]): TrustRoot {
  return { version, expiresAt, threshold, keys: Object.fromEntries(keys.map((k) => [k.keyid, k.publicKey])) };
}

/** Verifies signatures against a root; returns the exact signed bytes or throws a specific BundleError. */
async function verifyAgainst(env: Envelope, root: TrustRoot, what: string): Promise<Uint8Array> {
  let body: Uint8Array;
  try { body = fromBase64(env.payload); } catch { throw new BundleError('MALFORMED', `${what}: payload is not base64`); }
  const trusted = new Set<string>();
  let seenTrusted = 0;
  for (const s of env.signatures) {
    const pub = root.keys[s.keyid];
    if (!pub || trusted.has(s.keyid)) continue;
    seenTrusted++;
    // The key id must be the hash of the key it names (never trust an id on its own).
    if ((await sha256Hex(fromBase64(pub))) !== s.keyid) continue;
    let sig: Uint8Array;
    try { sig = fromBase64(s.sig); } catch { continue; }
    if (sig.length !== 64) continue;
    const key = await crypto.subtle.importKey('raw', fromBase64(pub) as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, false, ['verify']);
    if (await crypto.subtle.verify({ name: 'Ed25519' }, key, sig as Uint8Array<ArrayBuffer>, pae(env.payloadType, body) as Uint8Array<ArrayBuffer>)) trusted.add(s.keyid);
  }
  if (seenTrusted === 0) throw new BundleError('WRONG_KEY', `${what}: not signed by any key of root v${root.version}`);
  if (trusted.size === 0) throw new BundleError('TAMPERED', `${what}: signatures by trusted keys do not verify (payload or signature altered)`);
  if (trusted.size < root.threshold) throw new BundleError('BELOW_THRESHOLD', `${what}: ${trusted.size} valid signature(s), root v${root.version} needs ${root.threshold}`);
  return body;
}

function parseEnvelope(input: unknown): Envelope {
  const text = typeof input === 'string' ? input : JSON.stringify(input);
  if (text.length > MAX_ENVELOPE_BYTES) throw new BundleError('MALFORMED', 'envelope larger than 1 MiB');
  let e: Envelope;
  try { e = JSON.parse(text) as Envelope; } catch { throw new BundleError('MALFORMED', 'envelope is not JSON'); }
  if (!e || typeof e.payloadType !== 'string' || typeof e.payload !== 'string' || !Array.isArray(e.signatures) || e.signatures.some((s) => typeof s?.keyid !== 'string' || typeof s?.sig !== 'string')) {
    throw new BundleError('MALFORMED', 'envelope needs payloadType, payload and signatures[{keyid,sig}]');
  }
  return e;
}

function expired(iso: string, now: number): boolean {
  const t = Date.parse(iso);
  return !Number.isFinite(t) || t <= now;
}

/** A fresh verifier state for a pinned root. */
export function initialState(root: TrustRoot): BundleState { return { root, lastVersion: 0, active: null }; }

/**
 * Verifies a policy bundle and returns the new state; on any failure throws BundleError and the caller
 * keeps its current state (the previous good policy stays active).
 */
export async function applyPolicyBundle(state: BundleState, input: unknown, now: number = Date.now()): Promise<BundleState> {
  const env = parseEnvelope(input);
  if (env.payloadType !== POLICY_TYPE) throw new BundleError('UNSUPPORTED_TYPE', `payloadType ${env.payloadType} is not ${POLICY_TYPE}`);
  if (expired(state.root.expiresAt, now)) throw new BundleError('EXPIRED', `root v${state.root.version} expired at ${state.root.expiresAt}`);
  const body = await verifyAgainst(env, state.root, 'policy bundle');
  let p: PolicyPayload;
  try { p = JSON.parse(dec.decode(body)) as PolicyPayload; } catch { throw new BundleError('MALFORMED', 'payload is not JSON'); }
  if (!Number.isSafeInteger(p.bundleVersion) || p.bundleVersion < 1 || typeof p.policy !== 'object' || p.policy === null) throw new BundleError('MALFORMED', 'payload needs bundleVersion >= 1 and a policy object');
  if (p.bundleVersion <= state.lastVersion) throw new BundleError('ROLLBACK', `bundle version ${p.bundleVersion} is not newer than ${state.lastVersion}`);
  if (expired(p.expiresAt, now)) throw new BundleError('EXPIRED', `bundle v${p.bundleVersion} expired at ${p.expiresAt}`);
  let policy: DefenderPolicy;
  try { policy = resolvePolicy(p.policy); } catch (err) { throw new BundleError('INVALID_POLICY', (err as Error).message); }
  return { root: state.root, lastVersion: p.bundleVersion, active: { payload: p, policy } };
}

/** Applies a root rotation: version N+1, signed by a threshold of root N and of root N+1. */
export async function applyRootRotation(state: BundleState, input: unknown, now: number = Date.now()): Promise<BundleState> {
  const env = parseEnvelope(input);
  if (env.payloadType !== ROOT_TYPE) throw new BundleError('UNSUPPORTED_TYPE', `payloadType ${env.payloadType} is not ${ROOT_TYPE}`);
  const body = await verifyAgainst(env, state.root, `root rotation (old root v${state.root.version})`);
  let next: TrustRoot;
  try { next = JSON.parse(dec.decode(body)) as TrustRoot; } catch { throw new BundleError('MALFORMED', 'root payload is not JSON'); }
  if (!next || !Number.isSafeInteger(next.version) || !Number.isSafeInteger(next.threshold) || next.threshold < 1 || typeof next.keys !== 'object' || Object.keys(next.keys).length < next.threshold) throw new BundleError('MALFORMED', 'root needs version, threshold >= 1 and at least threshold keys');
  if (next.version !== state.root.version + 1) throw new BundleError(next.version <= state.root.version ? 'ROLLBACK' : 'ROOT_VERSION', `root version ${next.version} must be exactly ${state.root.version + 1}`);
  await verifyAgainst(env, next, `root rotation (new root v${next.version})`);
  if (expired(next.expiresAt, now)) throw new BundleError('EXPIRED', `root v${next.version} expired at ${next.expiresAt}`);
  return { ...state, root: next };
}
