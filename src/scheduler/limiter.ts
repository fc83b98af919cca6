/**
 * Global limits as pure logic over plain data: (1) run concurrency as leases (at most `max` holders at
 * once; a lease expires after its TTL, so a holder that died cannot keep a slot forever; a waiting holder
 * is granted in FIFO order the moment a slot frees, never by polling), and (2) the global queue bound as
 * per-session queued counts whose sum may not pass the cap. LimiterDO stores both and wires the waiters.
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

/** Retry hint of a refused acquire: a slot frees when some run ends, which lease expiry says little about. */
export const RETRY_MS = 1_000;

/**
 * Grants `holder` a slot if it already holds one, or if fewer than `max` live leases exist and nobody is
 * waiting ahead of it (`waitingAhead`: FIFO fairness, so a busy session cannot starve waiting ones).
 * Expired leases are reported for deletion.
 * @example decideAcquire([], 'agent:main:main', 4, 60_000, now).granted === true
 */
export function decideAcquire(leases: readonly Lease[], holder: string, max: number, ttlMs: number, now: number, waitingAhead = 0): AcquireDecision {
  const expired = leases.filter((l) => l.expiresAt <= now).map((l) => l.holder);
  const live = leases.filter((l) => l.expiresAt > now);
  const lease = { holder, expiresAt: now + ttlMs };
  if (live.some((l) => l.holder === holder)) return { granted: true, lease, expired };
  if (live.length < max && waitingAhead === 0) return { granted: true, lease, expired };
  return { granted: false, retryAfterMs: RETRY_MS, expired };
}

/**
 * When the next live lease expires (a waiter may be granted then), or null without live leases.
 * @example nextExpiry([{ holder: 'a', expiresAt: 5 }], 1) === 5
 */
export function nextExpiry(leases: readonly Lease[], now: number): number | null {
  let next: number | null = null;
  for (const l of leases) if (l.expiresAt > now && (next === null || l.expiresAt < next)) next = l.expiresAt;
  return next;
}

/** Outcome of a global queue admission. */
export type AdmitDecision = { admitted: true; total: number } | { admitted: false; total: number; retryAfterMs: number };

/**
 * Admits a session's new queued count `desired` (its absolute count, so a repeated or stale report
 * corrects itself) if the global total stays within `cap`. Shrinking or equal counts always pass.
 * @example decideAdmit(9, 2, 3, 10) // { admitted: true, total: 10 }
 */
export function decideAdmit(total: number, mine: number, desired: number, cap: number): AdmitDecision {
  const next = total - mine + desired;
  if (desired <= mine || next <= cap) return { admitted: true, total: next };
  return { admitted: false, total, retryAfterMs: RETRY_MS };
}

/** A holder waiting for a slot. */
interface Waiter {
  readonly holder: string;
  readonly max: number;
  readonly ttlMs: number;
  readonly resolve: (granted: boolean) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/**
 * FIFO of holders waiting for a concurrency slot, held in memory by the limiter object while their
 * acquire calls are pending. `grant` is asked for each head in turn when a slot may have freed.
 */
export class LeaseWaiters {
  readonly #list: Waiter[] = [];

  /** Waiting holders now. */
  get size(): number {
    return this.#list.length;
  }

  /**
   * Waits up to `waitMs` to be granted; resolves true once granted, false on timeout.
   * @example const ok = await waiters.wait('agent:main:main', 8, 60_000, 30_000);
   */
  wait(holder: string, max: number, ttlMs: number, waitMs: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        const i = this.#list.indexOf(waiter);
        if (i >= 0) this.#list.splice(i, 1);
        resolve(false);
      }, waitMs);
      const waiter: Waiter = { holder, max, ttlMs, resolve, timer };
      this.#list.push(waiter);
    });
  }

  /** Grants heads in order while `tryGrant` accepts them (it records the lease); stops at the first refusal. */
  grantInOrder(tryGrant: (holder: string, max: number, ttlMs: number) => boolean): void {
    while (this.#list.length > 0) {
      const head = this.#list[0]!;
      if (!tryGrant(head.holder, head.max, head.ttlMs)) return;
      this.#list.shift();
      clearTimeout(head.timer);
      head.resolve(true);
    }
  }
}
