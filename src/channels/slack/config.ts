/**
 * Slack accounts: the zod schema of `channels.slack`, and the env path (`SLACK_BOT_TOKEN` +
 * `SLACK_SIGNING_SECRET` create or override the account `default`). Secrets never appear in messages.
 */
import { z } from 'zod';
import type { ActivationPolicy } from '../activation.ts';

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

const csv = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
const cache = new WeakMap<object, readonly SlackAccount[]>();

/**
 * The configured accounts (section plus env overrides), validated and cached per vars object; throws an
 * Error naming what to fix.
 * @example resolveSlackAccounts({ SLACK_BOT_TOKEN: 'xoxb-…', SLACK_SIGNING_SECRET: '8f7…' })[0].id === 'default'
 */
export function resolveSlackAccounts(vars: SlackVars): readonly SlackAccount[] {
  const hit = cache.get(vars);
  if (hit) return hit;
  let section: { accounts?: Record<string, unknown>[] } = {};
  if (vars.EDGECLAW_SLACK) {
    try {
      section = JSON.parse(vars.EDGECLAW_SLACK) as typeof section;
    } catch {
      throw new Error('EDGECLAW_SLACK is not valid JSON (expected the channels.slack section)');
    }
  }
  const accounts = [...(Array.isArray(section.accounts) ? section.accounts : [])];
  if (vars.SLACK_BOT_TOKEN || vars.SLACK_SIGNING_SECRET) {
    const at = accounts.findIndex((a) => a && a.id === 'default');
    const a: Record<string, unknown> = { ...(at >= 0 ? accounts[at] : {}), id: 'default' };
    if (vars.SLACK_BOT_TOKEN) a.botToken = vars.SLACK_BOT_TOKEN;
    if (vars.SLACK_SIGNING_SECRET) a.signingSecret = vars.SLACK_SIGNING_SECRET;
    if (vars.SLACK_API_ROOT) a.apiRoot = vars.SLACK_API_ROOT.replace(/\/+$/, '');
    if (vars.SLACK_DM_POLICY) a.dmPolicy = vars.SLACK_DM_POLICY;
    if (vars.SLACK_ALLOW_FROM) a.allowFrom = csv(vars.SLACK_ALLOW_FROM);
    if (vars.SLACK_CHANNELS) a.groups = csv(vars.SLACK_CHANNELS);
    if (at >= 0) accounts[at] = a;
    else accounts.unshift(a);
  }
  const parsed = SlackConfigSchema.safeParse({ ...section, accounts });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `slack.${i.path.map(String).join('.')}: ${i.message}`);
    throw new Error(`invalid Slack configuration:\n  ${lines.join('\n  ')}`);
  }
  cache.set(vars, parsed.data.accounts);
  return parsed.data.accounts;
}

/** The account named `id`, or null. */
export function findSlackAccount(vars: SlackVars, id: string): SlackAccount | null {
  return resolveSlackAccounts(vars).find((a) => a.id === id) ?? null;
}

/** The activation rules of an account (channels need a mention: only `app_mention` events reach them). */
export function slackActivation(a: SlackAccount): ActivationPolicy {
  return { dmPolicy: a.dmPolicy, allowFrom: a.allowFrom, groupPolicy: a.groupPolicy, groups: a.groups, groupAllowFrom: a.groupAllowFrom, groupActivation: 'mention' };
}
