/**
 * Gateway credentials: the admin token plus configured tokens/passwords, each mapped to a role and a
 * granted scope set. Secrets are kept as digests (`sha256:<hex>` for high-entropy tokens,
 * `pbkdf2-sha256:<iterations>:<salt b64>:<hash b64>` for passwords) and compared in constant time.
 */
import { z } from 'zod';
import { constantTimeEqual, sha256Hex, adminTokenDigest } from '../auth.ts';
import type { Env } from '../env.ts';
import { OPERATOR_SCOPES, type OperatorScope, type Role } from './scopes.ts';

/** One configured credential (config `gateway.credentials[]`, Workers var EDGECLAW_GATEWAY_CREDENTIALS as JSON). */
export const CredentialSchema = z.strictObject({
  id: z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, 'expected letters, digits, _ . -'),
  kind: z.enum(['token', 'password']).default('token'),
  /** Plain secret (hashed at load) or a digest: `sha256:<64 hex>` / `pbkdf2-sha256:<iter>:<salt>:<hash>`. */
  secret: z.string().min(8, 'expected at least 8 characters'),
  role: z.enum(['operator', 'node']).default('operator'),
  scopes: z.array(z.enum(OPERATOR_SCOPES)).default(['operator.read']),
});
export type Credential = z.output<typeof CredentialSchema>;

/** What a verified secret resolves to. */
export interface Principal {
  credentialId: string;
  role: Role;
  /** Scopes the credential grants (the connection may ask for fewer). */
  granted: OperatorScope[];
  method: 'token' | 'password';
}

const ALL_SCOPES: OperatorScope[] = [...OPERATOR_SCOPES];

function b64(bytes: ArrayBuffer | Uint8Array): string {
  let s = '';
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s);
}

/** PBKDF2-SHA256 digest string for a password (for `edgeclaw token`/config tooling and tests). */
export async function hashPassword(password: string, iterations = 100_000, salt = crypto.getRandomValues(new Uint8Array(16))): Promise<string> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(password), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, 256);
  return `pbkdf2-sha256:${iterations}:${b64(salt)}:${b64(bits)}`;
}

async function matches(stored: string, presented: string): Promise<boolean> {
  if (stored.startsWith('pbkdf2-sha256:')) {
    const [, iter, saltB64, hashB64] = stored.split(':');
    const salt = Uint8Array.from(atob(saltB64 ?? ''), (c) => c.charCodeAt(0));
    const again = await hashPassword(presented, Number(iter), salt);
    return constantTimeEqual(again.split(':')[3] ?? '', hashB64 ?? '');
  }
  const expected = /^sha256:[0-9a-f]{64}$/.test(stored) ? stored.slice(7) : await sha256Hex(stored);
  return constantTimeEqual(await sha256Hex(presented), expected);
}

const cache = new WeakMap<object, Credential[]>();

/** Configured credentials of this env (validated once per env object). Throws on a malformed var. */
export function credentialsOf(env: Env): Credential[] {
  let list = cache.get(env);
  if (!list) {
    const raw = env.EDGECLAW_GATEWAY_CREDENTIALS;
    list = raw ? z.array(CredentialSchema).max(256).parse(JSON.parse(raw)) : [];
    cache.set(env, list);
  }
  return list;
}

/**
 * The principal a presented secret belongs to, or null. Every configured secret is checked (no early
 * exit), so timing does not reveal which credential, if any, matched.
 */
export async function authenticate(env: Env, presented: { token?: string; password?: string }): Promise<Principal | null> {
  let found: Principal | null = null;
  const admin = await adminTokenDigest(env);
  if (admin && presented.token !== undefined) {
    if (constantTimeEqual(await sha256Hex(presented.token), admin)) found = { credentialId: 'admin', role: 'operator', granted: ALL_SCOPES, method: 'token' };
  }
  for (const c of credentialsOf(env)) {
    const candidate = c.kind === 'password' ? presented.password : presented.token;
    if (candidate === undefined) continue;
    if ((await matches(c.secret, candidate)) && !found) {
      found = { credentialId: c.id, role: c.role, granted: c.role === 'node' ? [] : c.scopes, method: c.kind };
    }
  }
  return found;
}

/** Whether any credential is configured at all (no credential = the gateway refuses every connection). */
export async function anyCredential(env: Env): Promise<boolean> {
  return (await adminTokenDigest(env)) !== null || credentialsOf(env).length > 0;
}
