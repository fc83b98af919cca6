/**
 * Slack accounts: the zod schema of `channels.slack`, and the env path (`SLACK_BOT_TOKEN` +
 * `SLACK_SIGNING_SECRET` create or override the account `default`). Secrets never appear in messages.
 */
import { z } from 'zod';
import type { ActivationPolicy } from '../activation.ts';
import { ACCESS_FIELDS, AccountIdSchema, accountsSection, BaseUrlSchema, csv, envFields, findById, mentionActivation, resolveAccounts, trimSlash, type AccountSource } from '../accounts.ts';

/** One Slack app installation (one bot token, one signing secret). */
export const SlackAccountSchema = z.strictObject({
  id: AccountIdSchema,
  /** Bot token (`xoxb-…`, a secret). */
  botToken: z.string().regex(/^xox[a-z]-[A-Za-z0-9-]{8,255}$/, 'expected a bot token like xoxb-…'),
  /** Signing secret from the app's Basic Information page (a secret); every request is verified with it. */
  signingSecret: z.string().regex(/^[A-Za-z0-9]{16,128}$/, 'expected the app signing secret (hex)'),
  /** Web API root (a fake in tests); no trailing slash. */
  apiRoot: BaseUrlSchema.default('https://slack.com/api'),
  /** allowFrom: Slack user ids (U…); groups: channel ids (C…/G…) where mentions are answered. */
  ...ACCESS_FIELDS,
  /** Characters per message: Slack recommends at most 4,000 and truncates `text` past 40,000. */
  textChunkLimit: z.number().int().min(100).max(40_000).default(4_000),
});

/** A validated account. */
export type SlackAccount = z.output<typeof SlackAccountSchema>;

/** The `channels.slack` section. */
export const SlackConfigSchema = accountsSection(SlackAccountSchema);

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
  return findById(resolveSlackAccounts(vars), id);
}

/** The activation rules of an account (channels need a mention: only `app_mention` events reach them). */
export function slackActivation(a: SlackAccount): ActivationPolicy {
  return mentionActivation(a);
}
