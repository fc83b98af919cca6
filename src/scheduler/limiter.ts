/**
 * Global concurrency limit as pure lease logic: at most `max` holders at once; a lease expires after
 * its TTL so a holder that died cannot keep a slot forever. LimiterDO stores the leases.
 */

/** A lease: who holds a slot and until when. */
export interface Lease {
  holder: string;
  expiresAt: number;
}

/** Outcome of an acquire: granted (renewing the holder's own lease), or refused with a retry hint. */
export type AcquireDecision =
  | { granted: true; lease: Lease; expired: string[] }
  | { granted: false; retryAfterMs: number; expired: string[] };

/** Retry hint of a refused acquire: slots are released early (runs end), so lease expiry says little. */
export const RETRY_MS = 250;

/**
 * Grants `holder` a slot if it already has one or fewer than `max` live leases exist; expired leases
 * are reported for deletion.
 * @example decideAcquire([], 'agent:main:main', 4, 60_000, now).granted === true
 */
export function decideAcquire(leases: readonly Lease[], holder: string, max: number, ttlMs: number, now: number): AcquireDecision {
  const expired = leases.filter((l) => l.expiresAt <= now).map((l) => l.holder);
  const live = leases.filter((l) => l.expiresAt > now);
  const lease = { holder, expiresAt: now + ttlMs };
  if (live.some((l) => l.holder === holder) || live.length < max) return { granted: true, lease, expired };
  return { granted: false, retryAfterMs: RETRY_MS, expired };
}
