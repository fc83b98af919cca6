/**
 * LimiterDO: global limits shared by every session, in one object's SQLite (src/scheduler/limiter.ts
 * decides). Two instances by name: `global` holds run-concurrency leases, `queue` holds the per-session
 * queued counts behind the global queue cap. A refused acquire may wait: the caller's RPC stays pending
 * and is answered the moment a slot frees (release or lease expiry), in FIFO order, with no polling.
 * Leases expire, so a holder that died frees its slot after its TTL; live holders renew while they run.
 * On Node the same class runs in the in-process host.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../src/env.ts';
import { decideAcquire, decideAdmit, LeaseWaiters, nextExpiry, RETRY_MS, type AdmitDecision, type Lease } from '../src/scheduler/limiter.ts';

/** Longest wait one acquire call may ask for (the caller asks again after a timeout). */
const MAX_WAIT_MS = 5 * 60_000;

export class LimiterDO extends DurableObject<Env> {
  #ready = false;
  #queuedTotal = 0;
  readonly #waiters = new LeaseWaiters();
  #expiryTimer: ReturnType<typeof setTimeout> | null = null;

  /** Sizes of this object's in-memory state, for the Node host's diagnostics (one waiter per pending acquire call). */
  registrySizes(): Record<string, { size: number; cap: number | null }> {
    return { leaseWaiters: { size: this.#waiters.size, cap: null } };
  }

  #ensureReady(): void {
    if (this.#ready) return;
    const sql = this.ctx.storage.sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS leases (holder TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS queued (holder TEXT PRIMARY KEY, n INTEGER NOT NULL, at INTEGER NOT NULL)`);
    // On the Node host every lease holder lives in this process: a new instance means they all died with the
    // previous one (kill -9, restart), so their leases are dropped now instead of blocking slots until expiry.
    // On Workers holders are other objects that may still run; their leases expire on their own.
    if (this.env.CAPABILITIES?.host === 'node') sql.exec(`DELETE FROM leases`);
    this.#queuedTotal = Number(sql.exec<{ n: number | null }>(`SELECT SUM(n) AS n FROM queued`).one().n ?? 0);
    this.#ready = true;
  }

  #leases(): Lease[] {
    return this.ctx.storage.sql
      .exec<{ holder: string; expires_at: number }>(`SELECT holder, expires_at FROM leases`)
      .toArray()
      .map((r) => ({ holder: String(r.holder), expiresAt: Number(r.expires_at) }));
  }

  /** Applies one acquire decision; true when granted. */
  #tryGrant(holder: string, max: number, ttlMs: number, waitingAhead: number): boolean {
    const sql = this.ctx.storage.sql;
    const d = decideAcquire(this.#leases(), holder, max, ttlMs, Date.now(), waitingAhead);
    for (const h of d.expired) sql.exec(`DELETE FROM leases WHERE holder = ?`, h);
    if (!d.granted) return false;
    sql.exec(
      `INSERT INTO leases (holder, expires_at) VALUES (?, ?) ON CONFLICT(holder) DO UPDATE SET expires_at = excluded.expires_at`,
      d.lease.holder, d.lease.expiresAt,
    );
    return true;
  }

  /** Grants waiting holders in order while slots are free; re-arms the expiry check for the rest. */
  #grantWaiters(): void {
    this.#waiters.grantInOrder((holder, max, ttlMs) => this.#tryGrant(holder, max, ttlMs, 0));
    if (this.#expiryTimer) clearTimeout(this.#expiryTimer);
    this.#expiryTimer = null;
    if (this.#waiters.size === 0) return;
    const next = nextExpiry(this.#leases(), Date.now());
    if (next !== null) this.#expiryTimer = setTimeout(() => this.#grantWaiters(), Math.max(0, next - Date.now()) + 1);
  }

  /**
   * Grants `holder` a slot among `max` (renewing its own lease for `ttlMs`). When none is free it waits
   * up to `waitMs` for one (FIFO) and otherwise refuses with a retry hint.
   */
  async acquire(holder: string, max: number, ttlMs: number, waitMs = 0): Promise<{ granted: boolean; retryAfterMs?: number; waited: boolean; active: number }> {
    this.#ensureReady();
    if (this.#tryGrant(holder, max, ttlMs, this.#waiters.size)) return { granted: true, waited: false, active: this.#active() };
    const wait = Math.min(Math.max(0, waitMs), MAX_WAIT_MS);
    if (wait === 0) return { granted: false, retryAfterMs: RETRY_MS, waited: false, active: this.#active() };
    const pending = this.#waiters.wait(holder, max, ttlMs, wait);
    this.#grantWaiters();
    const granted = await pending;
    return granted ? { granted, waited: true, active: this.#active() } : { granted, retryAfterMs: 0, waited: true, active: this.#active() };
  }

  /** Extends `holder`'s lease by `ttlMs` from now; false when it holds none (it expired or was released). */
  async renew(holder: string, ttlMs: number): Promise<boolean> {
    this.#ensureReady();
    const sql = this.ctx.storage.sql;
    const now = Date.now();
    const held = sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM leases WHERE holder = ? AND expires_at > ?`, holder, now).one().n > 0;
    if (held) sql.exec(`UPDATE leases SET expires_at = ? WHERE holder = ?`, now + ttlMs, holder);
    return held;
  }

  /** Frees `holder`'s slot (a no-op when it holds none) and grants the next waiter. */
  async release(holder: string): Promise<void> {
    this.#ensureReady();
    this.ctx.storage.sql.exec(`DELETE FROM leases WHERE holder = ?`, holder);
    this.#grantWaiters();
  }

  /** Live leases now (for status and tests). */
  async active(): Promise<number> {
    this.#ensureReady();
    return this.#active();
  }

  /** Holders waiting for a slot now (for status and tests). */
  async waiting(): Promise<number> {
    return this.#waiters.size;
  }

  #active(): number {
    return Number(this.ctx.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM leases WHERE expires_at > ?`, Date.now()).one().n);
  }

  /**
   * Global queue bound: records that `holder` now has `desired` items queued, unless that grows the
   * total across sessions beyond `cap` (then refused, nothing changes). Counts are absolute, so a
   * stale count left by a crash is corrected by the session's next call.
   */
  async admit(holder: string, desired: number, cap: number): Promise<AdmitDecision> {
    this.#ensureReady();
    const sql = this.ctx.storage.sql;
    const mine = Number(sql.exec<{ n: number }>(`SELECT n FROM queued WHERE holder = ?`, holder).toArray()[0]?.n ?? 0);
    const d = decideAdmit(this.#queuedTotal, mine, Math.max(0, desired), cap);
    if (!d.admitted) return d;
    if (desired > 0) {
      sql.exec(`INSERT INTO queued (holder, n, at) VALUES (?, ?, ?) ON CONFLICT(holder) DO UPDATE SET n = excluded.n, at = excluded.at`, holder, desired, Date.now());
    } else {
      sql.exec(`DELETE FROM queued WHERE holder = ?`, holder);
    }
    this.#queuedTotal = d.total;
    return d;
  }

  /** Items queued across all sessions, as last reported (for status and tests). */
  async queuedTotal(): Promise<number> {
    this.#ensureReady();
    return this.#queuedTotal;
  }
}
