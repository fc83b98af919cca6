// The registry migrations in migrations/ match the drizzle schema, and the embedded copy matches the files.
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/storage/migrations.gen.ts';
import { tempDir } from '../node/server-process.ts';

const ROOT = join(import.meta.dirname, '..', '..');

describe('registry migrations', () => {
  it('embeds exactly the SQL files in migrations/, in order', () => {
    const res = spawnSync(process.execPath, [join(ROOT, 'scripts/embed-migrations.mjs'), '--check'], { encoding: 'utf8' });
    expect(res.status, res.stderr).toBe(0);
    expect(MIGRATIONS.map((m) => m.name)).toEqual(readdirSync(join(ROOT, 'migrations')).filter((f) => f.endsWith('.sql')).sort());
  });

  it('has no schema change that drizzle-kit would still generate', () => {
    const dir = tempDir();
    try {
      cpSync(join(ROOT, 'migrations'), join(dir.path, 'migrations'), { recursive: true });
      const res = spawnSync(
        process.execPath,
        [join(ROOT, 'node_modules/drizzle-kit/bin.cjs'), 'generate', '--dialect', 'sqlite', '--schema', join(ROOT, 'src/storage/schema.ts'), '--out', 'migrations'],
        { cwd: dir.path, encoding: 'utf8' },
      );
      expect(res.status, res.stderr).toBe(0);
      expect(res.stdout + res.stderr).toMatch(/No schema changes/);
      expect(readdirSync(join(dir.path, 'migrations')).filter((f) => f.endsWith('.sql'))).toEqual(MIGRATIONS.map((m) => m.name));
    } finally {
      dir.cleanup();
    }
  });
});
