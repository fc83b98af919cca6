/**
 * Account resolution shared by the channel drivers: the config section arrives as JSON in one var
 * (`EDGECLAW_<CHANNEL>`, how the Node host passes its config file; usable as a Workers secret), the
 * zero-config env vars create or override the account `default`, and one zod schema validates the
 * result. Results are cached per vars object, so a webhook request does not re-parse. Misconfiguration
 * is a plain Error naming each bad key; secrets never appear in it.
 */
import { z } from 'zod';
import type { ActivationPolicy } from './activation.ts';

/** A raw account as it appears in the section before validation. */
export type RawAccount = Record<string, unknown>;

/** How one channel's accounts are resolved. */
export interface AccountSource<A> {
  /** Config key of the section (`slack`), used in error messages. */
  readonly channel: string;
  /** Human name (`Slack`), used in error messages. */
  readonly label: string;
  /** Name of the var carrying the section as JSON (`EDGECLAW_SLACK`). */
  readonly sectionVar: string;
  /** The section schema: `{ accounts: A[] }` after parsing. */
  readonly schema: z.ZodType<{ accounts: A[] }>;
  /**
   * The env overrides of the `default` account merged over `base` (its section entry, if any), or null
   * when no zero-config var is set.
   */
  envAccount(vars: Readonly<Record<string, unknown>>, base: RawAccount | undefined): RawAccount | null;
}

const caches = new WeakMap<AccountSource<unknown>, WeakMap<object, readonly unknown[]>>();

/** Comma-separated list → trimmed non-empty entries. */
export function csv(s: string): string[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

/** A URL without its trailing slashes (env values are often pasted with one). */
export function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/**
 * The configured accounts of one channel (section plus env overrides), validated and cached.
 * @example resolveAccounts(SLACK_SOURCE, env)[0].id === 'default'
 */
export function resolveAccounts<A>(source: AccountSource<A>, vars: object): readonly A[] {
  let cache = caches.get(source as AccountSource<unknown>);
  if (!cache) caches.set(source as AccountSource<unknown>, (cache = new WeakMap()));
  const hit = cache.get(vars);
  // SAFETY: the cache for `source` only ever holds values parsed by `source.schema`.
  if (hit) return hit as readonly A[];
  const record = vars as Readonly<Record<string, unknown>>;
  const json = record[source.sectionVar];
  let section: { accounts?: unknown } = {};
  if (typeof json === 'string' && json) {
    try {
      section = JSON.parse(json) as typeof section;
    } catch {
      throw new Error(`${source.sectionVar} is not valid JSON (expected the channels.${source.channel} section)`);
    }
  }
  const accounts = [...(Array.isArray(section.accounts) ? (section.accounts as RawAccount[]) : [])];
  const at = accounts.findIndex((a) => a && a.id === 'default');
  const fromEnv = source.envAccount(record, at >= 0 ? accounts[at] : undefined);
  if (fromEnv) {
    const merged = { ...(at >= 0 ? accounts[at] : {}), ...fromEnv, id: 'default' };
    if (at >= 0) accounts[at] = merged;
    else accounts.unshift(merged);
  }
  const parsed = source.schema.safeParse({ ...section, accounts });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${source.channel}.${i.path.map(String).join('.')}: ${i.message}`);
    throw new Error(`invalid ${source.label} configuration:\n  ${lines.join('\n  ')}`);
  }
  cache.set(vars, parsed.data.accounts);
  return parsed.data.accounts;
}

/** Copies the set env vars of `fields` (var name → account field) into an account, or null when none is set. */
export function envFields(vars: Readonly<Record<string, unknown>>, fields: Readonly<Record<string, string>>): RawAccount | null {
  const out: RawAccount = {};
  for (const [name, field] of Object.entries(fields)) {
    const v = vars[name];
    if (typeof v === 'string' && v) out[field] = v;
  }
  return Object.keys(out).length > 0 ? out : null;
}

/** An account id inside a channel section. */
export const AccountIdSchema = z.string().regex(/^[a-z0-9_-]{1,64}$/, 'expected a lower-case account id (a-z, 0-9, _ or -)');

/** An API root or daemon URL (http/https), without a trailing slash. */
export const BaseUrlSchema = z.url({ protocol: /^https?$/ }).refine((u) => !u.endsWith('/'), 'remove the trailing /');

const list = z.array(z.string().trim().min(1).max(128)).max(1000);

/**
 * The routing and access fields every chat account shares (agent, DM scope and policy, allowlists, group
 * policy); spread into an account schema.
 * @example z.strictObject({ id: AccountIdSchema, ...ACCESS_FIELDS })
 */
export const ACCESS_FIELDS = {
  agentId: z.string().regex(/^[a-z0-9_-]{1,64}$/).default('main'),
  /** How DMs map to sessions; the default keeps every user (and bot account) apart. */
  dmScope: z.enum(['main', 'per-peer', 'per-channel-peer', 'per-account-channel-peer']).default('per-account-channel-peer'),
  dmPolicy: z.enum(['open', 'allowlist', 'pairing', 'disabled']).default('pairing'),
  /** Senders allowed in DMs (channel-native ids), or `*`. */
  allowFrom: list.default([]),
  groupPolicy: z.enum(['open', 'allowlist', 'disabled']).default('allowlist'),
  /** Group/channel ids where the bot answers mentions, or `*`. */
  groups: list.default([]),
  groupAllowFrom: list.default([]),
};

/**
 * A channel section `{ accounts: [...] }` (at most 32 accounts, ids unique).
 * @example export const DiscordConfigSchema = accountsSection(DiscordAccountSchema)
 */
export function accountsSection<T extends z.ZodType<{ id: string }>>(account: T) {
  return z
    .strictObject({ accounts: z.array(account).max(32).default([]) })
    .refine((c) => new Set(c.accounts.map((a) => (a as { id: string }).id)).size === c.accounts.length, 'an account id is used twice');
}

/**
 * Activation rules of an account with the shared access fields (groups answer mentions and replies).
 * @example decideActivation(envelope, mentionActivation(account), { addressed: false })
 */
export function mentionActivation(a: Pick<ActivationPolicy, 'dmPolicy' | 'allowFrom' | 'groupPolicy' | 'groups' | 'groupAllowFrom'>): ActivationPolicy {
  return { dmPolicy: a.dmPolicy, allowFrom: a.allowFrom, groupPolicy: a.groupPolicy, groups: a.groups, groupAllowFrom: a.groupAllowFrom, groupActivation: 'mention' };
}

/** The account named `id` in `accounts`, or null. */
export function findById<A extends { id: string }>(accounts: readonly A[], id: string): A | null {
  return accounts.find((a) => a.id === id) ?? null;
}

/**
 * A URL fit for status output: user info, query and fragment removed (they may carry credentials).
 * @example publicUrl('http://user:pw@127.0.0.1:8080/?k=1') === 'http://127.0.0.1:8080'
 */
export function publicUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(invalid url)';
  }
}
