/**
 * Signal accounts, reached through a `signal-cli daemon --http` (https://github.com/AsamK/signal-cli,
 * man page signal-cli-jsonrpc(5)): the zod schema of `channels.signal`, and the zero-config env path
 * (SIGNAL_URL + SIGNAL_NUMBER create or override the account `default`). Node only: the daemon runs next
 * to the gateway, and receiving is a long-lived event stream.
 */
import { z } from 'zod';
import { csv, envFields, resolveAccounts, trimSlash, type AccountSource } from '../accounts.ts';
import type { ActivationPolicy } from '../activation.ts';

const list = z.array(z.string().trim().min(1).max(128)).max(1000);

/** One Signal number served by a signal-cli daemon. */
export const SignalAccountSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9_-]{1,64}$/, 'expected a lower-case account id (a-z, 0-9, _ or -)'),
  /** The registered number (E.164, e.g. +15551234567). */
  number: z.string().regex(/^\+\d{6,16}$/, 'expected the account number in E.164 form (+ and digits)'),
  /** Base URL of `signal-cli daemon --http` (e.g. http://127.0.0.1:8080); no trailing slash. */
  url: z.url({ protocol: /^https?$/ }).refine((u) => !u.endsWith('/'), 'remove the trailing /'),
  /** The daemon serves several accounts (started without -a): requests name the account. */
  multiAccount: z.boolean().default(false),
  agentId: z.string().regex(/^[a-z0-9_-]{1,64}$/).default('main'),
  dmScope: z.enum(['main', 'per-peer', 'per-channel-peer', 'per-account-channel-peer']).default('per-account-channel-peer'),
  dmPolicy: z.enum(['open', 'allowlist', 'pairing', 'disabled']).default('pairing'),
  /** Sender numbers or UUIDs allowed in direct messages, or `*`. */
  allowFrom: list.default([]),
  groupPolicy: z.enum(['open', 'allowlist', 'disabled']).default('allowlist'),
  /** Group ids (base64, as signal-cli shows them) where the bot answers mentions, or `*`. */
  groups: list.default([]),
  groupAllowFrom: list.default([]),
  /** Characters per message (the reference splits every channel but Discord at 4,000). */
  textChunkLimit: z.number().int().min(100).max(64_000).default(4_000),
});

/** A validated account. */
export type SignalAccount = z.output<typeof SignalAccountSchema>;

/** The `channels.signal` section. */
export const SignalConfigSchema = z
  .strictObject({ accounts: z.array(SignalAccountSchema).max(32).default([]) })
  .refine((c) => new Set(c.accounts.map((a) => a.id)).size === c.accounts.length, 'an account id is used twice');

/** The env vars this module reads. */
export interface SignalVars {
  /** The whole section as JSON (how the Node host passes its config file). */
  readonly EDGECLAW_SIGNAL?: string;
  readonly SIGNAL_URL?: string;
  readonly SIGNAL_NUMBER?: string;
  readonly SIGNAL_DM_POLICY?: string;
  readonly SIGNAL_ALLOW_FROM?: string;
}

const SOURCE: AccountSource<SignalAccount> = {
  channel: 'signal',
  label: 'Signal',
  sectionVar: 'EDGECLAW_SIGNAL',
  schema: SignalConfigSchema,
  envAccount(vars) {
    const a = envFields(vars, { SIGNAL_NUMBER: 'number', SIGNAL_DM_POLICY: 'dmPolicy' });
    const v = vars as SignalVars;
    if (!v.SIGNAL_URL && !a) return null;
    const out = a ?? {};
    if (v.SIGNAL_URL) out.url = trimSlash(v.SIGNAL_URL);
    if (v.SIGNAL_ALLOW_FROM) out.allowFrom = csv(v.SIGNAL_ALLOW_FROM);
    return out;
  },
};

/**
 * The configured accounts (section plus env overrides), validated and cached per vars object.
 * @example resolveSignalAccounts({ SIGNAL_URL: 'http://127.0.0.1:8080', SIGNAL_NUMBER: '+15550001' })[0].id === 'default'
 */
export function resolveSignalAccounts(vars: SignalVars): readonly SignalAccount[] {
  return resolveAccounts(SOURCE, vars);
}

/** The account named `id`, or null. */
export function findSignalAccount(vars: SignalVars, id: string): SignalAccount | null {
  return resolveSignalAccounts(vars).find((a) => a.id === id) ?? null;
}

/** The activation rules of an account (groups answer mentions and replies to the bot). */
export function signalActivation(a: SignalAccount): ActivationPolicy {
  return { dmPolicy: a.dmPolicy, allowFrom: a.allowFrom, groupPolicy: a.groupPolicy, groups: a.groups, groupAllowFrom: a.groupAllowFrom, groupActivation: 'mention' };
}
