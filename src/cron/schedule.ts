/**
 * Cron job schedules (reference §4.2 `cron.add`): `at` (one shot), `every` (fixed interval from an
 * anchor) and `cron` (five fields in a time zone), their zod schemas, and the next due time of each.
 */
import { z } from 'zod';
import { CronSyntaxError, isValidTimeZone, nextCronTime, parseCron } from './cron-expr.ts';

/** Shortest interval of an `every` schedule. */
export const MIN_EVERY_MS = 1_000;

const CronExprString = z
  .string()
  .min(9)
  .max(200)
  .superRefine((expr, ctx) => {
    try {
      parseCron(expr);
    } catch (err) {
      if (!(err instanceof CronSyntaxError)) throw err;
      ctx.addIssue({ code: 'custom', message: `invalid cron expression: ${err.message}` });
    }
  });

/** `schedule` of a job. */
export const ScheduleSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('at'),
    /** Epoch ms, or an ISO 8601 date-time with an offset. */
    at: z.union([z.number().int().min(0), z.iso.datetime({ offset: true }).transform((s) => Date.parse(s))]),
  }),
  z.strictObject({
    kind: z.literal('every'),
    everyMs: z.number().int().min(MIN_EVERY_MS).max(366 * 86_400_000),
    anchorMs: z.number().int().min(0).optional(),
  }),
  z.strictObject({
    kind: z.literal('cron'),
    expr: CronExprString,
    tz: z.string().min(1).max(64).refine(isValidTimeZone, 'unknown time zone').optional(),
    staggerMs: z.number().int().min(0).max(3_600_000).optional(),
  }),
]);
/** A validated schedule (`at` always in epoch ms). */
export type Schedule = z.output<typeof ScheduleSchema>;

/**
 * The next due time strictly after `afterMs`, or null when the schedule has nothing left (a past `at`).
 * `createdAtMs` anchors `every` schedules without an explicit anchor.
 * @example nextRunAt({ kind: 'every', everyMs: 60_000 }, 0, 90_000) === 120_000
 */
export function nextRunAt(schedule: Schedule, createdAtMs: number, afterMs: number): number | null {
  switch (schedule.kind) {
    case 'at':
      return schedule.at > afterMs ? schedule.at : null;
    case 'every': {
      const anchor = schedule.anchorMs ?? createdAtMs;
      if (afterMs < anchor) return anchor;
      return anchor + (Math.floor((afterMs - anchor) / schedule.everyMs) + 1) * schedule.everyMs;
    }
    case 'cron': {
      const next = nextCronTime(parseCron(schedule.expr), afterMs, schedule.tz ?? 'UTC');
      return next === null ? null : next + (schedule.staggerMs ?? 0);
    }
  }
}
