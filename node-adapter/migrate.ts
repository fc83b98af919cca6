/**
 * Applies the registry migrations (embedded from migrations/) to the Node SQLite file, recording them in
 * `d1_migrations` exactly as `wrangler d1 migrations apply` does. Idempotent and versioned; each
 * migration runs in its own IMMEDIATE transaction, so two processes starting at once apply it once.
 */
import type { DatabaseSync } from 'node:sqlite';
import { MIGRATIONS, type Migration } from '../src/storage/migrations.gen.ts';
import { MIGRATIONS_TABLE } from '../src/storage/migrations.ts';

/** Migration names applied by this call (empty when already up to date). */
export function migrateRegistry(db: DatabaseSync, migrations: readonly Migration[] = MIGRATIONS): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE,
    applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)`);
  const known = new Set(migrations.map((m) => m.name));
  const unknown = (db.prepare(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY id`).all() as { name: string }[])
    .map((r) => r.name)
    .filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new Error(`registry has migrations this build does not know (${unknown.join(', ')}): it was written by a newer edgeclaw; upgrade instead of downgrading`);
  }
  const applied: string[] = [];
  for (const m of migrations) {
    db.exec('BEGIN IMMEDIATE');
    try {
      const done = db.prepare(`SELECT 1 FROM ${MIGRATIONS_TABLE} WHERE name = ?`).get(m.name);
      if (!done) {
        db.exec(m.sql);
        db.prepare(`INSERT INTO ${MIGRATIONS_TABLE} (name) VALUES (?)`).run(m.name);
        applied.push(m.name);
      }
      db.exec('COMMIT');
    } catch (err) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw new Error(`registry migration ${m.name} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
  return applied;
}
