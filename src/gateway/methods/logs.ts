/** `logs.tail`: recent log lines from the host's ring (Node); Workers keep none (use `wrangler tail`). */
import { z } from 'zod';
import { unavailable } from '../../errors.ts';
import { defineMethod } from '../registry.ts';

/** `logs.tail`. */
export const logsTail = defineMethod({
  name: 'logs.tail',
  scope: 'operator.read',
  params: z.strictObject({ cursor: z.number().int().min(0).optional(), limit: z.number().int().min(1).max(5000).optional(), maxBytes: z.number().int().min(1).max(1_000_000).optional() }),
  async handler(ctx, p) {
    if (!ctx.env.LOGS) throw unavailable('this host keeps no log lines (on Workers use `wrangler tail`)');
    return ctx.env.LOGS.tail({ ...(p.cursor !== undefined ? { cursor: p.cursor } : {}), limit: p.limit ?? 200, maxBytes: p.maxBytes ?? 256_000 });
  },
});
