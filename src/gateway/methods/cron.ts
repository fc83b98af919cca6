/**
 * Cron methods (reference §4.2): cron.list/get/status/runs (read), cron.add/update/remove/run (admin).
 * Jobs live in GatewayDO's SQLite and fire from its alarm (src/gateway/control.ts).
 */
import { z } from 'zod';
import { JobPatchSchema, JobSpecSchema, jobNotFound } from '../../cron/cron-store.ts';
import { defineMethod } from '../registry.ts';

const Id = z.string().min(1).max(128);
/** `{id}` or `{jobId}` (both names are used by clients). */
const JobRef = z
  .looseObject({ id: Id.optional(), jobId: Id.optional() })
  .refine((p) => p.id !== undefined || p.jobId !== undefined, { message: 'required: id (or jobId)', path: ['id'] });
const refOf = (p: { id?: string | undefined; jobId?: string | undefined }) => (p.id ?? p.jobId)!;

/** `cron.list`. */
export const cronList = defineMethod({
  name: 'cron.list',
  scope: 'operator.read',
  params: z.looseObject({ includeDisabled: z.boolean().optional(), limit: z.number().int().min(1).max(200).optional(), offset: z.number().int().min(0).optional(), query: z.string().max(200).optional() }),
  async handler(ctx, p) {
    const limit = p.limit ?? 50;
    const offset = p.offset ?? 0;
    const r = await ctx.hub.cronList({ ...(p.includeDisabled !== undefined ? { includeDisabled: p.includeDisabled } : {}), limit, offset, ...(p.query ? { query: p.query } : {}) });
    return { jobs: r.jobs, total: r.total, limit, offset, hasMore: offset + r.jobs.length < r.total };
  },
});

/** `cron.get`. */
export const cronGet = defineMethod({
  name: 'cron.get',
  scope: 'operator.read',
  params: JobRef,
  async handler(ctx, p) {
    const job = await ctx.hub.cronGet(refOf(p));
    if (!job) throw jobNotFound(refOf(p));
    return job;
  },
});

/** `cron.status`. */
export const cronStatus = defineMethod({
  name: 'cron.status',
  scope: 'operator.read',
  params: z.looseObject({}),
  handler: (ctx) => ctx.hub.cronStatus(),
});

/** `cron.runs`: run history, newest first (one job, or all). */
export const cronRuns = defineMethod({
  name: 'cron.runs',
  scope: 'operator.read',
  params: z.looseObject({ id: Id.optional(), jobId: Id.optional(), limit: z.number().int().min(1).max(500).optional(), offset: z.number().int().min(0).optional() }),
  async handler(ctx, p) {
    const jobId = p.id ?? p.jobId;
    const limit = p.limit ?? 50;
    const offset = p.offset ?? 0;
    const r = await ctx.hub.cronRuns({ ...(jobId ? { jobId } : {}), limit, offset });
    return { runs: r.runs, total: r.total, limit, offset, hasMore: offset + r.runs.length < r.total };
  },
});

/** `cron.add`. */
export const cronAdd = defineMethod({
  name: 'cron.add',
  scope: 'operator.admin',
  params: JobSpecSchema,
  handler: (ctx, p) => ctx.hub.cronAdd(p),
});

/** `cron.update`: `{id|jobId, patch}`; the schedule is re-evaluated from now. */
export const cronUpdate = defineMethod({
  name: 'cron.update',
  scope: 'operator.admin',
  params: z
    .looseObject({ id: Id.optional(), jobId: Id.optional(), patch: JobPatchSchema })
    .refine((p) => p.id !== undefined || p.jobId !== undefined, { message: 'required: id (or jobId)', path: ['id'] }),
  async handler(ctx, p) {
    const patch = Object.fromEntries(Object.entries(p.patch).filter(([, v]) => v !== undefined));
    return ctx.hub.cronUpdate(refOf(p), patch);
  },
});

/** `cron.remove`. */
export const cronRemove = defineMethod({
  name: 'cron.remove',
  scope: 'operator.admin',
  params: JobRef,
  async handler(ctx, p) {
    if (!(await ctx.hub.cronRemove(refOf(p)))) throw jobNotFound(refOf(p));
    return { ok: true, removed: true, id: refOf(p) };
  },
});

/** `cron.run`: runs a job now (`force`, default), only if due (`due`), or only if enabled (`if-enabled`). */
export const cronRun = defineMethod({
  name: 'cron.run',
  scope: 'operator.admin',
  params: z
    .looseObject({ id: Id.optional(), jobId: Id.optional(), mode: z.enum(['force', 'due', 'if-enabled']).optional() })
    .refine((p) => p.id !== undefined || p.jobId !== undefined, { message: 'required: id (or jobId)', path: ['id'] }),
  async handler(ctx, p) {
    return { ok: true, ...(await ctx.hub.cronRun(refOf(p), p.mode ?? 'force')) };
  },
});

/** Every cron method. */
export const CRON_METHODS = [cronList, cronGet, cronStatus, cronRuns, cronAdd, cronUpdate, cronRemove, cronRun];
