/**
 * Telegram accounts: the zod schema of the `channels.telegram` config section, and the zero-config env
 * path (`TELEGRAM_BOT_TOKEN` creates or overrides the account `default`). Misconfiguration is a plain
 * Error naming what to fix; tokens never appear in messages.
 */
import { z } from 'zod';
import type { ActivationPolicy } from '../activation.ts';

const ACCOUNT_ID = /^[a-z0-9_-]{1,64}$/;
/** Telegram's rule for `secret_token`: 1-256 of A-Z a-z 0-9 _ - (setWebhook). */
export const WEBHOOK_SECRET = /^[A-Za-z0-9_-]{1,256}$/;
const TOKEN = /^\d{1,20}:[A-Za-z0-9_-]{20,200}$/;
const list = z.array(z.string().trim().min(1).max(128)).max(1000);

/** One bot. */
export const TelegramAccountSchema = z
  .strictObject({
    id: z.string().regex(ACCOUNT_ID, 'expected a lower-case account id (a-z, 0-9, _ or -)'),
    /** Bot token from @BotFather (a secret). */
    token: z.string().regex(TOKEN, 'expected a bot token like 123456789:AA... from @BotFather'),
    /** Defaults to webhook when a webhookSecret is set, else polling. */
    transport: z.enum(['webhook', 'polling']).optional(),
    webhookSecret: z.string().regex(WEBHOOK_SECRET, 'expected 1-256 characters of A-Z, a-z, 0-9, _ or -').optional(),
    /** Public base URL; the webhook is `<url>/telegram/<id>/webhook`. */
    webhookUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** Bot API root (self-hosted Bot API server, or a fake in tests); no trailing slash. */
    apiRoot: z.url({ protocol: /^https?$/ }).refine((u) => !u.endsWith('/'), 'remove the trailing /').optional(),
    /** The bot's @username without `@`; learned with getMe when absent. */
    botUsername: z.string().regex(/^[A-Za-z0-9_]{3,64}$/).optional(),
    agentId: z.string().regex(/^[a-z0-9_-]{1,64}$/).default('main'),
    /** How DMs map to sessions; the default keeps every user (and bot account) apart. */
    dmScope: z.enum(['main', 'per-peer', 'per-channel-peer', 'per-account-channel-peer']).default('per-account-channel-peer'),
    dmPolicy: z.enum(['open', 'allowlist', 'pairing', 'disabled']).default('pairing'),
    allowFrom: list.default([]),
    /** The owner (user id or @username): may run owner-only commands (`/set api key`). Unset: the first specific `allowFrom` entry, else the first sender approved through pairing. */
    owner: z.string().trim().regex(/^(@?[A-Za-z0-9_]{3,64}|\d{1,20})$/, 'expected a numeric user id or @username').optional(),
    groupPolicy: z.enum(['open', 'allowlist', 'disabled']).default('allowlist'),
    groups: list.default([]),
    groupAllowFrom: list.default([]),
    /** Groups: `mention` (mention, reply or command), `reply` (reply or command) or `always`. */
    groupActivation: z.enum(['mention', 'reply', 'always']).default('mention'),
    /** Visible UTF-16 units per message (Telegram's hard limit is 4096). */
    textChunkLimit: z.number().int().min(64).max(4096).default(4096),
    /** Stream replies by editing a draft message while the model writes (TELEGRAM_STREAMING=1). */
    streaming: z.boolean().default(false),
    /** Largest inbound file downloaded for the model (bytes; the Bot API serves at most 20 MB). */
    mediaMaxBytes: z.number().int().min(1024).max(20 * 1024 * 1024).default(5 * 1024 * 1024),
    /** Long-poll timeout of getUpdates (seconds). */
    pollTimeoutSeconds: z.number().int().min(0).max(50).default(25),
    /** Webhook inbox: most updates accepted and not yet handed to a session (beyond it the webhook answers 503 and Telegram retries). */
    inboxCap: z.number().int().min(1).max(1_000_000).default(10_000),
  })
  .superRefine((a, ctx) => {
    if ((a.transport ?? (a.webhookSecret ? 'webhook' : 'polling')) === 'webhook' && !a.webhookSecret) {
      ctx.addIssue({ code: 'custom', path: ['webhookSecret'], message: 'webhook transport needs webhookSecret (or TELEGRAM_WEBHOOK_SECRET): an unauthenticated webhook would accept forged updates' });
    }
  })
  .transform((a) => ({ ...a, transport: a.transport ?? (a.webhookSecret ? ('webhook' as const) : ('polling' as const)) }));

/** A validated account. */
export type TelegramAccount = z.output<typeof TelegramAccountSchema>;

/** The `channels.telegram` section. */
export const TelegramConfigSchema = z
  .strictObject({ accounts: z.array(z.unknown()).max(32).default([]) })
  .transform((c, ctx) => {
    const accounts: TelegramAccount[] = [];
    c.accounts.forEach((raw, i) => {
      const parsed = TelegramAccountSchema.safeParse(raw);
      if (parsed.success) accounts.push(parsed.data);
      else for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: ['accounts', i, ...issue.path.map(String)], message: issue.message });
    });
    const ids = accounts.map((a) => a.id);
    const dup = ids.find((id, i) => ids.indexOf(id) !== i);
    if (dup) ctx.addIssue({ code: 'custom', path: ['accounts'], message: `account id "${dup}" is used twice` });
    return { accounts };
  });

/** The env vars this module reads (all optional strings). */
export interface TelegramVars {
  /** The whole section as JSON (how the Node host passes the config file; usable as a Workers secret). */
  readonly EDGECLAW_TELEGRAM?: string;
  readonly TELEGRAM_BOT_TOKEN?: string;
  readonly TELEGRAM_MODE?: string;
  readonly TELEGRAM_WEBHOOK_SECRET?: string;
  readonly TELEGRAM_WEBHOOK_URL?: string;
  readonly TELEGRAM_API_ROOT?: string;
  readonly TELEGRAM_ALLOW_FROM?: string;
  readonly TELEGRAM_GROUPS?: string;
  readonly TELEGRAM_REQUIRE_MENTION?: string;
  readonly TELEGRAM_DM_POLICY?: string;
  readonly TELEGRAM_OWNER_ID?: string;
  readonly TELEGRAM_STREAMING?: string;
  readonly TELEGRAM_MEDIA_MAX_BYTES?: string;
}

/** `1/true/yes/on` → true, `0/false/no/off` → false; anything else is passed on for the schema to reject. */
const flag = (s: string): boolean | string => (/^(1|true|yes|on)$/i.test(s) ? true : /^(0|false|no|off)$/i.test(s) ? false : s);
const csv = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);

function envAccount(vars: TelegramVars, base: Record<string, unknown> | undefined): Record<string, unknown> {
  const a: Record<string, unknown> = { ...(base ?? {}), id: 'default', token: vars.TELEGRAM_BOT_TOKEN };
  if (vars.TELEGRAM_MODE) a.transport = vars.TELEGRAM_MODE;
  if (vars.TELEGRAM_WEBHOOK_SECRET) a.webhookSecret = vars.TELEGRAM_WEBHOOK_SECRET;
  if (vars.TELEGRAM_WEBHOOK_URL) a.webhookUrl = vars.TELEGRAM_WEBHOOK_URL.replace(/\/+$/, '');
  if (vars.TELEGRAM_API_ROOT) a.apiRoot = vars.TELEGRAM_API_ROOT.replace(/\/+$/, '');
  if (vars.TELEGRAM_ALLOW_FROM) {
    a.allowFrom = csv(vars.TELEGRAM_ALLOW_FROM);
    // Listed senders skip pairing; unlisted ones still get the pairing answer.
    a.dmPolicy ??= 'pairing';
  }
  if (vars.TELEGRAM_DM_POLICY) a.dmPolicy = vars.TELEGRAM_DM_POLICY;
  if (vars.TELEGRAM_OWNER_ID) a.owner = vars.TELEGRAM_OWNER_ID;
  if (vars.TELEGRAM_GROUPS) a.groups = csv(vars.TELEGRAM_GROUPS);
  if (vars.TELEGRAM_STREAMING) a.streaming = flag(vars.TELEGRAM_STREAMING);
  if (vars.TELEGRAM_MEDIA_MAX_BYTES) a.mediaMaxBytes = /^\d+$/.test(vars.TELEGRAM_MEDIA_MAX_BYTES) ? Number(vars.TELEGRAM_MEDIA_MAX_BYTES) : vars.TELEGRAM_MEDIA_MAX_BYTES;
  if (vars.TELEGRAM_REQUIRE_MENTION) a.groupActivation = /^(0|false|no|off)$/i.test(vars.TELEGRAM_REQUIRE_MENTION) ? 'always' : 'mention';
  return a;
}

const cache = new WeakMap<object, readonly TelegramAccount[]>();

/**
 * The configured accounts (file section plus env overrides), validated; throws an Error saying what to
 * fix. Cached per vars object, so a webhook request does not re-parse.
 * @example resolveTelegramAccounts({ TELEGRAM_BOT_TOKEN: '123:abc...' })[0].id === 'default'
 */
export function resolveTelegramAccounts(vars: TelegramVars): readonly TelegramAccount[] {
  const hit = cache.get(vars);
  if (hit) return hit;
  let section: unknown = {};
  if (vars.EDGECLAW_TELEGRAM) {
    try {
      section = JSON.parse(vars.EDGECLAW_TELEGRAM);
    } catch {
      throw new Error('EDGECLAW_TELEGRAM is not valid JSON (expected the channels.telegram section)');
    }
  }
  const raw = (section && typeof section === 'object' ? { ...(section as object) } : section) as { accounts?: unknown[] };
  if (vars.TELEGRAM_BOT_TOKEN) {
    const accounts = [...(Array.isArray(raw.accounts) ? raw.accounts : [])] as Record<string, unknown>[];
    const at = accounts.findIndex((a) => a && a.id === 'default');
    const merged = envAccount(vars, at >= 0 ? accounts[at] : undefined);
    if (at >= 0) accounts[at] = merged;
    else accounts.unshift(merged);
    raw.accounts = accounts;
  }
  const parsed = TelegramConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `telegram.${i.path.map(String).join('.')}: ${i.message}`);
    throw new Error(`invalid Telegram configuration:\n  ${lines.join('\n  ')}`);
  }
  cache.set(vars, parsed.data.accounts);
  return parsed.data.accounts;
}

/** The account named `id`, or null. */
export function findTelegramAccount(vars: TelegramVars, id: string): TelegramAccount | null {
  return resolveTelegramAccounts(vars).find((a) => a.id === id) ?? null;
}

/** The activation rules of an account. */
export function activationOf(a: TelegramAccount): ActivationPolicy {
  return {
    dmPolicy: a.dmPolicy,
    allowFrom: a.allowFrom,
    groupPolicy: a.groupPolicy,
    groups: a.groups,
    groupAllowFrom: a.groupAllowFrom,
    groupActivation: a.groupActivation,
  };
}

/** The bot's numeric id: the part of the token before the colon (no network call needed). */
export function botIdOf(a: Pick<TelegramAccount, 'token'>): string {
  return a.token.slice(0, a.token.indexOf(':'));
}
