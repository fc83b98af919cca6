/** Channel methods: `channels.status` (read), `channels.logout` and `channels.start` (admin). */
import { z } from 'zod';
import { channelsLogout, channelsStart, channelsStatus } from '../../channels/status.ts';
import { defineMethod } from '../registry.ts';

const Channel = z.string().trim().min(1, 'expected a channel id').max(64);
const AccountId = z.string().regex(/^[a-z0-9_-]{1,64}$/, 'expected an account id (a-z, 0-9, _ or -)').default('default');

/** `channels.status {probe?, timeoutMs?, channel?}`: every configured account with its runtime state. */
export const channelsStatusMethod = defineMethod({
  name: 'channels.status',
  scope: 'operator.read',
  params: z.strictObject({
    probe: z.boolean().optional(),
    timeoutMs: z.number().int().min(1_000, 'expected at least 1000').max(60_000).default(10_000),
    channel: Channel.optional(),
  }),
  handler: (ctx, p) => channelsStatus(ctx.env, { ...(p.channel ? { channel: p.channel } : {}), probe: p.probe === true, timeoutMs: p.timeoutMs, now: ctx.now }),
});

/** `channels.logout {channel, accountId?}`: stops one account (durable; channels.start undoes it). */
export const channelsLogoutMethod = defineMethod({
  name: 'channels.logout',
  scope: 'operator.admin',
  params: z.strictObject({ channel: Channel, accountId: AccountId }),
  handler: (ctx, p) => channelsLogout(ctx.env, p.channel, p.accountId, ctx.now),
});

/** `channels.start {channel, accountId?}`: undoes a logout and starts the account again. */
export const channelsStartMethod = defineMethod({
  name: 'channels.start',
  scope: 'operator.admin',
  params: z.strictObject({ channel: Channel, accountId: AccountId }),
  handler: (ctx, p) => channelsStart(ctx.env, p.channel, p.accountId, ctx.now),
});

/** The channel methods, for the registry. */
export const CHANNEL_METHODS = [channelsStatusMethod, channelsLogoutMethod, channelsStartMethod];
