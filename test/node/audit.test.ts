// recordDecision on the Node D1 wrapper over a migrated registry: bounded detail, 200-char excerpt, oldest rows pruned past the cap.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeD1Database } from '../../node-adapter/d1.ts';
import { migrateRegistry } from '../../node-adapter/migrate.ts';
import { openDatabase } from '../../node-adapter/sqlite.ts';
import type { DbBinding } from '../../src/env.ts';
import { AUDIT_EXCERPT_MAX, recordDecision } from '../../src/storage/repos/audit.ts';

let dir: string;
let db: DatabaseSync;
let binding: DbBinding;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgeclaw-audit-'));
  db = openDatabase(join(dir, 'registry.sqlite'));
  migrateRegistry(db);
  // SAFETY: NodeD1Database implements the D1 surface DbBinding names (prepare/batch/exec).
  binding = new NodeD1Database(db) as unknown as DbBinding;
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const rows = () => db.prepare('SELECT id, at, actor, action, detail FROM audit ORDER BY id').all() as { id: number; at: number; actor: string; action: string; detail: string }[];

describe('recordDecision', () => {
  it('stores kind, decision, score, top reasons, session and run id with a short excerpt only', async () => {
    const secretTail = 'TAIL-NEVER-STORED';
    await recordDecision(binding, {
      kind: 'tool_call', decision: 'block', score: 90, tool: 'exec', sessionKey: 'agent:main:main', runId: 'run-1', at: 42,
      reasons: ['command_guard:fs.rm_rf', 'host_guard:home', 'a:1', 'b:2', 'c:3', 'd:4', 'e:5'],
      excerpt: `${'x'.repeat(5_000)}${secretTail}`,
    });
    const [r] = rows();
    expect(r).toMatchObject({ at: 42, actor: 'defender', action: 'decision.block' });
    const detail = JSON.parse(r!.detail) as Record<string, unknown>;
    expect(detail).toMatchObject({ kind: 'tool_call', decision: 'block', score: 90, tool: 'exec', session: 'agent:main:main', runId: 'run-1' });
    expect(detail.reasons).toEqual(['command_guard:fs.rm_rf', 'host_guard:home', 'a:1', 'b:2', 'c:3']);
    expect((detail.excerpt as string).length).toBeLessThanOrEqual(AUDIT_EXCERPT_MAX);
    expect(r!.detail).not.toContain(secretTail);
  });

  it('deletes the oldest rows once the cap is passed, checked every N inserts', async () => {
    for (let i = 1; i <= 12; i++) await recordDecision(binding, { kind: 'tool_result', decision: 'allow', score: i, reasons: [], at: i }, { maxRows: 5, pruneEvery: 4 });
    // Pruned at ids 8 (keeps 4..8) and 12 (keeps 8..12): never more than maxRows + pruneEvery - 1 rows.
    expect(rows().map((r) => r.id)).toEqual([8, 9, 10, 11, 12]);
  });

  it('leaves other audit rows alone until they fall out of the window', async () => {
    db.prepare("INSERT INTO audit (at, actor, action, detail) VALUES (1, 'admin', 'login', NULL)").run();
    await recordDecision(binding, { kind: 'tool_call', decision: 'review', score: 40, reasons: ['x:y'] }, { maxRows: 5, pruneEvery: 1 });
    expect(rows().map((r) => r.action)).toEqual(['login', 'decision.review']);
  });
});
