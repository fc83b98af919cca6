/**
 * Discord interaction request verification
 * (https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint-validating-security-request-headers):
 * `X-Signature-Ed25519` is the hex Ed25519 signature of `X-Signature-Timestamp` + raw body under the
 * application's public key. WebCrypto only (both runtimes). A timestamp outside the window is a replay.
 */

/** Requests whose timestamp is further than this from now are refused. */
export const DISCORD_TIMESTAMP_WINDOW_MS = 5 * 60 * 1000;
/** Imported public keys kept (one per configured application); the oldest are dropped first. */
const KEY_CACHE_CAP = 64;
const keys = new Map<string, Promise<CryptoKey>>();

/** Bytes of a hex string (already validated). */
export function hexBytes(hex: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function publicKey(hex: string): Promise<CryptoKey> {
  const id = hex.toLowerCase();
  let key = keys.get(id);
  if (!key) {
    key = crypto.subtle.importKey('raw', hexBytes(id), { name: 'Ed25519' }, false, ['verify']);
    keys.set(id, key);
    key.catch(() => keys.delete(id));
    while (keys.size > KEY_CACHE_CAP) keys.delete(keys.keys().next().value!);
  }
  return key;
}

/** Why a request was refused (never includes the key or the signature). */
export type DiscordVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: 'missing' | 'stale' | 'mismatch' };

/**
 * Verifies one request. `now` is injected so the window is testable without sleeping.
 * @example await verifyDiscordRequest({ publicKey, signature, timestamp, body: raw, now: Date.now() })
 */
export async function verifyDiscordRequest(input: { publicKey: string; signature: string | undefined; timestamp: string | undefined; body: string; now: number }): Promise<DiscordVerdict> {
  const { signature, timestamp } = input;
  if (!signature || !timestamp || !/^[0-9a-fA-F]{128}$/.test(signature) || !/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'missing' };
  if (Math.abs(input.now - Number(timestamp) * 1000) > DISCORD_TIMESTAMP_WINDOW_MS) return { ok: false, reason: 'stale' };
  let valid = false;
  try {
    valid = await crypto.subtle.verify('Ed25519', await publicKey(input.publicKey), hexBytes(signature), new TextEncoder().encode(timestamp + input.body));
  } catch {
    valid = false;
  }
  return valid ? { ok: true } : { ok: false, reason: 'mismatch' };
}
