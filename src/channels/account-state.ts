/**
 * Per-account runtime state shared by every driver: whether an account is logged out (durable, in the
 * registry's `channel_status`, tied to the account's config fingerprint), the activity and error record
 * behind `channels.status`, and the guard the registry puts in front of each driver's routes (a
 * logged-out account answers 503 and queues nothing; accepted inbound requests are recorded).
 */
import { Hono } from 'hono';
import type { Env } from '../env.ts';
import { createLogger } from '../log.ts';
import { getChannelStatus, recordChannelEvent, type ChannelEvent } from '../storage/repos/channel-status.ts';
import type { ChannelAccountInfo, ChannelDriver } from './channel-driver.ts';
import { channelDriver } from './registry.ts';
import { afterResponse, fail } from './webhook-kit.ts';

/** How long a logout check is reused within one isolate/process (a logout here clears it at once). */
export const STOPPED_CACHE_TTL_MS = 5_000;
/** Entries kept in the logout cache; the oldest are dropped first. */
export const STOPPED_CACHE_CAP = 1_024;

const caches = new WeakMap<object, Map<string, { at: number; stopped: boolean }>>();

function cacheOf(env: Pick<Env, 'DB'>): Map<string, { at: number; stopped: boolean }> {
  let cache = caches.get(env.DB);
  if (!cache) caches.set(env.DB, (cache = new Map()));
  return cache;
}

/**
 * True when `account` of `channel` is logged out (for its current config). Reads the registry at most
 * every STOPPED_CACHE_TTL_MS per account; a read failure throws (the caller answers 5xx: fail closed).
 * @example if (await isAccountStopped(env, 'slack', info)) return fail(c, 503, 'UNAVAILABLE', 'logged out')
 */
export async function isAccountStopped(env: Pick<Env, 'DB'>, channel: string, account: Pick<ChannelAccountInfo, 'id' | 'fingerprint'>, now = Date.now()): Promise<boolean> {
  const cache = cacheOf(env);
  const key = `${channel}:${account.id}:${account.fingerprint}`;
  const hit = cache.get(key);
  if (hit && now - hit.at < STOPPED_CACHE_TTL_MS) return hit.stopped;
  const row = await getChannelStatus(env.DB, channel, account.id);
  const stopped = row?.stoppedAt != null && row.stoppedFingerprint === account.fingerprint;
  cache.delete(key);
  cache.set(key, { at: now, stopped });
  while (cache.size > STOPPED_CACHE_CAP) cache.delete(cache.keys().next().value!);
  return stopped;
}

/**
 * True when the configured account `id` of `channel` is logged out (false for unknown ones); for start-up
 * paths that know only ids (Telegram pollers, the Node host's connections).
 * @example await startTelegramAccounts(env, { skip: (id) => accountStoppedById(env, 'telegram', id) })
 */
export async function accountStoppedById(env: Env, channel: string, id: string): Promise<boolean> {
  const info = channelDriver(channel)?.accounts(env).find((a) => a.id === id);
  return info ? isAccountStopped(env, channel, info) : false;
}

/** Forgets cached logout checks of one account (after channels.logout / channels.start here). */
export function forgetStopped(env: Pick<Env, 'DB'>, channel: string, account: string): void {
  const cache = cacheOf(env);
  for (const key of [...cache.keys()]) if (key.startsWith(`${channel}:${account}:`)) cache.delete(key);
}

/** Number of cached logout checks (tests of the cap). */
export function stoppedCacheSize(env: Pick<Env, 'DB'>): number {
  return cacheOf(env).size;
}

/**
 * Records an account event for channels.status; never throws (status is best effort, traffic is not).
 * @example afterResponse(c, noteAccountEvent(env, 'slack', 'default', { kind: 'inbound', at: Date.now() }))
 */
export async function noteAccountEvent(env: Pick<Env, 'DB'>, channel: string, account: string, e: ChannelEvent): Promise<void> {
  try {
    await recordChannelEvent(env.DB, channel, account, e);
  } catch (err) {
    createLogger().warn('channel status not recorded', { channel, account, kind: e.kind, err });
  }
}

/**
 * The driver's routes behind the account guard: requests for a configured account that is logged out
 * answer 503 before the driver sees them; accepted POSTs (2xx) are recorded as inbound activity, 5xx as
 * the account's last error. Paths are `/<account>/…`; other paths go to the driver untouched.
 * @example app.route('/slack', guardChannelRoutes(slackDriver, slackRoutes()))
 */
export function guardChannelRoutes(driver: ChannelDriver, routes: Hono<{ Bindings: Env }>): Hono<{ Bindings: Env }> {
  const app = new Hono<{ Bindings: Env }>();
  app.use('/:account/*', async (c, next) => {
    const info = driver.accounts(c.env).find((a) => a.id === c.req.param('account'));
    if (!info) return next();
    if (await isAccountStopped(c.env, driver.id, info)) {
      return fail(c, 503, 'UNAVAILABLE', `${driver.id} account "${info.id}" is logged out (channels.logout); channels.start or a changed account config starts it again`);
    }
    await next();
    const at = Date.now();
    const status = c.res.status;
    if (status >= 500) afterResponse(c, noteAccountEvent(c.env, driver.id, info.id, { kind: 'error', at, error: `inbound request answered ${status}` }));
    else if (c.req.method === 'POST' && status < 300) afterResponse(c, noteAccountEvent(c.env, driver.id, info.id, { kind: 'inbound', at }));
  });
  app.route('/', routes);
  return app;
}
