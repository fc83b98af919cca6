/**
 * Signal accounts, reached through a `signal-cli daemon --http` (https://github.com/AsamK/signal-cli,
 * man page signal-cli-jsonrpc(5)): the zod schema of `channels.signal`, and the zero-config env path
 * (SIGNAL_URL + SIGNAL_NUMBER create or override the account `default`). Node only: the daemon runs next
 * to the gateway, and receiving is a long-lived event stream.
 */
import { z } from 'zod';
import { ACCESS_FIELDS, AccountIdSchema, accountsSection, BaseUrlSchema, csv, envFields, findById, mentionActivation, resolveAccounts, trimSlash, type AccountSource } from '../accounts.ts';
import type { ActivationPolicy } from '../activation.ts';

/** One Signal number served by a signal-cli daemon. */
export const SignalAccountSchema = z.strictObject({
  id: AccountIdSchema,
  /** The registered number (E.164, e.g. +15551234567). */
  number: z.string().regex(/^\+\d{6,16}$/, 'expected the account number in E.164 form (+ and digits)'),
  /** Base URL of `signal-cli daemon --http` (e.g. http://127.0.0.1:8080); no trailing slash. */
  url: BaseUrlSchema,
  /** The daemon serves several accounts (started without -a): requests name the account. */
  multiAccount: z.boolean().default(false),
  /** allowFrom: sender numbers or UUIDs; groups: group ids (base64, as signal-cli shows them). */
  ...ACCESS_FIELDS,
  /** Characters per message (the reference splits every channel but Discord at 4,000). */
  textChunkLimit: z.number().int().min(100).max(64_000).default(4_000),
});

/** A validated account. */
export type SignalAccount = z.output<typeof SignalAccountSchema>;

/** The `channels.signal` section. */
export const SignalConfigSchema = accountsSection(SignalAccountSchema);

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
  return findById(resolveSignalAccounts(vars), id);
}

/** The activation rules of an account (groups answer mentions and replies to the bot). */
export function signalActivation(a: SignalAccount): ActivationPolicy {
  return mentionActivation(a);
}
