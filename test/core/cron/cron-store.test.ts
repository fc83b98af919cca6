// CronStore on real SQLite (the Node host's ctx.storage.sql): caps, exactly-once claims per due time,
// crash recovery of pending runs, and bounded run history.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CronStore, JobSpecSchema } from '../../../src/cron/cron-store.ts';
import { cronSessionOf } from '../../../src/gateway/control.ts';
import { NodeSqlStorage } from '../../../node-adapter/sql-storage.ts';
import { openDatabase } from '../../../node-adapter/sqlite.ts';

let dir: string;
let db: DatabaseSync;

function store(limits = { maxJobs: 3, runsPerJob: 4 }): CronStore {
  const sql = new NodeSqlStorage(db);
  const s = new CronStore(sql, (fn) => {
    db.exec('BEGIN');
    try {
      const r = fn();
      db.exec('COMMIT');
      return r;
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }, limits);
  s.migrate();
  return s;
}

const every = (ms: number, extra: Record<string, unknown> = {}) => JobSpecSchema.parse({ name: 'tick', schedule: { kind: 'every', everyMs: ms, anchorMs: 0 }, payload: { kind: 'systemEvent', text: 'hi' }, ...extra });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgeclaw-cron-'));
  db = openDatabase(join(dir, 'gw.sqlite'));
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('CronStore', () => {
  it('refuses a job beyond maxJobs with CRON_JOBS_FULL and keeps the others', () => {
    const s = store();
    for (let i = 0; i < 3; i++) s.add(every(60_000), 1_000);
    expect(() => s.add(every(60_000), 1_000)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST', extra: expect.objectContaining({ details: expect.objectContaining({ code: 'CRON_JOBS_FULL', cap: 3 }) }) }));
    expect(s.counts().jobs).toBe(3);
  });

  it('claims each due time once, even when claimDue runs twice', () => {
    const s = store();
    const job = s.add(every(60_000), 1_000);
    expect(job.nextRunAtMs).toBe(60_000);
    expect(s.claimDue(59_999, cronSessionOf)).toEqual([]);
    const runs = s.claimDue(60_000, cronSessionOf);
    expect(runs.map((r) => r.runId)).toEqual([`cron:${job.id}:60000`]);
    expect(runs[0]!.sessionKey).toBe('agent:main:main');
    expect(s.claimDue(60_000, cronSessionOf)).toEqual([]);
    expect(s.get(job.id)!.nextRunAtMs).toBe(120_000);
  });

  it('skips missed intervals after downtime instead of replaying each one', () => {
    const s = store();
    const job = s.add(every(60_000), 1_000);
    expect(s.claimDue(10 * 60_000 + 5, cronSessionOf)).toHaveLength(1);
    expect(s.get(job.id)!.nextRunAtMs).toBe(11 * 60_000);
  });

  it('returns pending runs again after a crash until they are finished', () => {
    let s = store();
    const job = s.add(every(60_000, { sessionTarget: 'isolated' }), 1_000);
    const [run] = s.claimDue(60_000, cronSessionOf);
    expect(run!.sessionKey).toBe(`cron:${job.id}`);
    s = store(); // a new instance over the same file: what a restart sees
    expect(s.pendingRuns().map((r) => r.runId)).toEqual([run!.runId]);
    expect(s.nextWakeAt()).toBe(0);
    s.finishRun(run!.runId, 'ok', 60_010, { summary: 'queued' });
    expect(s.pendingRuns()).toEqual([]);
    expect(s.finishRun(run!.runId, 'ok', 60_020)).toBeNull();
    expect(s.get(job.id)).toMatchObject({ lastRunAtMs: 60_000, lastRunStatus: 'ok' });
  });

  it('keeps only the newest runsPerJob runs of a job', () => {
    const s = store({ maxJobs: 3, runsPerJob: 4 });
    const job = s.add(every(60_000), 1_000);
    for (let i = 1; i <= 7; i++) {
      const [run] = s.claimDue(i * 60_000, cronSessionOf);
      s.finishRun(run!.runId, 'ok', i * 60_000 + 1);
    }
    const { runs, total } = s.runs({ jobId: job.id, limit: 50, offset: 0 });
    expect(total).toBe(4);
    expect(runs.map((r) => r.dueAtMs)).toEqual([7, 6, 5, 4].map((i) => i * 60_000));
  });

  it('disables a one-shot after it fires and deletes it when deleteAfterRun is set', () => {
    const s = store();
    const once = s.add(JobSpecSchema.parse({ name: 'once', schedule: { kind: 'at', at: 5_000 }, payload: { kind: 'agentTurn', message: 'go' } }), 1_000);
    const gone = s.add(JobSpecSchema.parse({ name: 'gone', schedule: { kind: 'at', at: 5_000 }, payload: { kind: 'agentTurn', message: 'go' }, deleteAfterRun: true }), 1_000);
    const runs = s.claimDue(5_000, cronSessionOf);
    expect(runs).toHaveLength(2);
    for (const r of runs) s.finishRun(r.runId, 'ok', 5_001);
    expect(s.get(once.id)).toMatchObject({ enabled: false, lastRunStatus: 'ok' });
    expect(s.get(once.id)!.nextRunAtMs).toBeUndefined();
    expect(s.get(gone.id)).toBeNull();
  });

  it('re-evaluates the schedule on update and keeps unspecified fields', () => {
    const s = store();
    const job = s.add(every(60_000, { description: 'keep me' }), 1_000);
    const updated = s.update(job.id, { schedule: { kind: 'every', everyMs: 5_000, anchorMs: 0 } }, 61_000);
    expect(updated).toMatchObject({ description: 'keep me', nextRunAtMs: 65_000, name: 'tick' });
    expect(s.update(job.id, { enabled: false }, 62_000).nextRunAtMs).toBeUndefined();
    expect(s.nextWakeAt()).toBeNull();
  });
});
