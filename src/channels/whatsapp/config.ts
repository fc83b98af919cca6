/**
 * WhatsApp Cloud API accounts (one business phone number each): the zod schema of `channels.whatsapp`,
 * and the env path (WHATSAPP_TOKEN, WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN, WHATSAPP_PHONE_NUMBER_ID
 * create or override the account `default`). Secrets never appear in messages.
 */
import { z } from 'zod';
import type { ActivationPolicy } from '../activation.ts';

/** One phone number. */
export const WhatsAppAccountSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9_-]{1,64}$/, 'expected a lower-case account id (a-z, 0-9, _ or -)'),
  /** The business phone number id (Graph API object id, digits). */
  phoneNumberId: z.string().regex(/^\d{1,32}$/, 'expected the numeric phone number id'),
  /** System-user or app access token (a secret). */
  accessToken: z.string().min(16, 'expected a Graph API access token').max(2048),
  /** App secret (a secret): X-Hub-Signature-256 of every webhook POST is checked with it. */
  appSecret: z.string().min(16, 'expected the app secret').max(256),
  /** The token you chose for the webhook verify handshake (hub.verify_token). */
  verifyToken: z.string().min(8, 'expected at least 8 characters').max(256),
  /** Graph API root (a fake in tests); no trailing slash. */
  apiRoot: z.url({ protocol: /^https?$/ }).refine((u) => !u.endsWith('/'), 'remove the trailing /').default('https://graph.facebook.com'),
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
export const WhatsAppConfigSchema = z
  .strictObject({ accounts: z.array(WhatsAppAccountSchema).max(32).default([]) })
  .refine((c) => new Set(c.accounts.map((a) => a.id)).size === c.accounts.length, 'an account id is used twice');

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

const ENV_FIELDS = [
  ['WHATSAPP_TOKEN', 'accessToken'],
  ['WHATSAPP_APP_SECRET', 'appSecret'],
  ['WHATSAPP_VERIFY_TOKEN', 'verifyToken'],
  ['WHATSAPP_PHONE_NUMBER_ID', 'phoneNumberId'],
  ['WHATSAPP_DM_POLICY', 'dmPolicy'],
] as const;
const cache = new WeakMap<object, readonly WhatsAppAccount[]>();

/**
 * The configured accounts (section plus env overrides), validated and cached per vars object; throws an
 * Error naming what to fix.
 * @example resolveWhatsAppAccounts(env).find((a) => a.id === 'default')
 */
export function resolveWhatsAppAccounts(vars: WhatsAppVars): readonly WhatsAppAccount[] {
  const hit = cache.get(vars);
  if (hit) return hit;
  let section: { accounts?: Record<string, unknown>[] } = {};
  if (vars.EDGECLAW_WHATSAPP) {
    try {
      section = JSON.parse(vars.EDGECLAW_WHATSAPP) as typeof section;
    } catch {
      throw new Error('EDGECLAW_WHATSAPP is not valid JSON (expected the channels.whatsapp section)');
    }
  }
  const accounts = [...(Array.isArray(section.accounts) ? section.accounts : [])];
  if (ENV_FIELDS.some(([name]) => vars[name])) {
    const at = accounts.findIndex((a) => a && a.id === 'default');
    const a: Record<string, unknown> = { ...(at >= 0 ? accounts[at] : {}), id: 'default' };
    for (const [name, field] of ENV_FIELDS) if (vars[name]) a[field] = vars[name];
    if (vars.WHATSAPP_API_ROOT) a.apiRoot = vars.WHATSAPP_API_ROOT.replace(/\/+$/, '');
    if (vars.WHATSAPP_ALLOW_FROM) a.allowFrom = vars.WHATSAPP_ALLOW_FROM.split(',').map((x) => x.trim()).filter(Boolean);
    if (at >= 0) accounts[at] = a;
    else accounts.unshift(a);
  }
  const parsed = WhatsAppConfigSchema.safeParse({ ...section, accounts });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `whatsapp.${i.path.map(String).join('.')}: ${i.message}`);
    throw new Error(`invalid WhatsApp configuration:\n  ${lines.join('\n  ')}`);
  }
  cache.set(vars, parsed.data.accounts);
  return parsed.data.accounts;
}

/** The account named `id`, or null. */
export function findWhatsAppAccount(vars: WhatsAppVars, id: string): WhatsAppAccount | null {
  return resolveWhatsAppAccounts(vars).find((a) => a.id === id) ?? null;
}

/** Activation rules (the Cloud API delivers direct messages only). */
export function whatsappActivation(a: WhatsAppAccount): ActivationPolicy {
  return { dmPolicy: a.dmPolicy, allowFrom: a.allowFrom, groupPolicy: 'disabled', groups: [], groupAllowFrom: [], groupActivation: 'mention' };
}
