/**
 * Discord applications: the zod schema of `channels.discord`, and the zero-config env path
 * (DISCORD_APPLICATION_ID + DISCORD_PUBLIC_KEY, optionally DISCORD_BOT_TOKEN, create or override the
 * account `default`). The interactions endpoint needs only the public key; replies to plain messages and
 * the Gateway connection (Node only) need the bot token. Secrets never appear in messages.
 */
import { z } from 'zod';
import { ACCESS_FIELDS, AccountIdSchema, accountsSection, BaseUrlSchema, csv, envFields, findById, mentionActivation, resolveAccounts, trimSlash, type AccountSource } from '../accounts.ts';
import type { ActivationPolicy } from '../activation.ts';
const Snowflake = z.string().regex(/^\d{5,25}$/, 'expected a Discord id (digits)');

/** Gateway intents: GUILD_MESSAGES (1<<9), DIRECT_MESSAGES (1<<12), MESSAGE_CONTENT (1<<15, privileged). */
export const DEFAULT_INTENTS = (1 << 9) | (1 << 12) | (1 << 15);

/** One Discord application (one bot). */
export const DiscordAccountSchema = z
  .strictObject({
    id: AccountIdSchema,
    applicationId: Snowflake,
    /** The application's public key (hex): every interaction request is verified with it (Ed25519). */
    publicKey: z.string().regex(/^[0-9a-fA-F]{64}$/, 'expected the application public key (64 hex characters)'),
    /** Bot token (a secret): replies to plain messages and the Gateway connection need it. */
    botToken: z.string().regex(/^[A-Za-z0-9_.-]{30,200}$/, 'expected a bot token from the Developer Portal').optional(),
    /** REST API root (a fake in tests); no trailing slash. */
    apiRoot: BaseUrlSchema.default('https://discord.com/api/v10'),
    /** Node only: also connect to the Gateway (WebSocket) for plain messages and mentions. */
    gateway: z.boolean().default(false),
    gatewayIntents: z.number().int().min(0).max(2 ** 25).default(DEFAULT_INTENTS),
    /** allowFrom: user ids; groups: channel ids (in servers) where the bot answers. */
    ...ACCESS_FIELDS,
    /** Characters per message: Discord's limit for `content` is 2,000. */
    textChunkLimit: z.number().int().min(100).max(2_000).default(2_000),
  })
  .superRefine((a, ctx) => {
    if (a.gateway && !a.botToken) ctx.addIssue({ code: 'custom', path: ['botToken'], message: 'the Gateway connection needs botToken (DISCORD_BOT_TOKEN)' });
  });

/** A validated account. */
export type DiscordAccount = z.output<typeof DiscordAccountSchema>;

/** The `channels.discord` section. */
export const DiscordConfigSchema = accountsSection(DiscordAccountSchema);

/** The env vars this module reads. */
export interface DiscordVars {
  /** The whole section as JSON (how the Node host passes its config file). */
  readonly EDGECLAW_DISCORD?: string;
  readonly DISCORD_APPLICATION_ID?: string;
  readonly DISCORD_PUBLIC_KEY?: string;
  readonly DISCORD_BOT_TOKEN?: string;
  readonly DISCORD_API_ROOT?: string;
  readonly DISCORD_GATEWAY?: string;
  readonly DISCORD_DM_POLICY?: string;
  readonly DISCORD_ALLOW_FROM?: string;
  readonly DISCORD_CHANNELS?: string;
}

const SOURCE: AccountSource<DiscordAccount> = {
  channel: 'discord',
  label: 'Discord',
  sectionVar: 'EDGECLAW_DISCORD',
  schema: DiscordConfigSchema,
  envAccount(vars) {
    const a = envFields(vars, { DISCORD_APPLICATION_ID: 'applicationId', DISCORD_PUBLIC_KEY: 'publicKey', DISCORD_BOT_TOKEN: 'botToken', DISCORD_DM_POLICY: 'dmPolicy' });
    if (!a) return null;
    const v = vars as DiscordVars;
    if (v.DISCORD_API_ROOT) a.apiRoot = trimSlash(v.DISCORD_API_ROOT);
    if (v.DISCORD_GATEWAY) a.gateway = /^(1|true|yes|on)$/i.test(v.DISCORD_GATEWAY);
    if (v.DISCORD_ALLOW_FROM) a.allowFrom = csv(v.DISCORD_ALLOW_FROM);
    if (v.DISCORD_CHANNELS) a.groups = csv(v.DISCORD_CHANNELS);
    return a;
  },
};

/**
 * The configured accounts (section plus env overrides), validated and cached per vars object.
 * @example resolveDiscordAccounts({ DISCORD_APPLICATION_ID: '123456', DISCORD_PUBLIC_KEY: 'ab…' })[0].id === 'default'
 */
export function resolveDiscordAccounts(vars: DiscordVars): readonly DiscordAccount[] {
  return resolveAccounts(SOURCE, vars);
}

/** The account named `id`, or null. */
export function findDiscordAccount(vars: DiscordVars, id: string): DiscordAccount | null {
  return findById(resolveDiscordAccounts(vars), id);
}

/** The activation rules of an account. */
export function discordActivation(a: DiscordAccount): ActivationPolicy {
  return mentionActivation(a);
}
