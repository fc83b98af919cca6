/**
 * The channel registry: canonical channel ids and their aliases (seed-system §6.1-6.2) and the one
 * table of drivers (the interface is in channel-driver.ts). `src/app.ts` mounts driver routes
 * from it, the session runner finds the driver of a reply target through it, and `channels.status` /
 * `channels.logout` walk it. Adding a channel = one folder with a `driver.ts` and one line below.
 */
import type { ChannelDriver } from './channel-driver.ts';
import type { ReplyTarget } from './envelope.ts';
import { discordDriver } from './discord/driver.ts';
import { signalDriver } from './signal/driver.ts';
import { slackDriver } from './slack/driver.ts';
import { telegramDriver } from './telegram/driver.ts';
import { whatsappDriver } from './whatsapp/driver.ts';

export { CHANNEL_IDS } from './ids.ts';

/** Aliases → canonical ids (seed-system §6.2, `normalize_channel_id`). */
const ALIASES: Readonly<Record<string, string>> = {
  tg: 'telegram',
  grammy: 'telegram',
  wa: 'whatsapp',
  baileys: 'whatsapp',
  bb: 'bluebubbles',
  'internet-relay-chat': 'irc',
  imsg: 'imessage',
  lark: 'feishu',
  'google-chat': 'googlechat',
  gchat: 'googlechat',
  teams: 'msteams',
  'ms-teams': 'msteams',
  'signal-cli': 'signal',
  nc: 'nextcloud-talk',
  'nc-talk': 'nextcloud-talk',
  nc_talk: 'nextcloud-talk',
  nextcloudtalk: 'nextcloud-talk',
  urbit: 'tlon',
  zl: 'zalo',
  zlu: 'zalouser',
  'zalo-personal': 'zalouser',
  zalo_personal: 'zalouser',
  'web-chat': 'webchat',
  web_chat: 'webchat',
  'webchat-ui': 'webchat',
};

/**
 * Lower-cased, trimmed, alias-resolved channel name (unknown names pass through).
 * @example normalizeChannelId(' TG ') === 'telegram'
 */
export function normalizeChannelId(raw: string): string {
  const id = raw.trim().toLowerCase();
  return ALIASES[id] ?? id;
}

/** Every driver, in channel order (the order of CHANNEL_IDS). */
export const CHANNEL_DRIVERS: readonly ChannelDriver[] = [telegramDriver, whatsappDriver, discordDriver, slackDriver, signalDriver];

const BY_ID = new Map<string, ChannelDriver>(CHANNEL_DRIVERS.map((d) => [d.id, d]));

/**
 * The driver of a channel name (aliases accepted), or null.
 * @example channelDriver('tg')?.id === 'telegram'
 */
export function channelDriver(name: string): ChannelDriver | null {
  return BY_ID.get(normalizeChannelId(name)) ?? null;
}

/**
 * The driver and target of a session item's `thread` (`<channel>:<account>:<chat>…`), or null.
 * @example resolveReplyTarget('slack:default:C1:t1700000000.000100')?.driver.id === 'slack'
 */
export function resolveReplyTarget(thread: string): { driver: ChannelDriver; target: ReplyTarget } | null {
  const at = thread.indexOf(':');
  if (at <= 0) return null;
  const driver = BY_ID.get(thread.slice(0, at));
  const target = driver?.parseTarget(thread);
  return driver && target ? { driver, target } : null;
}
