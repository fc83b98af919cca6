/**
 * Durable cron jobs and their run history in the gateway object's SQLite. Firing is two-step so each due
 * time runs exactly once across crashes: `claimDue` records a `pending` run (unique per job and due time)
 * and advances the job in one transaction; the caller then performs the run with the run id as its
 * idempotency key (the session dedupes a repeat) and calls `finishRun`. Pending runs left by a crash are
 * returned again by `pendingRuns`. Jobs are capped (`maxJobs`) and each job keeps its newest `runsPerJob`.
 */
import { z } from 'zod';
import { GatewayError } from '../errors.ts';
import type { SqlPort } from '../scheduler/session-schema.ts';
import { nextRunAt, ScheduleSchema } from './schedule.ts';

/** What a job does when it fires. */
export const PayloadSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('systemEvent'), text: z.string().min(1).max(64 * 1024) }),
  z.looseObject({
    kind: z.literal('agentTurn'),
    message: z.string().min(1).max(128 * 1024),
    model: z.string().min(1).max(200).optional(),
    timeoutSeconds: z.number().int().min(1).max(86_400).optional(),
  }),
]);

/** Where a job's turn goes: `main`, `isolated` (its own `cron:<id>` session), `current` or `session:<key>`. */
export const SessionTargetSchema = z.union([
  z.enum(['main', 'isolated', 'current']),
  z.string().regex(/^session:[A-Za-z0-9_.@+\-]+(?::[A-Za-z0-9_.@+\-]+)*$/, 'expected main, isolated, current or session:<key>').max(520),
]);

/** The editable definition of a job (`cron.add` params; `cron.update` takes a partial one). */
export const JobSpecSchema = z.strictObject({
  name: z.string().min(1).max(200),
  description: z.string().max(2_000).optional(),
  enabled: z.boolean().default(true),
  schedule: ScheduleSchema,
  sessionTarget: SessionTargetSchema.default('main'),
  wakeMode: z.enum(['now', 'next-heartbeat']).default('now'),
  payload: PayloadSchema,
  agentId: z.string().regex(/^[a-z0-9_-]{1,64}$/i, 'expected 1-64 letters, digits, _ or -').optional(),
  sessionKey: z.string().min(1).max(512).optional(),
  deleteAfterRun: z.boolean().optional(),
});
/** `cron.update`'s `patch`: any subset of the definition (no defaults, so absent keys stay as they are). */
export const JobPatchSchema = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  description: z.string().max(2_000).optional(),
  enabled: z.boolean().optional(),
  schedule: ScheduleSchema.optional(),
  sessionTarget: SessionTargetSchema.optional(),
  wakeMode: z.enum(['now', 'next-heartbeat']).optional(),
  payload: PayloadSchema.optional(),
  agentId: z.string().regex(/^[a-z0-9_-]{1,64}$/i, 'expected 1-64 letters, digits, _ or -').optional(),
  sessionKey: z.string().min(1).max(512).optional(),
  deleteAfterRun: z.boolean().optional(),
});

/** A validated job definition. */
export type JobSpec = z.output<typeof JobSpecSchema>;

/** A job as the methods return it (reference CronJob). */
export interface CronJob extends JobSpec {
  id: string;
  createdAtMs: number;
  updatedAtMs: number;
  nextRunAtMs?: number;
  lastRunAtMs?: number;
  lastRunStatus?: 'ok' | 'error' | 'skipped';
  state: { nextRunAtMs?: number; lastRunAtMs?: number; lastRunStatus?: string; lastError?: string };
}

/** One run of a job. */
export interface CronRun {
  runId: string;
  jobId: string;
  dueAtMs: number;
  trigger: 'schedule' | 'manual';
  status: 'pending' | 'ok' | 'error' | 'skipped';
  sessionKey: string | null;
  startedAtMs: number;
  endedAtMs?: number;
  summary?: string;
  error?: string;
}

/** Caps of the store (config `cron.maxJobs`, `cron.runsPerJob`). */
export interface CronLimits {
  maxJobs: number;
  runsPerJob: number;
}

type Row = Record<string, string | number | null | ArrayBuffer>;

/** Raised for an unknown job id (reference `details.code: CRON_JOB_NOT_FOUND`). */
export function jobNotFound(id: string): GatewayError {
  return new GatewayError('INVALID_REQUEST', `cron job not found: ${id}`, { details: { code: 'CRON_JOB_NOT_FOUND', jobId: id } });
}

/** The durable job table and run history. */
export class CronStore {
  readonly #sql: SqlPort;
  readonly #tx: <T>(fn: () => T) => T;
  #limits: CronLimits;

  constructor(sql: SqlPort, transaction: <T>(fn: () => T) => T, limits: CronLimits) {
    this.#sql = sql;
    this.#tx = transaction;
    this.#limits = limits;
  }

  /** Caps can change at run time (config hot reload). */
  setLimits(limits: CronLimits): void {
    this.#limits = limits;
  }

  /** Creates the tables (idempotent). */
  migrate(): void {
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS cron_jobs (id TEXT PRIMARY KEY, spec TEXT NOT NULL, enabled INTEGER NOT NULL,
      next_run_at INTEGER, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, last_run_at INTEGER, last_status TEXT, last_error TEXT)`);
    this.#sql.exec(`CREATE INDEX IF NOT EXISTS cron_jobs_due ON cron_jobs (enabled, next_run_at)`);
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS cron_runs (run_id TEXT PRIMARY KEY, job_id TEXT NOT NULL, due_at INTEGER NOT NULL,
      trigger TEXT NOT NULL, status TEXT NOT NULL, session_key TEXT, started_at INTEGER NOT NULL, ended_at INTEGER,
      summary TEXT, error TEXT, n INTEGER NOT NULL)`);
    this.#sql.exec(`CREATE INDEX IF NOT EXISTS cron_runs_job ON cron_runs (job_id, n)`);
    this.#sql.exec(`CREATE INDEX IF NOT EXISTS cron_runs_status ON cron_runs (status)`);
  }

  /** Adds a job; CRON_JOBS_FULL at the cap. */
  add(spec: JobSpec, now: number, id: string = crypto.randomUUID()): CronJob {
    return this.#tx(() => {
      const count = Number(this.#sql.exec<Row>(`SELECT COUNT(*) AS n FROM cron_jobs`).one().n);
      if (count >= this.#limits.maxJobs) {
        throw new GatewayError('INVALID_REQUEST', `too many cron jobs (cap ${this.#limits.maxJobs}); remove one or raise cron.maxJobs`, {
          details: { code: 'CRON_JOBS_FULL', cap: this.#limits.maxJobs },
        });
      }
      const next = spec.enabled ? this.#firstRun(spec, now, now) : null;
      this.#sql.exec(`INSERT INTO cron_jobs (id, spec, enabled, next_run_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`, id, JSON.stringify(spec), spec.enabled ? 1 : 0, next, now, now);
      return this.get(id)!;
    });
  }

  /** A job by id, or null. */
  get(id: string): CronJob | null {
    const r = this.#sql.exec<Row>(`SELECT * FROM cron_jobs WHERE id = ?`, id).toArray()[0];
    return r ? toJob(r) : null;
  }

  /** Jobs by creation time (disabled ones only when asked). */
  list(opts: { includeDisabled?: boolean; limit: number; offset: number; query?: string }): { jobs: CronJob[]; total: number } {
    const where = opts.includeDisabled ? '' : 'WHERE enabled = 1';
    let jobs = this.#sql.exec<Row>(`SELECT * FROM cron_jobs ${where} ORDER BY created_at, id`).toArray().map(toJob);
    if (opts.query) {
      const q = opts.query.toLowerCase();
      jobs = jobs.filter((j) => j.name.toLowerCase().includes(q) || (j.description ?? '').toLowerCase().includes(q));
    }
    return { jobs: jobs.slice(opts.offset, opts.offset + opts.limit), total: jobs.length };
  }

  /** Applies a partial definition; the schedule is re-evaluated from now. */
  update(id: string, patch: Partial<JobSpec>, now: number): CronJob {
    return this.#tx(() => {
      const job = this.get(id);
      if (!job) throw jobNotFound(id);
      const spec = JobSpecSchema.parse({ ...specOf(job), ...patch });
      const next = spec.enabled ? this.#firstRun(spec, job.createdAtMs, now) : null;
      this.#sql.exec(`UPDATE cron_jobs SET spec = ?, enabled = ?, next_run_at = ?, updated_at = ? WHERE id = ?`, JSON.stringify(spec), spec.enabled ? 1 : 0, next, now, id);
      return this.get(id)!;
    });
  }

  /** Removes a job and its runs; false when unknown. */
  remove(id: string): boolean {
    return this.#tx(() => this.#removeRows(id));
  }

  #removeRows(id: string): boolean {
    const removed = this.#sql.exec<Row>(`DELETE FROM cron_jobs WHERE id = ? RETURNING id`, id).toArray().length > 0;
    this.#sql.exec(`DELETE FROM cron_runs WHERE job_id = ?`, id);
    return removed;
  }

  /** Earliest due time of an enabled job, or null. */
  nextWakeAt(): number | null {
    const r = this.#sql.exec<Row>(`SELECT MIN(next_run_at) AS t FROM cron_jobs WHERE enabled = 1 AND next_run_at IS NOT NULL`).one();
    const pending = Number(this.#sql.exec<Row>(`SELECT COUNT(*) AS n FROM cron_runs WHERE status = 'pending'`).one().n);
    if (pending > 0) return 0;
    return r.t === null ? null : Number(r.t);
  }

  /**
   * Claims every job due at `now`: records a pending run per (job, due time) and moves the job to its next
   * due time (missed intervals are skipped, not replayed). Returns the new pending runs.
   */
  claimDue(now: number, resolveSession: (job: CronJob) => string, max = 100): CronRun[] {
    return this.#tx(() => {
      const due = this.#sql.exec<Row>(`SELECT * FROM cron_jobs WHERE enabled = 1 AND next_run_at IS NOT NULL AND next_run_at <= ? ORDER BY next_run_at LIMIT ?`, now, max).toArray().map(toJob);
      const runs: CronRun[] = [];
      for (const job of due) {
        const dueAt = job.nextRunAtMs!;
        const run = this.#insertRun(job, `cron:${job.id}:${dueAt}`, dueAt, 'schedule', resolveSession(job), now);
        if (run) runs.push(run);
        const next = nextRunAt(job.schedule, job.createdAtMs, Math.max(now, dueAt));
        this.#sql.exec(`UPDATE cron_jobs SET next_run_at = ?, enabled = ? WHERE id = ?`, next, next === null ? 0 : 1, job.id);
      }
      return runs;
    });
  }

  /** Records a manual run (`cron.run`) as pending. */
  claimManual(job: CronJob, sessionKey: string, now: number): CronRun {
    return this.#tx(() => this.#insertRun(job, `cron:${job.id}:run:${crypto.randomUUID()}`, now, 'manual', sessionKey, now)!);
  }

  /** Runs started but not finished (left by a crash, or just claimed). */
  pendingRuns(limit = 100): CronRun[] {
    return this.#sql.exec<Row>(`SELECT * FROM cron_runs WHERE status = 'pending' ORDER BY n LIMIT ?`, limit).toArray().map(toRun);
  }

  /** Ends a run and updates its job's last-run fields; a finished one-shot job with deleteAfterRun goes away. */
  finishRun(runId: string, status: 'ok' | 'error' | 'skipped', now: number, detail: { summary?: string; error?: string } = {}): CronRun | null {
    return this.#tx(() => {
      const r = this.#sql.exec<Row>(`UPDATE cron_runs SET status = ?, ended_at = ?, summary = ?, error = ? WHERE run_id = ? AND status = 'pending' RETURNING *`, status, now, detail.summary ?? null, detail.error ?? null, runId).toArray()[0];
      if (!r) return null;
      const run = toRun(r);
      this.#sql.exec(`UPDATE cron_jobs SET last_run_at = ?, last_status = ?, last_error = ? WHERE id = ?`, run.dueAtMs, status, detail.error ?? null, run.jobId);
      const job = this.get(run.jobId);
      if (job?.deleteAfterRun && job.nextRunAtMs === undefined && status === 'ok') this.#removeRows(job.id);
      return run;
    });
  }

  /** Runs, newest first (of one job, or of all). */
  runs(opts: { jobId?: string; limit: number; offset: number }): { runs: CronRun[]; total: number } {
    const where = opts.jobId ? 'WHERE job_id = ?' : '';
    const args = opts.jobId ? [opts.jobId] : [];
    const total = Number(this.#sql.exec<Row>(`SELECT COUNT(*) AS n FROM cron_runs ${where}`, ...args).one().n);
    const rows = this.#sql.exec<Row>(`SELECT * FROM cron_runs ${where} ORDER BY n DESC LIMIT ? OFFSET ?`, ...args, opts.limit, opts.offset).toArray();
    return { runs: rows.map(toRun), total };
  }

  /** Counts for `cron.status`. */
  counts(): { jobs: number; enabledJobs: number; pendingRuns: number } {
    const r = this.#sql.exec<Row>(`SELECT COUNT(*) AS jobs, COALESCE(SUM(enabled), 0) AS enabled FROM cron_jobs`).one();
    const p = this.#sql.exec<Row>(`SELECT COUNT(*) AS n FROM cron_runs WHERE status = 'pending'`).one();
    return { jobs: Number(r.jobs), enabledJobs: Number(r.enabled), pendingRuns: Number(p.n) };
  }

  #firstRun(spec: JobSpec, createdAt: number, now: number): number | null {
    // A one-shot time already past fires at once rather than never.
    if (spec.schedule.kind === 'at') return spec.schedule.at;
    return nextRunAt(spec.schedule, createdAt, now);
  }

  #insertRun(job: CronJob, runId: string, dueAt: number, trigger: CronRun['trigger'], sessionKey: string, now: number): CronRun | null {
    const n = Number(this.#sql.exec<Row>(`SELECT COALESCE(MAX(n), 0) + 1 AS n FROM cron_runs`).one().n);
    const inserted = this.#sql
      .exec<Row>(`INSERT INTO cron_runs (run_id, job_id, due_at, trigger, status, session_key, started_at, n) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT (run_id) DO NOTHING RETURNING *`, runId, job.id, dueAt, trigger, sessionKey, now, n)
      .toArray()[0];
    // Bounded history: keep the newest runsPerJob of this job (a pending run is never dropped).
    this.#sql.exec(
      `DELETE FROM cron_runs WHERE job_id = ? AND status <> 'pending' AND n <= (SELECT n FROM cron_runs WHERE job_id = ? ORDER BY n DESC LIMIT 1 OFFSET ?)`,
      job.id, job.id, this.#limits.runsPerJob,
    );
    return inserted ? toRun(inserted) : null;
  }
}

function specOf(job: CronJob): JobSpec {
  const { id: _id, createdAtMs: _c, updatedAtMs: _u, nextRunAtMs: _n, lastRunAtMs: _l, lastRunStatus: _s, state: _st, ...spec } = job;
  return spec;
}

function toJob(r: Row): CronJob {
  const spec = JSON.parse(String(r.spec)) as JobSpec;
  const state = {
    ...(r.next_run_at !== null ? { nextRunAtMs: Number(r.next_run_at) } : {}),
    ...(r.last_run_at !== null ? { lastRunAtMs: Number(r.last_run_at) } : {}),
    ...(r.last_status !== null ? { lastRunStatus: String(r.last_status) as 'ok' | 'error' | 'skipped' } : {}),
    ...(r.last_error !== null ? { lastError: String(r.last_error) } : {}),
  };
  const { lastError: _e, ...top } = state;
  return { id: String(r.id), ...spec, enabled: Number(r.enabled) === 1, createdAtMs: Number(r.created_at), updatedAtMs: Number(r.updated_at), ...top, state };
}

function toRun(r: Row): CronRun {
  return {
    runId: String(r.run_id),
    jobId: String(r.job_id),
    dueAtMs: Number(r.due_at),
    trigger: String(r.trigger) as CronRun['trigger'],
    status: String(r.status) as CronRun['status'],
    sessionKey: r.session_key === null ? null : String(r.session_key),
    startedAtMs: Number(r.started_at),
    ...(r.ended_at !== null ? { endedAtMs: Number(r.ended_at) } : {}),
    ...(r.summary !== null ? { summary: String(r.summary) } : {}),
    ...(r.error !== null ? { error: String(r.error) } : {}),
  };
}
