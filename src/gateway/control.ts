/**
 * GatewayControl: config, usage rollup, cron scheduler, wake/heartbeat state and `send`, over the
 * gateway object's SQLite. GatewayDO owns one and forwards the ControlHub calls and its alarm to it.
 * Cron fires from the object's alarm: due runs are claimed durably first, then queued into their session
 * with the run id as idempotency key, so each due time is queued exactly once even across restarts.
 */
import type { Env } from '../env.ts';
import { settingsOf } from '../config/settings.ts';
import { createLogger } from '../log.ts';
import { CronStore, jobNotFound, type CronJob, type CronRun, type JobSpec } from '../cron/cron-store.ts';
import { UsageStore } from '../usage/usage-store.ts';
import { rejectionError } from '../scheduler/rejection.ts';
import { GatewayError } from '../errors.ts';
import type { SqlPort } from '../scheduler/session-schema.ts';
import { ConfigService, type ConfigSnapshot, type ConfigWriteResult } from './config-service.ts';
import type { ControlHub, HeartbeatEvent, UsageSummary, WakeInput } from './control-hub.ts';
import { SendService, type SendParams, type SendResult } from './send.ts';
import { WizardSessions } from '../wizard/sessions.ts';
import { WizardService, type WizardAnswer, type WizardView } from '../wizard/service.ts';

/** What the control needs from its host object. */
export interface ControlDeps {
  env: Env;
  sql: SqlPort;
  transaction<T>(fn: () => T): T;
  broadcast(event: string, payload: unknown): Promise<void>;
  /** Makes sure the object's alarm fires no later than `at`. */
  armAt(at: number): Promise<void>;
  now(): number;
}

/** Delay before a cron run whose enqueue failed is tried again. */
const CRON_RETRY_MS = 5_000;

type Row = Record<string, string | number | null | ArrayBuffer>;

/** The session a job's turn goes to. */
export function cronSessionOf(job: Pick<CronJob, 'id' | 'agentId' | 'sessionTarget' | 'sessionKey'>): string {
  const main = `agent:${(job.agentId ?? 'main').toLowerCase()}:main`;
  if (job.sessionTarget === 'main') return main;
  if (job.sessionTarget === 'isolated') return `cron:${job.id}`;
  if (job.sessionTarget === 'current') return job.sessionKey ?? main;
  return job.sessionTarget.slice('session:'.length);
}

/** See the file comment. */
export class GatewayControl implements ControlHub {
  readonly #d: ControlDeps;
  readonly config: ConfigService;
  readonly usage: UsageStore;
  readonly cron: CronStore;
  readonly #send: SendService;
  readonly #wizardSessions: WizardSessions;
  readonly #wizard: WizardService;
  #running: Promise<void> | null = null;
  readonly #inProgress = new Set<string>();

  constructor(deps: ControlDeps) {
    this.#d = deps;
    this.config = new ConfigService(deps.env, deps.sql);
    this.usage = new UsageStore(deps.sql);
    this.cron = new CronStore(deps.sql, (fn) => deps.transaction(fn), settingsOf(deps.env).cron);
    this.#send = new SendService(deps.env, deps.sql);
    this.#wizardSessions = new WizardSessions(deps.sql);
    this.#wizard = new WizardService(deps.env, this.#wizardSessions);
  }

  /** Creates tables and applies a stored overlay (call inside blockConcurrencyWhile). */
  async start(): Promise<void> {
    this.config.migrate();
    this.usage.migrate();
    this.cron.migrate();
    this.#send.migrate();
    this.#wizardSessions.migrate();
    this.#d.sql.exec(`CREATE TABLE IF NOT EXISTS control_kv (k TEXT PRIMARY KEY, v TEXT NOT NULL)`);
    await this.config.applyStored();
    this.cron.setLimits(settingsOf(this.#d.env).cron);
  }

  /** When the alarm must fire next for cron (0 = at once), or null. */
  nextWakeAt(): number | null {
    return this.cron.nextWakeAt();
  }

  /** Alarm work: claims due jobs and performs every pending run (one pass at a time). */
  async runDue(): Promise<void> {
    this.#running ??= (async () => {
      try {
        this.cron.claimDue(this.#d.now(), cronSessionOf);
        for (const run of this.cron.pendingRuns()) await this.#perform(run);
      } finally {
        this.#running = null;
      }
    })();
    return this.#running;
  }

  async #perform(run: CronRun): Promise<void> {
    // A manual run and the alarm may both see the same pending run; one performs it.
    if (this.#inProgress.has(run.runId)) return;
    this.#inProgress.add(run.runId);
    try {
      await this.#performOnce(run);
    } finally {
      this.#inProgress.delete(run.runId);
    }
  }

  async #performOnce(run: CronRun): Promise<void> {
    const job = this.cron.get(run.jobId);
    const log = createLogger(settingsOf(this.#d.env).logLevel, { svc: 'cron' });
    if (!job || !run.sessionKey) {
      this.cron.finishRun(run.runId, 'skipped', this.#d.now(), { summary: 'job removed' });
      return;
    }
    const key = run.sessionKey;
    const text = job.payload.kind === 'systemEvent' ? `[cron: ${job.name}] ${job.payload.text}` : job.payload.message;
    await this.#d.broadcast('cron', { action: 'started', jobId: job.id, runId: run.runId, sessionKey: key });
    let status: 'ok' | 'error' = 'ok';
    let summary: string;
    let error: string | undefined;
    try {
      const result = await this.#d.env.SESSIONS.getByName(key).enqueue(key, { text, key: run.runId });
      if (result.status === 'rejected') {
        status = 'error';
        summary = 'not queued';
        error = `session queue is full (cap ${result.cap})`;
      } else summary = result.status === 'duplicate' ? 'already queued' : 'queued';
    } catch (err) {
      // Stays pending: the next alarm tries again; the session's idempotency makes the retry safe.
      log.warn('cron run could not be queued; will retry', { jobId: job.id, runId: run.runId, err });
      await this.#d.armAt(this.#d.now() + CRON_RETRY_MS);
      return;
    }
    const done = this.cron.finishRun(run.runId, status, this.#d.now(), { summary, ...(error ? { error } : {}) });
    if (job.payload.kind === 'systemEvent') this.#setHeartbeat({ ts: this.#d.now(), status: status === 'ok' ? 'queued' : 'failed', reason: 'cron', sessionKey: key, message: job.payload.text.slice(0, 200) });
    await this.#d.broadcast('cron', { action: 'finished', jobId: job.id, runId: run.runId, status, summary, sessionKey: key, ...(error ? { error } : {}), ...(done ? { run: done } : {}) });
  }

  async #afterJobChange(action: string, job: CronJob | { id: string }): Promise<void> {
    const next = this.cron.nextWakeAt();
    if (next !== null) await this.#d.armAt(Math.max(this.#d.now(), next));
    await this.#d.broadcast('cron', { action, jobId: job.id, ...('name' in job ? { job } : {}) });
  }

  async configGet(): Promise<ConfigSnapshot> {
    return this.config.get();
  }

  async configWrite(mode: 'patch' | 'set', raw: string, baseHash: string): Promise<ConfigWriteResult> {
    const result = await this.config.write(mode, raw, baseHash);
    this.cron.setLimits(settingsOf(this.#d.env).cron);
    // Paths only: values may be secrets.
    createLogger(settingsOf(this.#d.env).logLevel, { svc: 'config' }).info('config changed', { path: result.path, changedPaths: result.changedPaths.slice(0, 50), restartRequired: result.restartRequired });
    await this.#d.broadcast('config.changed', { path: result.path, hash: result.hash, ts: this.#d.now(), changedPaths: result.changedPaths, restartRequired: result.restartRequired });
    return result;
  }

  /** Adds one finished run's tokens to the rollup. */
  recordUsage(model: string, inputTokens: number, outputTokens: number): void {
    this.usage.record(model, inputTokens, outputTokens, this.#d.now());
  }

  async usageSummary(fromDay?: string, toDay?: string): Promise<UsageSummary> {
    return this.usage.summary(fromDay, toDay);
  }

  async cronAdd(spec: JobSpec): Promise<CronJob> {
    const job = this.cron.add(spec, this.#d.now());
    await this.#afterJobChange('added', job);
    return job;
  }

  async cronGet(id: string): Promise<CronJob | null> {
    return this.cron.get(id);
  }

  async cronList(opts: { includeDisabled?: boolean; limit: number; offset: number; query?: string }): Promise<{ jobs: CronJob[]; total: number }> {
    return this.cron.list(opts);
  }

  async cronUpdate(id: string, patch: Partial<JobSpec>): Promise<CronJob> {
    const job = this.cron.update(id, patch, this.#d.now());
    await this.#afterJobChange('updated', job);
    return job;
  }

  async cronRemove(id: string): Promise<boolean> {
    const removed = this.cron.remove(id);
    if (removed) await this.#d.broadcast('cron', { action: 'removed', jobId: id });
    return removed;
  }

  async cronRun(id: string, mode: 'force' | 'due' | 'if-enabled'): Promise<{ ran: boolean; reason?: string; run?: CronRun }> {
    const job = this.cron.get(id);
    if (!job) throw jobNotFound(id);
    const now = this.#d.now();
    if (mode === 'if-enabled' && !job.enabled) return { ran: false, reason: 'disabled' };
    if (mode === 'due' && !(job.enabled && job.nextRunAtMs !== undefined && job.nextRunAtMs <= now)) return { ran: false, reason: 'not-due' };
    const claimed = this.cron.claimManual(job, cronSessionOf(job), now);
    await this.#perform(claimed);
    const runs = this.cron.runs({ jobId: id, limit: 50, offset: 0 }).runs;
    return { ran: true, run: runs.find((r) => r.runId === claimed.runId) ?? claimed };
  }

  async cronRuns(opts: { jobId?: string; limit: number; offset: number }): Promise<{ runs: CronRun[]; total: number }> {
    return this.cron.runs(opts);
  }

  async cronStatus() {
    const limits = settingsOf(this.#d.env).cron;
    return { enabled: true as const, ...this.cron.counts(), nextWakeAtMs: this.cron.nextWakeAt(), maxJobs: limits.maxJobs, runsPerJob: limits.runsPerJob };
  }

  #kv(k: string): string | null {
    const r = this.#d.sql.exec<Row>(`SELECT v FROM control_kv WHERE k = ?`, k).toArray()[0];
    return r ? String(r.v) : null;
  }

  #setKv(k: string, v: string): void {
    this.#d.sql.exec(`INSERT INTO control_kv (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v`, k, v);
  }

  #setHeartbeat(e: HeartbeatEvent): void {
    this.#setKv('last_heartbeat', JSON.stringify(e));
  }

  async wake(input: WakeInput): Promise<{ ok: true; mode: string; sessionKey: string; eventOutcome: 'queued' | 'coalesced' }> {
    const result = await this.#d.env.SESSIONS.getByName(input.sessionKey).enqueue(input.sessionKey, { text: `[wake] ${input.text}` });
    if (result.status === 'rejected') throw rejectionError(result, 'main session');
    const eventOutcome = result.status === 'duplicate' ? 'coalesced' : 'queued';
    const event: HeartbeatEvent = { ts: this.#d.now(), status: eventOutcome, reason: 'wake', mode: input.mode, sessionKey: input.sessionKey, message: input.text.slice(0, 200) };
    this.#setHeartbeat(event);
    await this.#d.broadcast('heartbeat', { ...event, enabled: this.#enabled() });
    return { ok: true, mode: input.mode, sessionKey: input.sessionKey, eventOutcome };
  }

  #enabled(): boolean {
    return this.#kv('heartbeats_enabled') !== '0';
  }

  async setHeartbeats(enabled: boolean): Promise<{ ok: true; enabled: boolean }> {
    this.#setKv('heartbeats_enabled', enabled ? '1' : '0');
    await this.#d.broadcast('heartbeat', { ts: this.#d.now(), status: enabled ? 'enabled' : 'disabled', reason: 'set-heartbeats', enabled });
    return { ok: true, enabled };
  }

  async lastHeartbeat(): Promise<(HeartbeatEvent & { enabled: boolean }) | null> {
    const raw = this.#kv('last_heartbeat');
    return raw ? { ...(JSON.parse(raw) as HeartbeatEvent), enabled: this.#enabled() } : null;
  }

  async sendMessage(params: SendParams): Promise<SendResult> {
    const q = settingsOf(this.#d.env).queue;
    return this.#send.send(params, { cap: q.idempotencyCap, ttlMs: q.idempotencyTtlMs }, this.#d.now());
  }

  async wizardStart(): Promise<WizardView> {
    return this.#wizard.start(this.#d.now());
  }

  async wizardNext(sessionId: string, answer: WizardAnswer | undefined): Promise<WizardView> {
    return this.#wizard.next(sessionId, answer, this.#d.now());
  }

  async wizardCancel(sessionId: string): Promise<WizardView> {
    return this.#wizard.cancel(sessionId, this.#d.now());
  }

  async wizardStatus(sessionId: string): Promise<WizardView> {
    return this.#wizard.status(sessionId, this.#d.now());
  }
}
