/**
 * WhatsApp Cloud API accounts (one business phone number each): the zod schema of `channels.whatsapp`,
 * and the env path (WHATSAPP_TOKEN, WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN, WHATSAPP_PHONE_NUMBER_ID
 * create or override the account `default`). Secrets never appear in messages.
 */
import { z } from 'zod';
import type { ActivationPolicy } from '../activation.ts';
import { AccountIdSchema, accountsSection, BaseUrlSchema, csv, envFields, findById, resolveAccounts, trimSlash, type AccountSource } from '../accounts.ts';

/** One phone number. */
export const WhatsAppAccountSchema = z.strictObject({
  id: AccountIdSchema,
  /** The business phone number id (Graph API object id, digits). */
  phoneNumberId: z.string().regex(/^\d{1,32}$/, 'expected the numeric phone number id'),
  /** System-user or app access token (a secret). */
  accessToken: z.string().min(16, 'expected a Graph API access token').max(2048),
  /** App secret (a secret): X-Hub-Signature-256 of every webhook POST is checked with it. */
  appSecret: z.string().min(16, 'expected the app secret').max(256),
  /** The token you chose for the webhook verify handshake (hub.verify_token). */
  verifyToken: z.string().min(8, 'expected at least 8 characters').max(256),
  /** Graph API root (a fake in tests); no trailing slash. */
  apiRoot: BaseUrlSchema.default('https://graph.facebook.com'),
  apiVersion: z.string().regex(/^v\d{1,3}\.\d{1,2}$/).default('v21.0'),
  agentId: z.string().regex(/^[a-z0-9_-]{1,64}$/).default('main'),
  dmScope: z.enum(['main', 'per-peer', 'per-channel-peer', 'per-account-channel-peer']).default('per-account-channel-peer'),
  dmPolicy: z.enum(['open', 'allowlist', 'disabled']).default('allowlist'),
  /** Sender phone numbers (wa_id, digits) allowed, or `*`. */
  allowFrom: z.array(z.string().trim().min(1).max(32)).max(1000).default([]),
  /** Characters per message (a text body may hold 4,096). */
  textChunkLimit: z.number().int().min(100).max(4_096).default(4_096),
});

/** A validated account. */
export type WhatsAppAccount = z.output<typeof WhatsAppAccountSchema>;

/** The `channels.whatsapp` section. */
export const WhatsAppConfigSchema = accountsSection(WhatsAppAccountSchema);

/** The env vars this module reads. */
export interface WhatsAppVars {
  /** The whole section as JSON (how the Node host passes its config file). */
  readonly EDGECLAW_WHATSAPP?: string;
  readonly WHATSAPP_TOKEN?: string;
  readonly WHATSAPP_APP_SECRET?: string;
  readonly WHATSAPP_VERIFY_TOKEN?: string;
  readonly WHATSAPP_PHONE_NUMBER_ID?: string;
  readonly WHATSAPP_API_ROOT?: string;
  readonly WHATSAPP_ALLOW_FROM?: string;
  readonly WHATSAPP_DM_POLICY?: string;
}

/** How `channels.whatsapp` and the WHATSAPP_* vars become accounts. */
const SOURCE: AccountSource<WhatsAppAccount> = {
  channel: 'whatsapp',
  label: 'WhatsApp',
  sectionVar: 'EDGECLAW_WHATSAPP',
  schema: WhatsAppConfigSchema,
  envAccount(vars) {
    const a = envFields(vars, { WHATSAPP_TOKEN: 'accessToken', WHATSAPP_APP_SECRET: 'appSecret', WHATSAPP_VERIFY_TOKEN: 'verifyToken', WHATSAPP_PHONE_NUMBER_ID: 'phoneNumberId', WHATSAPP_DM_POLICY: 'dmPolicy' });
    if (!a) return null;
    const v = vars as WhatsAppVars;
    if (v.WHATSAPP_API_ROOT) a.apiRoot = trimSlash(v.WHATSAPP_API_ROOT);
    if (v.WHATSAPP_ALLOW_FROM) a.allowFrom = csv(v.WHATSAPP_ALLOW_FROM);
    return a;
  },
};

/**
 * The configured accounts (section plus env overrides), validated and cached per vars object; throws an
 * Error naming what to fix.
 * @example resolveWhatsAppAccounts(env).find((a) => a.id === 'default')
 */
export function resolveWhatsAppAccounts(vars: WhatsAppVars): readonly WhatsAppAccount[] {
  return resolveAccounts(SOURCE, vars);
}

/** The account named `id`, or null. */
export function findWhatsAppAccount(vars: WhatsAppVars, id: string): WhatsAppAccount | null {
  return findById(resolveWhatsAppAccounts(vars), id);
}

/** Activation rules (the Cloud API delivers direct messages only). */
export function whatsappActivation(a: WhatsAppAccount): ActivationPolicy {
  return { dmPolicy: a.dmPolicy, allowFrom: a.allowFrom, groupPolicy: 'disabled', groups: [], groupAllowFrom: [], groupActivation: 'mention' };
}
