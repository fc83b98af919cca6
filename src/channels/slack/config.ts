/**
 * Slack accounts: the zod schema of `channels.slack`, and the env path (`SLACK_BOT_TOKEN` +
 * `SLACK_SIGNING_SECRET` create or override the account `default`). Secrets never appear in messages.
 */
import { z } from 'zod';
import type { ActivationPolicy } from '../activation.ts';
import { csv, envFields, resolveAccounts, trimSlash, type AccountSource } from '../accounts.ts';

const list = z.array(z.string().trim().min(1).max(128)).max(1000);

/** One Slack app installation (one bot token, one signing secret). */
export const SlackAccountSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9_-]{1,64}$/, 'expected a lower-case account id (a-z, 0-9, _ or -)'),
  /** Bot token (`xoxb-…`, a secret). */
  botToken: z.string().regex(/^xox[a-z]-[A-Za-z0-9-]{8,255}$/, 'expected a bot token like xoxb-…'),
  /** Signing secret from the app's Basic Information page (a secret); every request is verified with it. */
  signingSecret: z.string().regex(/^[A-Za-z0-9]{16,128}$/, 'expected the app signing secret (hex)'),
  /** Web API root (a fake in tests); no trailing slash. */
  apiRoot: z.url({ protocol: /^https?$/ }).refine((u) => !u.endsWith('/'), 'remove the trailing /').default('https://slack.com/api'),
  agentId: z.string().regex(/^[a-z0-9_-]{1,64}$/).default('main'),
  dmScope: z.enum(['main', 'per-peer', 'per-channel-peer', 'per-account-channel-peer']).default('per-account-channel-peer'),
  dmPolicy: z.enum(['open', 'allowlist', 'pairing', 'disabled']).default('pairing'),
  /** Slack user ids (U…) allowed in DMs, or `*`. */
  allowFrom: list.default([]),
  groupPolicy: z.enum(['open', 'allowlist', 'disabled']).default('allowlist'),
  /** Channel ids (C…/G…) where mentions are answered, or `*`. */
  groups: list.default([]),
  groupAllowFrom: list.default([]),
  /** Characters per message: Slack recommends at most 4,000 and truncates `text` past 40,000. */
  textChunkLimit: z.number().int().min(100).max(40_000).default(4_000),
});

/** A validated account. */
export type SlackAccount = z.output<typeof SlackAccountSchema>;

/** The `channels.slack` section. */
export const SlackConfigSchema = z
  .strictObject({ accounts: z.array(SlackAccountSchema).max(32).default([]) })
  .refine((c) => new Set(c.accounts.map((a) => a.id)).size === c.accounts.length, 'an account id is used twice');

/** The env vars this module reads. */
export interface SlackVars {
  /** The whole section as JSON (how the Node host passes its config file). */
  readonly EDGECLAW_SLACK?: string;
  readonly SLACK_BOT_TOKEN?: string;
  readonly SLACK_SIGNING_SECRET?: string;
  readonly SLACK_API_ROOT?: string;
  readonly SLACK_DM_POLICY?: string;
  readonly SLACK_ALLOW_FROM?: string;
  readonly SLACK_CHANNELS?: string;
}

/** How `channels.slack` and the SLACK_* vars become accounts. */
const SOURCE: AccountSource<SlackAccount> = {
  channel: 'slack',
  label: 'Slack',
  sectionVar: 'EDGECLAW_SLACK',
  schema: SlackConfigSchema,
  envAccount(vars) {
    const a = envFields(vars, { SLACK_BOT_TOKEN: 'botToken', SLACK_SIGNING_SECRET: 'signingSecret' });
    if (!a) return null;
    const v = vars as SlackVars;
    if (v.SLACK_API_ROOT) a.apiRoot = trimSlash(v.SLACK_API_ROOT);
    if (v.SLACK_DM_POLICY) a.dmPolicy = v.SLACK_DM_POLICY;
    if (v.SLACK_ALLOW_FROM) a.allowFrom = csv(v.SLACK_ALLOW_FROM);
    if (v.SLACK_CHANNELS) a.groups = csv(v.SLACK_CHANNELS);
    return a;
  },
};

/**
 * The configured accounts (section plus env overrides), validated and cached per vars object; throws an
 * Error naming what to fix.
 * @example resolveSlackAccounts({ SLACK_BOT_TOKEN: 'xoxb-…', SLACK_SIGNING_SECRET: '8f7…' })[0].id === 'default'
 */
export function resolveSlackAccounts(vars: SlackVars): readonly SlackAccount[] {
  return resolveAccounts(SOURCE, vars);
}

/** The account named `id`, or null. */
export function findSlackAccount(vars: SlackVars, id: string): SlackAccount | null {
  return resolveSlackAccounts(vars).find((a) => a.id === id) ?? null;
}

/** The activation rules of an account (channels need a mention: only `app_mention` events reach them). */
export function slackActivation(a: SlackAccount): ActivationPolicy {
  return { dmPolicy: a.dmPolicy, allowFrom: a.allowFrom, groupPolicy: a.groupPolicy, groups: a.groups, groupAllowFrom: a.groupAllowFrom, groupActivation: 'mention' };
}
