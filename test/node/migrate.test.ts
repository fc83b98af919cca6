// migrateRegistry on real registry files: idempotent, recorded like `wrangler d1 migrations apply`,
// refuses databases from a newer build, and safe when several processes start on one fresh file.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrateRegistry } from '../../node-adapter/migrate.ts';
import { openDatabase } from '../../node-adapter/sqlite.ts';
import { MIGRATIONS } from '../../src/storage/migrations.gen.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CHILD = join(import.meta.dirname, 'fixtures', 'migrate-child.ts');
const MIGRATION_FILES = readdirSync(join(ROOT, 'migrations'))
  .filter((f) => f.endsWith('.sql'))
  .sort();

let dir: string;
let file: string;
const open: DatabaseSync[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgeclaw-migrate-'));
  file = join(dir, 'registry.sqlite');
});

afterEach(() => {
  for (const db of open.splice(0)) if (db.isOpen) db.close();
  rmSync(dir, { recursive: true, force: true });
});

function openRegistry(): DatabaseSync {
  const db = openDatabase(file);
  open.push(db);
  return db;
}

function recorded(db: DatabaseSync): string[] {
  return (db.prepare('SELECT name FROM d1_migrations ORDER BY id').all() as { name: string }[]).map((r) => r.name);
}

function tables(db: DatabaseSync): string[] {
  return (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[]).map(
    (r) => r.name,
  );
}

describe('migrateRegistry', () => {
  it('embeds one migration per file in migrations/, in file order', () => {
    expect(MIGRATION_FILES.length).toBeGreaterThan(0);
    expect(MIGRATIONS.map((m) => m.name)).toEqual(MIGRATION_FILES);
  });

  it('applies every migration to a fresh file and records each name in d1_migrations', () => {
    const db = openRegistry();
    expect(migrateRegistry(db)).toEqual(MIGRATION_FILES);
    expect(recorded(db)).toEqual(MIGRATION_FILES);
    expect(tables(db)).toEqual(expect.arrayContaining(['audit', 'd1_migrations', 'meta', 'sessions']));
  });

  it('applies nothing on a second run, also from a new connection', () => {
    const db = openRegistry();
    migrateRegistry(db);
    expect(migrateRegistry(db)).toEqual([]);
    db.close();
    const again = openRegistry();
    expect(migrateRegistry(again)).toEqual([]);
    expect(recorded(again)).toEqual(MIGRATION_FILES);
  });

  it('refuses a registry that has a migration this build does not know, naming it', () => {
    const db = openRegistry();
    migrateRegistry(db);
    db.prepare('INSERT INTO d1_migrations (name) VALUES (?)').run('9999_from_the_future.sql');
    expect(() => migrateRegistry(db)).toThrow(
      /registry has migrations this build does not know \(9999_from_the_future\.sql\).*newer edgeclaw/,
    );
  });

  it('rolls back a failing migration entirely and does not record it', () => {
    const db = openRegistry();
    const migrations = [
      { name: '0000_ok.sql', sql: 'CREATE TABLE ok_table (a INTEGER);' },
      { name: '0001_broken.sql', sql: 'CREATE TABLE half_done (a INTEGER);\nINSERT INTO no_such_table VALUES (1);' },
    ];
    expect(() => migrateRegistry(db, migrations)).toThrow(/registry migration 0001_broken\.sql failed: .*no such table/);
    expect(recorded(db)).toEqual(['0000_ok.sql']);
    expect(tables(db)).toContain('ok_table');
    expect(tables(db)).not.toContain('half_done');
    expect(db.isTransaction).toBe(false);
    // Fixed, it applies on the next run.
    const fixed = [migrations[0]!, { name: '0001_broken.sql', sql: 'CREATE TABLE half_done (a INTEGER);' }];
    expect(migrateRegistry(db, fixed)).toEqual(['0001_broken.sql']);
  });

  it('applies each migration exactly once when several processes migrate one fresh file at the same moment', async () => {
    const children = Array.from({ length: 4 }, () => {
      const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', CHILD, file], {
        cwd: ROOT,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const lines: string[] = [];
      const waiters: (() => void)[] = [];
      createInterface({ input: child.stdout }).on('line', (line) => {
        lines.push(line);
        waiters.splice(0).forEach((w) => w());
      });
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      const line = async (n: number): Promise<string> => {
        while (lines.length <= n) {
          const exit = exited.then((code) => {
            throw new Error(`child exited (${code}) before line ${n}: ${stderr}`);
          });
          await Promise.race([new Promise<void>((r) => waiters.push(r)), exit]);
        }
        return lines[n]!;
      };
      return { child, line, exited, stderr: () => stderr };
    });

    // Barrier: every child has opened the file before any starts migrating.
    for (const c of children) expect(await c.line(0)).toBe('ready');
    for (const c of children) c.child.stdin.end('go\n');

    const applied: string[] = [];
    for (const c of children) {
      const result = JSON.parse(await c.line(1)) as { applied: string[] };
      applied.push(...result.applied);
      expect(await c.exited, c.stderr()).toBe(0);
    }
    expect(applied.sort()).toEqual(MIGRATION_FILES);

    const db = openRegistry();
    expect(recorded(db)).toEqual(MIGRATION_FILES);
    expect(migrateRegistry(db)).toEqual([]);
  });
});
