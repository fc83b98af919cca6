/**
 * The Node host's data directory: created 0700 on first start, locked so only one server uses it, and
 * home of the generated admin token (only its SHA-256 digest is kept, in a 0600 file).
 */
import { randomBytes, createHash } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, writeSync, renameSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { DatabaseSync as Sqlite } from 'node:sqlite';

/** Creates (0700) and returns the absolute data directory. */
export function ensureDataDir(dir: string): string {
  const abs = resolve(dir);
  mkdirSync(abs, { recursive: true, mode: 0o700 });
  if (!statSync(abs).isDirectory()) throw new Error(`data dir ${abs} is not a directory`);
  return abs;
}

/**
 * Takes the data dir's exclusive lock (an SQLite EXCLUSIVE lock, released by the kernel even on kill -9).
 * Throws a clear error if another process holds it.
 */
export function lockDataDir(dir: string): { release(): void } {
  const db: DatabaseSync = new Sqlite(join(dir, 'edgeclaw.lock'), { timeout: 0 });
  try {
    db.exec('PRAGMA locking_mode = EXCLUSIVE');
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER)');
    db.exec('BEGIN EXCLUSIVE');
    db.prepare('DELETE FROM holder').run();
    db.prepare('INSERT INTO holder (pid) VALUES (?)').run(process.pid);
  } catch (err) {
    db.close();
    if (/locked|busy/i.test(String(err))) {
      throw new Error(`data dir ${dir} is in use by another edgeclaw process; stop it or set EDGECLAW_DATA_DIR to another directory`);
    }
    throw err;
  }
  return {
    release() {
      if (db.isTransaction) db.exec('ROLLBACK');
      db.close();
    },
  };
}

/** Where the generated token's digest is kept. */
export function adminTokenFile(dir: string): string {
  return join(dir, 'secrets', 'gateway-token.json');
}

/**
 * Returns the stored admin token digest (`sha256:<hex>`), generating a token first if there is none.
 * `generated` is the plain token exactly once (to show the operator), otherwise null.
 */
export function ensureAdminToken(dir: string): { digest: string; generated: string | null; file: string } {
  const file = adminTokenFile(dir);
  mkdirSync(join(dir, 'secrets'), { recursive: true, mode: 0o700 });
  chmodSync(join(dir, 'secrets'), 0o700);
  const read = () => {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { sha256?: unknown };
    if (typeof parsed.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(parsed.sha256)) {
      throw new Error(`${file} is malformed (expected {"sha256":"<64 hex>"}); delete it to generate a new token`);
    }
    return `sha256:${parsed.sha256}`;
  };
  try {
    return { digest: read(), generated: null, file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = `ec_${randomBytes(32).toString('base64url')}`;
  const sha256 = createHash('sha256').update(token).digest('hex');
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify({ sha256, createdAt: new Date().toISOString() })}\n`);
  } finally {
    closeSync(fd);
  }
  // Atomic publish; the data dir lock (taken before this runs) means no other server races us.
  renameSync(tmp, file);
  return { digest: `sha256:${sha256}`, generated: token, file };
}
