/**
 * `channels.status`, `channels.logout` and `channels.start` over the registry (shapes: seed-system §6.5,
 * openclaw-protocol `channels.*`). Status merges three sources per account: its config (mode, policy),
 * the durable record in `channel_status` (last inbound/outbound, last error, logout), and the live state
 * of a connection (Telegram's poller object; the Node host's Discord Gateway and Signal event streams).
 * A logout is durable and tied to the account's config fingerprint: traffic is refused and outbound
 * stops until `channels.start` or a changed account config.
 */
import type { Env } from '../env.ts';
import { GatewayError } from '../errors.ts';
import { createLogger } from '../log.ts';
import { listChannelStatus, setChannelStopped, type ChannelStatusRow } from '../storage/repos/channel-status.ts';
import { forgetStopped, noteAccountEvent } from './account-state.ts';
import type { ChannelAccountInfo, ChannelDriver, LiveAccountState } from './channel-driver.ts';
import { CHANNEL_DRIVERS, channelDriver } from './registry.ts';

/** Options of one status call. */
export interface StatusOptions {
  readonly channel?: string;
  readonly probe?: boolean;
  readonly timeoutMs: number;
  readonly now: number;
}

/** One account in `channelAccounts`. */
export type AccountSnapshot = Record<string, unknown> & { accountId: string; running: boolean; connected: boolean };

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([p, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)))]).finally(() => clearTimeout(timer));
}

async function liveState(env: Env, driver: ChannelDriver, account: string, timeoutMs: number): Promise<LiveAccountState | { error: string } | null> {
  try {
    const hosted = env.CHANNEL_HOST?.live(driver.id, account);
    if (hosted) return hosted;
    if (!driver.live) return null;
    const r = await withTimeout(driver.live(env, account), timeoutMs);
    return r === 'timeout' ? { error: `live status timed out after ${timeoutMs} ms` } : r;
  } catch (err) {
    return { error: err instanceof Error ? err.message.slice(0, 200) : 'live status failed' };
  }
}

/** True when a stored row says this account (at this config) is logged out. */
export function isStoppedRow(row: ChannelStatusRow | undefined, account: Pick<ChannelAccountInfo, 'fingerprint'>): boolean {
  return row?.stoppedAt != null && row.stoppedFingerprint === account.fingerprint;
}

async function accountSnapshot(env: Env, driver: ChannelDriver, a: ChannelAccountInfo, row: ChannelStatusRow | undefined, opts: StatusOptions): Promise<AccountSnapshot> {
  const stopped = isStoppedRow(row, a);
  const live = stopped ? null : await liveState(env, driver, a.id, opts.timeoutMs);
  const failedLive = live && 'error' in live ? live.error : null;
  const state = live && !('error' in live) ? live : null;
  // Stateless webhook modes have no connection of their own: mounted and not logged out = running. A
  // hosted connection with no live state is not running (Workers, or the Node host did not start it).
  const hostMissing = !stopped && !state && failedLive === null && a.hosted === true ? (env.CHANNEL_HOST ? 'connection not started' : 'this mode runs on the Node host only') : null;
  const running = !stopped && hostMissing === null && (state ? state.running : failedLive === null);
  const connected = running && (state ? state.connected : true);
  return {
    accountId: a.id,
    name: a.id,
    enabled: !stopped,
    configured: true,
    linked: true,
    running,
    connected,
    mode: a.mode,
    lastInboundAt: row?.lastInboundAt ?? null,
    lastOutboundAt: row?.lastOutboundAt ?? null,
    lastError: failedLive ?? hostMissing ?? state?.lastError ?? row?.lastError ?? null,
    lastErrorAt: row?.lastErrorAt ?? null,
    lastConnectedAt: state?.lastConnectedAt ?? row?.lastConnectedAt ?? null,
    lastDisconnectedAt: row?.lastDisconnectedAt ?? null,
    lastStopAt: stopped ? row!.stoppedAt : null,
    ...(state?.reconnectAttempts !== undefined ? { reconnectAttempts: state.reconnectAttempts } : {}),
    ...(opts.probe ? { probe: { ok: running && connected, source: state ? 'live' : 'config', timeoutMs: opts.timeoutMs }, lastProbeAt: opts.now } : {}),
    ...a.details,
    ...state?.details,
  };
}

/**
 * The `channels.status` payload: every configured account of every (or one) channel.
 * @example await channelsStatus(env, { timeoutMs: 10_000, now: Date.now() })
 */
export async function channelsStatus(env: Env, opts: StatusOptions): Promise<Record<string, unknown>> {
  const only = opts.channel ? channelDriver(opts.channel) : null;
  if (opts.channel && !only) throw new GatewayError('INVALID_REQUEST', `invalid channels.status channel: ${opts.channel.slice(0, 64)}`);
  const drivers = only ? [only] : CHANNEL_DRIVERS;
  const rows = new Map((await listChannelStatus(env.DB, only?.id)).map((r) => [`${r.channel}:${r.account}`, r]));
  const channels: Record<string, unknown> = {};
  const channelAccounts: Record<string, AccountSnapshot[]> = {};
  const channelDefaultAccountId: Record<string, string> = {};
  for (const d of drivers) {
    let accounts: readonly ChannelAccountInfo[] = [];
    let configError: string | null = null;
    try {
      accounts = d.accounts(env);
    } catch (err) {
      configError = err instanceof Error ? err.message.slice(0, 500) : 'invalid configuration';
    }
    const list = await Promise.all(accounts.map((a) => accountSnapshot(env, d, a, rows.get(`${d.id}:${a.id}`), opts)));
    list.sort((x, y) => (x.accountId === 'default' ? -1 : y.accountId === 'default' ? 1 : x.accountId.localeCompare(y.accountId)));
    // The reference reports a synthetic `default` account for a channel with none configured.
    channelAccounts[d.id] = list.length > 0 ? list : [{ accountId: 'default', name: 'default', enabled: false, configured: false, linked: false, running: false, connected: false, mode: 'none', lastInboundAt: null, lastOutboundAt: null, lastError: configError }];
    channelDefaultAccountId[d.id] = list[0]?.accountId ?? 'default';
    channels[d.id] = {
      configured: list.length > 0,
      enabled: list.some((a) => a.enabled === true),
      linked: list.length > 0,
      running: list.some((a) => a.running),
      connected: list.some((a) => a.connected),
      supports: d.supports,
      lastProbeAt: opts.probe ? opts.now : null,
      ...(configError ? { lastError: configError } : {}),
    };
  }
  return {
    ts: opts.now,
    channelOrder: drivers.map((d) => d.id),
    channelLabels: Object.fromEntries(drivers.map((d) => [d.id, d.label])),
    channelDetailLabels: Object.fromEntries(drivers.map((d) => [d.id, d.detailLabel])),
    channelSystemImages: {},
    channelMeta: drivers.map((d) => ({ id: d.id, label: d.label, detailLabel: d.detailLabel })),
    channels,
    channelAccounts,
    channelDefaultAccountId,
  };
}

function driverOrThrow(method: string, channel: string): ChannelDriver {
  const d = channelDriver(channel);
  if (!d) throw new GatewayError('INVALID_REQUEST', `invalid ${method} channel: ${channel.slice(0, 64)}`);
  return d;
}

/**
 * `channels.logout`: refuses the account's traffic from now on (inbound 503, no outbound), stops its
 * connection (Telegram: poller stopped or webhook deleted; Node: Gateway socket / event stream closed).
 * Durable across restarts; undone by `channels.start` or by changing the account's config.
 * @example await channelsLogout(env, 'telegram', 'default', Date.now())
 */
export async function channelsLogout(env: Env, channel: string, accountId: string, now: number): Promise<Record<string, unknown>> {
  const d = driverOrThrow('channels.logout', channel);
  const a = d.accounts(env).find((x) => x.id === accountId);
  const base = { channel: d.id, accountId, envToken: a?.fromEnv ?? false, supported: true };
  if (!a) return { ...base, cleared: false, loggedOut: false };
  await setChannelStopped(env.DB, d.id, a.id, a.fingerprint, now);
  forgetStopped(env, d.id, a.id);
  const errors: string[] = [];
  await d.stop?.(env, a.id).catch((err: unknown) => errors.push(err instanceof Error ? err.message.slice(0, 200) : 'stop failed'));
  await env.CHANNEL_HOST?.stop(d.id, a.id).catch((err: unknown) => errors.push(err instanceof Error ? err.message.slice(0, 200) : 'stop failed'));
  if (errors.length > 0) {
    createLogger().warn('channel logout side effect failed', { channel: d.id, account: a.id, errors });
    await noteAccountEvent(env, d.id, a.id, { kind: 'error', at: now, error: `logout: ${errors.join('; ')}` });
  }
  // Credentials stay in the config (edgeclaw never edits it): `cleared` is false, the account is stopped.
  return { ...base, cleared: false, loggedOut: true, stoppedAt: now, ...(errors.length > 0 ? { warnings: errors } : {}) };
}

/**
 * `channels.start`: undoes a logout and (re)starts the account's connection.
 * @example await channelsStart(env, 'signal', 'default', Date.now())
 */
export async function channelsStart(env: Env, channel: string, accountId: string, now: number): Promise<Record<string, unknown>> {
  const d = driverOrThrow('channels.start', channel);
  const a = d.accounts(env).find((x) => x.id === accountId);
  if (!a) return { channel: d.id, accountId, started: false, reason: 'account not configured' };
  await setChannelStopped(env.DB, d.id, a.id, null, now);
  forgetStopped(env, d.id, a.id);
  await d.start?.(env, a.id);
  const hosted = (await env.CHANNEL_HOST?.start(d.id, a.id)) ?? false;
  return { channel: d.id, accountId, started: true, hosted };
}
