/**
 * LimiterDO: the global concurrency limit on simultaneous runs, as leases in one object's SQLite
 * (src/scheduler/limiter.ts decides). Sessions call it once per turn start and end, never on enqueue, so
 * it stays off the message's ack path. On Node the same class runs in the in-process host.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../src/env.ts';
import { decideAcquire, type Lease } from '../src/scheduler/limiter.ts';

export class LimiterDO extends DurableObject<Env> {
  #ready = false;

  #ensureReady(): void {
    if (this.#ready) return;
    this.ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS leases (holder TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)`);
    this.#ready = true;
  }

  /** Grants `holder` a slot among `max` (renewing its own), or refuses with a retry hint. */
  async acquire(holder: string, max: number, ttlMs: number): Promise<{ granted: boolean; retryAfterMs?: number; active: number }> {
    this.#ensureReady();
    const sql = this.ctx.storage.sql;
    const leases: Lease[] = sql
      .exec<{ holder: string; expires_at: number }>(`SELECT holder, expires_at FROM leases`)
      .toArray()
      .map((r) => ({ holder: String(r.holder), expiresAt: Number(r.expires_at) }));
    const d = decideAcquire(leases, holder, max, ttlMs, Date.now());
    for (const h of d.expired) sql.exec(`DELETE FROM leases WHERE holder = ?`, h);
    if (!d.granted) return { granted: false, retryAfterMs: d.retryAfterMs, active: leases.length - d.expired.length };
    sql.exec(
      `INSERT INTO leases (holder, expires_at) VALUES (?, ?) ON CONFLICT(holder) DO UPDATE SET expires_at = excluded.expires_at`,
      d.lease.holder, d.lease.expiresAt,
    );
    return { granted: true, active: Number(sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM leases`).one().n) };
  }

  /** Frees `holder`'s slot (a no-op when it holds none). */
  async release(holder: string): Promise<void> {
    this.#ensureReady();
    this.ctx.storage.sql.exec(`DELETE FROM leases WHERE holder = ?`, holder);
  }

  /** Live leases now (for status and tests). */
  async active(): Promise<number> {
    this.#ensureReady();
    return Number(this.ctx.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM leases WHERE expires_at > ?`, Date.now()).one().n);
  }
}
