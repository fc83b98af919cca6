/**
 * Slack request signing (https://api.slack.com/authentication/verifying-requests-from-slack): the
 * signature is `v0=` + hex HMAC-SHA256 of `v0:<X-Slack-Request-Timestamp>:<raw body>` with the signing
 * secret. WebCrypto only (both runtimes); compared in constant time; stale timestamps are replays.
 */
import { constantTimeEqual } from '../../auth.ts';

/** Slack's replay window: requests whose timestamp is further than this from now are refused. */
export const SLACK_TIMESTAMP_WINDOW_MS = 5 * 60 * 1000;

/** Hex HMAC-SHA256 of `message` under `secret`. */
export async function hmacSha256Hex(secret: string, message: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, enc.encode(message)));
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The `v0=` signature Slack would send for `body` at `timestamp` (seconds); tests and fakes sign with it. */
export async function signSlackRequest(secret: string, timestamp: string, body: string): Promise<string> {
  return `v0=${await hmacSha256Hex(secret, `v0:${timestamp}:${body}`)}`;
}

/** Why a request was refused (never includes the secret or the expected signature). */
export type SignatureResult = { readonly ok: true } | { readonly ok: false; readonly reason: 'missing' | 'stale' | 'mismatch' };

/**
 * Verifies one request. `now` is injected so the window is testable without sleeping.
 * @example await verifySlackSignature({ secret, timestamp, signature, body, now: Date.now() })
 */
export async function verifySlackSignature(input: { secret: string; timestamp: string | undefined; signature: string | undefined; body: string; now: number }): Promise<SignatureResult> {
  const { timestamp, signature } = input;
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp) || !/^v0=[0-9a-f]{64}$/.test(signature)) return { ok: false, reason: 'missing' };
  if (Math.abs(input.now - Number(timestamp) * 1000) > SLACK_TIMESTAMP_WINDOW_MS) return { ok: false, reason: 'stale' };
  const expected = await signSlackRequest(input.secret, timestamp, input.body);
  return constantTimeEqual(signature, expected) ? { ok: true } : { ok: false, reason: 'mismatch' };
}
