/** Registry migration status, read the same way on D1 and on the Node SQLite file. */
import type { DbBinding } from '../env.ts';
import { MIGRATIONS } from './migrations.gen.ts';

/** Name of the table wrangler (`d1 migrations apply`) and the Node migrator record applied files in. */
export const MIGRATIONS_TABLE = 'd1_migrations';

/** Names of migrations this build expects that the database has not applied yet (all of them if the table is missing). */
export async function pendingMigrations(db: DbBinding): Promise<string[]> {
  let applied: Set<string>;
  try {
    const rows = await db.prepare(`SELECT name FROM ${MIGRATIONS_TABLE}`).all<{ name: string }>();
    applied = new Set(rows.results.map((r) => r.name));
  } catch (err) {
    if (/no such table/i.test(String(err))) return MIGRATIONS.map((m) => m.name);
    throw err;
  }
  return MIGRATIONS.map((m) => m.name).filter((name) => !applied.has(name));
}
