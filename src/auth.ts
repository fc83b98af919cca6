/**
 * Gateway admin authentication for HTTP control routes: `Authorization: Bearer <token>`, compared as
 * SHA-256 digests in constant time. No token configured means the control surface is closed, not open.
 */
import type { MiddlewareHandler } from 'hono';
import { GatewayError } from './errors.ts';
import type { Env } from './env.ts';

const encoder = new TextEncoder();

/** Lower-case hex SHA-256 of a UTF-8 string (Web Crypto, both runtimes). */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', encoder.encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Compares two equal-purpose strings without an early exit (length differences still take full time). */
export function constantTimeEqual(a: string, b: string): boolean {
  const len = Math.max(a.length, b.length);
  let diff = a.length ^ b.length;
  for (let i = 0; i < len; i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}

/** The configured admin token digest (hex), or null when none is configured. */
export async function adminTokenDigest(env: Pick<Env, 'EDGECLAW_GATEWAY_TOKEN' | 'EDGECLAW_GATEWAY_TOKEN_HASH'>): Promise<string | null> {
  const hashed = env.EDGECLAW_GATEWAY_TOKEN_HASH;
  if (hashed && /^sha256:[0-9a-f]{64}$/.test(hashed)) return hashed.slice(7);
  const plain = env.EDGECLAW_GATEWAY_TOKEN;
  if (plain?.startsWith('sha256:') && /^sha256:[0-9a-f]{64}$/.test(plain)) return plain.slice(7);
  return plain ? sha256Hex(plain) : null;
}

/** True when `presented` is the admin token. */
export async function verifyAdminToken(env: Env, presented: string): Promise<boolean> {
  const expected = await adminTokenDigest(env);
  if (!expected) return false;
  return constantTimeEqual(await sha256Hex(presented), expected);
}

/** Hono middleware requiring the admin bearer token. */
export function requireAdmin(): MiddlewareHandler<{ Bindings: Env }> {
  return async (c, next) => {
    if (!(await adminTokenDigest(c.env))) {
      throw new GatewayError('UNAVAILABLE', 'gateway token not configured: set EDGECLAW_GATEWAY_TOKEN');
    }
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match || !(await verifyAdminToken(c.env, match[1]!))) {
      c.header('WWW-Authenticate', 'Bearer realm="edgeclaw"');
      throw new GatewayError('UNAUTHORIZED', 'missing or invalid bearer token');
    }
    await next();
  };
}
