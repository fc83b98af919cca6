// Channel account status rows (`channel_status`) and short-lived reply tokens (`channel_reply_tokens`) in the
// global registry. Rows exist only for configured accounts (callers check), so the table is bounded by config.
import { and, count, eq, lte } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import type { DbBinding } from '../../env.ts';
import { channelReplyTokens, channelStatus } from '../schema.ts';

/** One account's stored status. */
export type ChannelStatusRow = typeof channelStatus.$inferSelect;

/** What happened to an account. */
export type ChannelEvent =
  | { readonly kind: 'inbound' | 'outbound' | 'connected' | 'disconnected'; readonly at: number }
  | { readonly kind: 'error'; readonly at: number; readonly error: string };

/** Longest error text stored (errors never carry secrets; they are cut anyway). */
export const STATUS_ERROR_MAX = 300;
/** Reply tokens held at most; past it new ones are refused (the caller answers 503). */
export const REPLY_TOKENS_MAX = 10_000;

// SAFETY: drizzle's D1 driver calls only prepare/bind/all/raw/run/batch, which DbBinding provides.
const db = (binding: DbBinding) => drizzle(binding as D1Database);

/**
 * Records one event of an account (a single upsert; call it off the hot path, e.g. in waitUntil).
 * @example await recordChannelEvent(env.DB, 'slack', 'default', { kind: 'inbound', at: Date.now() })
 */
export async function recordChannelEvent(binding: DbBinding, channel: string, account: string, e: ChannelEvent): Promise<void> {
  let set: Partial<ChannelStatusRow>;
  switch (e.kind) {
    case 'inbound':
      set = { lastInboundAt: e.at };
      break;
    case 'outbound':
      set = { lastOutboundAt: e.at };
      break;
    case 'connected':
      set = { lastConnectedAt: e.at };
      break;
    case 'disconnected':
      set = { lastDisconnectedAt: e.at };
      break;
    case 'error':
      set = { lastError: e.error.slice(0, STATUS_ERROR_MAX), lastErrorAt: e.at };
  }
  await db(binding)
    .insert(channelStatus)
    .values({ channel, account, ...set, updatedAt: e.at })
    .onConflictDoUpdate({ target: [channelStatus.channel, channelStatus.account], set: { ...set, updatedAt: e.at } });
}

/** Marks an account logged out for config `fingerprint` (null starts it again). */
export async function setChannelStopped(binding: DbBinding, channel: string, account: string, fingerprint: string | null, at: number): Promise<void> {
  const set = { stoppedAt: fingerprint ? at : null, stoppedFingerprint: fingerprint, updatedAt: at };
  await db(binding).insert(channelStatus).values({ channel, account, ...set }).onConflictDoUpdate({ target: [channelStatus.channel, channelStatus.account], set });
}

/** Every stored row of one channel (or all channels). */
export async function listChannelStatus(binding: DbBinding, channel?: string): Promise<ChannelStatusRow[]> {
  const q = db(binding).select().from(channelStatus);
  return channel ? q.where(eq(channelStatus.channel, channel)) : q;
}

/** The stored row of one account, or null. */
export async function getChannelStatus(binding: DbBinding, channel: string, account: string): Promise<ChannelStatusRow | null> {
  const rows = await db(binding)
    .select()
    .from(channelStatus)
    .where(and(eq(channelStatus.channel, channel), eq(channelStatus.account, account)))
    .limit(1);
  return rows[0] ?? null;
}

/**
 * Keeps a reply token until `expiresAt` (expired ones are pruned first); `full` when `cap` live tokens
 * are already held, so a flood of requests cannot grow the table.
 * @example await putReplyToken(env.DB, 'discord:default:123', token, Date.now() + 15 * 60_000)
 */
export async function putReplyToken(binding: DbBinding, id: string, token: string, expiresAt: number, now: number, cap = REPLY_TOKENS_MAX): Promise<'stored' | 'full'> {
  const d = db(binding);
  await d.delete(channelReplyTokens).where(lte(channelReplyTokens.expiresAt, now));
  const [row] = await d.select({ n: count() }).from(channelReplyTokens);
  if ((row?.n ?? 0) >= cap) return 'full';
  await d.insert(channelReplyTokens).values({ id, token, expiresAt }).onConflictDoNothing();
  return 'stored';
}

/** The live token `id`, or null when unknown or expired. */
export async function getReplyToken(binding: DbBinding, id: string, now: number): Promise<string | null> {
  const rows = await db(binding).select().from(channelReplyTokens).where(eq(channelReplyTokens.id, id)).limit(1);
  const row = rows[0];
  return row && row.expiresAt > now ? row.token : null;
}
