/** Session index in the global registry: one row per session key, upserted after the SessionDO commits. */
import { desc, eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import type { DbBinding } from '../../env.ts';
import { sessions } from '../schema.ts';
import type { QueueStatus } from '../../scheduler/session-queue.ts';

/** drizzle over the registry binding (D1 on Workers, the D1-compatible SQLite wrapper on Node). */
export function registryDb(db: DbBinding) {
  // SAFETY: drizzle's D1 driver calls only prepare/bind/all/raw/run/batch, which DbBinding provides.
  return drizzle(db as D1Database, { schema: { sessions } });
}

/** Upserts the summary row of one session. Monotonic: an older snapshot never overwrites a newer one. */
export async function recordSessionIndex(db: DbBinding, key: string, status: QueueStatus, now: number): Promise<void> {
  await registryDb(db)
    .insert(sessions)
    .values({ key, createdAt: now, updatedAt: now, queued: status.queued, processed: status.processed, lastSeq: status.lastSeq })
    .onConflictDoUpdate({
      target: sessions.key,
      set: {
        updatedAt: sql`max(${sessions.updatedAt}, excluded.updated_at)`,
        queued: sql`CASE WHEN excluded.processed > ${sessions.processed}
          OR (excluded.processed = ${sessions.processed} AND excluded.last_seq >= ${sessions.lastSeq})
          THEN excluded.queued ELSE ${sessions.queued} END`,
        processed: sql`max(${sessions.processed}, excluded.processed)`,
        lastSeq: sql`max(${sessions.lastSeq}, excluded.last_seq)`,
      },
    })
    .run();
}

/** Most recently active sessions first. */
export async function listSessions(db: DbBinding, limit: number) {
  return registryDb(db).select().from(sessions).orderBy(desc(sessions.updatedAt)).limit(limit).all();
}

/** Removes one session's row (`sessions.delete`). */
export async function deleteSessionIndex(db: DbBinding, key: string): Promise<void> {
  await registryDb(db).delete(sessions).where(eq(sessions.key, key)).run();
}
