/** Usage methods: usage.status (totals per model) and usage.cost (per-day tokens and cost estimates). */
import { z } from 'zod';
import { GatewayError } from '../../errors.ts';
import { utcDay } from '../../usage/usage-store.ts';
import { defineMethod } from '../registry.ts';

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');

/** `usage.status`: tokens, runs and estimated cost per model since usage was first recorded. */
export const usageStatus = defineMethod({
  name: 'usage.status',
  scope: 'operator.read',
  params: z.looseObject({}),
  async handler(ctx) {
    const s = await ctx.hub.usageSummary();
    return { updatedAt: s.updatedAt, providers: [], totals: s.totals, byModel: s.byModel };
  },
});

/** `usage.cost`: per-day totals over `startDate..endDate` (UTC, both or neither) or the last `days` days. */
export const usageCost = defineMethod({
  name: 'usage.cost',
  scope: 'operator.read',
  params: z.looseObject({ startDate: Day.optional(), endDate: Day.optional(), days: z.number().int().min(1).max(366).optional() }),
  async handler(ctx, p) {
    if ((p.startDate === undefined) !== (p.endDate === undefined)) throw new GatewayError('INVALID_REQUEST', 'invalid usage.cost params: startDate and endDate go together (both or neither)');
    const days = p.days ?? 30;
    const endDate = p.endDate ?? utcDay(ctx.now);
    const startDate = p.startDate ?? utcDay(ctx.now - (days - 1) * 86_400_000);
    if (startDate > endDate) throw new GatewayError('INVALID_REQUEST', 'invalid usage.cost params: startDate: after endDate');
    const s = await ctx.hub.usageSummary(startDate, endDate);
    return { updatedAt: s.updatedAt, startDate, endDate, days: p.startDate ? undefined : days, daily: s.daily, totals: s.totals, byModel: s.byModel };
  },
});

/** Every usage method. */
export const USAGE_METHODS = [usageStatus, usageCost];
