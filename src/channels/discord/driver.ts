/**
 * The Discord driver: the interactions endpoint `/discord/<account>/interactions` (`/ask`, both
 * runtimes) and, on Node, a Gateway connection for plain messages (node-adapter/discord-gateway.ts).
 */
import { publicUrl } from '../accounts.ts';
import { accountFingerprint, type ChannelDriver } from '../channel-driver.ts';
import { resolveDiscordAccounts } from './config.ts';
import { parseDiscordTarget } from './events.ts';

/** Discord in the channel registry. */
export const discordDriver: ChannelDriver = {
  id: 'discord',
  label: 'Discord',
  detailLabel: 'Discord Bot',
  supports: { edit: true, delete: true, reactions: true, threads: true, polls: true, media: true, dmPairing: true },
  accounts: (env) =>
    resolveDiscordAccounts(env).map((a) => ({
      id: a.id,
      mode: a.gateway ? 'gateway' : 'interactions',
      hosted: a.gateway,
      fingerprint: accountFingerprint(a),
      fromEnv: a.id === 'default' && Boolean(env.DISCORD_PUBLIC_KEY || env.DISCORD_APPLICATION_ID || env.DISCORD_BOT_TOKEN),
      details: { application: { id: a.applicationId }, dmPolicy: a.dmPolicy, allowFrom: a.allowFrom, baseUrl: publicUrl(a.apiRoot), botTokenSource: a.botToken ? 'config' : 'none' },
    })),
  routes: () => import('./routes.ts').then((m) => m.discordRoutes()),
  parseTarget: parseDiscordTarget,
  outbox: (env, store) => import('./delivery.ts').then((m) => m.discordOutboxFor(env, store)),
};
