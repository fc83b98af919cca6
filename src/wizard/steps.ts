/**
 * The setup wizard's steps, shared by `edgeclaw setup` (CLI, interactive or flags) and the `wizard.*`
 * gateway methods: which step comes next given the answers so far, how each answer is validated, and the
 * config patch the answers make. Runtime-neutral (Web Crypto only).
 */
import { z } from 'zod';
import { KEYLESS_DEFAULT_PROVIDER, PROVIDER_PRESETS } from '../providers/presets.ts';
import { TelegramAccountSchema } from '../channels/telegram/config.ts';

/** Step ids, in the order they are asked. */
export const STEP_IDS = ['provider', 'baseUrl', 'apiKey', 'model', 'telegramToken', 'telegramMode', 'telegramWebhookUrl', 'gatewayToken', 'defenderProfile', 'confirm'] as const;
/** One step id. */
export type StepId = (typeof STEP_IDS)[number];

/** Provider id for an OpenAI-compatible endpoint that has no preset (needs a base URL). */
export const CUSTOM_PROVIDER = 'custom';

/** A step as clients render it (shape of OpenClaw's wizard steps). */
export interface WizardStep {
  id: StepId;
  type: 'select' | 'text' | 'confirm';
  title: string;
  message: string;
  options?: { value: string; label: string; hint?: string }[];
  initialValue?: string | boolean;
  placeholder?: string;
  /** The value is a secret: do not echo it. */
  sensitive?: boolean;
  /** An empty answer is allowed (it means "skip" / "use the default"). */
  optional?: boolean;
}

/** Validated answers so far. */
export interface SetupAnswers {
  provider?: string;
  baseUrl?: string;
  apiKey?: string;
  model?: string;
  telegramToken?: string;
  telegramMode?: 'polling' | 'webhook';
  telegramWebhookUrl?: string;
  /** `generate`, `keep`, or a token to use (at least 16 characters). */
  gatewayToken?: string;
  defenderProfile?: 'strict' | 'balanced' | 'permissive';
  confirm?: boolean;
}

/** An answer that does not fit its step; `step` names it (the CLI maps it to its flag). */
export class WizardAnswerError extends Error {
  override readonly name = 'WizardAnswerError';
  readonly step: StepId;
  constructor(step: StepId, message: string) {
    super(message);
    this.step = step;
  }
}

const PROVIDER_IDS = [...Object.keys(PROVIDER_PRESETS), CUSTOM_PROVIDER];
const isKeyless = (provider: string | undefined) => provider !== undefined && provider !== CUSTOM_PROVIDER && PROVIDER_PRESETS[provider]?.keyless === true;

/** Whether `step` is asked, given the answers so far. */
function applies(step: StepId, a: SetupAnswers): boolean {
  switch (step) {
    case 'baseUrl':
      return a.provider === CUSTOM_PROVIDER;
    case 'apiKey':
      return !isKeyless(a.provider);
    case 'telegramMode':
      return Boolean(a.telegramToken);
    case 'telegramWebhookUrl':
      return Boolean(a.telegramToken) && a.telegramMode === 'webhook';
    default:
      return true;
  }
}

/** The steps that apply to these answers, in order. */
export function applicableSteps(a: SetupAnswers): StepId[] {
  return STEP_IDS.filter((s) => applies(s, a));
}

/**
 * The first applicable step without an answer, or null when the wizard is complete.
 * @example nextStepId({}) === 'provider'
 */
export function nextStepId(a: SetupAnswers): StepId | null {
  return applicableSteps(a).find((s) => !(s in a)) ?? null;
}

/** The step as shown to a client (options and defaults depend on earlier answers). */
export function describeStep(id: StepId, a: SetupAnswers): WizardStep {
  const preset = a.provider ? PROVIDER_PRESETS[a.provider] : undefined;
  switch (id) {
    case 'provider':
      return {
        id, type: 'select', title: 'Model provider', message: 'Which model provider should the agent use?', initialValue: KEYLESS_DEFAULT_PROVIDER,
        options: [
          ...Object.values(PROVIDER_PRESETS).map((p) => ({ value: p.id, label: p.name, ...(p.keyless ? { hint: 'no API key needed' } : {}) })),
          { value: CUSTOM_PROVIDER, label: 'Other OpenAI-compatible endpoint', hint: 'asks for its base URL' },
        ],
      };
    case 'baseUrl':
      return { id, type: 'text', title: 'Base URL', message: 'Base URL of the OpenAI-compatible API (with or without /v1)', placeholder: 'https://llm.example.com/v1' };
    case 'apiKey':
      return { id, type: 'text', title: 'API key', message: `API key${preset ? ` (empty: read ${preset.apiKeyEnv.join(' or ')} from the environment)` : ' (empty: none)'}`, sensitive: true, optional: true };
    case 'model':
      return { id, type: 'text', title: 'Default model', message: 'Default model (provider/model, or just the model name)', ...(preset?.models[0] ? { initialValue: preset.models[0].id } : {}), optional: Boolean(preset?.models[0]) };
    case 'telegramToken':
      return { id, type: 'text', title: 'Telegram bot', message: 'Telegram bot token from @BotFather (empty: no Telegram)', sensitive: true, optional: true, placeholder: '123456789:AA…' };
    case 'telegramMode':
      return { id, type: 'select', title: 'Telegram transport', message: 'How should the bot receive updates?', initialValue: 'polling', options: [{ value: 'polling', label: 'Polling', hint: 'works behind NAT' }, { value: 'webhook', label: 'Webhook', hint: 'needs a public HTTPS URL' }] };
    case 'telegramWebhookUrl':
      return { id, type: 'text', title: 'Public URL', message: 'Public HTTPS base URL of this gateway (the webhook is <url>/telegram/default/webhook)', placeholder: 'https://bot.example.com' };
    case 'gatewayToken':
      return { id, type: 'select', title: 'Gateway token', message: 'Admin token for the gateway', initialValue: 'generate', options: [{ value: 'generate', label: 'Generate a new token', hint: 'shown once; only its SHA-256 is stored' }, { value: 'keep', label: 'Keep the current one' }] };
    case 'defenderProfile':
      return { id, type: 'select', title: 'Defender profile', message: 'How strict should the defender be?', initialValue: 'balanced', options: [{ value: 'strict', label: 'Strict', hint: 'review at 20, block at 50' }, { value: 'balanced', label: 'Balanced', hint: 'review at 35, block at 65' }, { value: 'permissive', label: 'Permissive', hint: 'review at 50, block at 80' }] };
    case 'confirm':
      return { id, type: 'confirm', title: 'Write configuration', message: 'Write this configuration?', initialValue: true };
  }
}

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });
const trimmed = (v: unknown) => (typeof v === 'string' ? v.trim() : v);

/**
 * Validates one answer for `id` (strings are trimmed; an empty optional answer means "use the default").
 * Returns the new answers; throws WizardAnswerError naming the step.
 * @example answerStep({}, 'provider', 'openai') // { provider: 'openai' }
 */
export function answerStep(a: SetupAnswers, id: StepId, raw: unknown): SetupAnswers {
  const v = trimmed(raw);
  const fail = (message: string): never => {
    throw new WizardAnswerError(id, message);
  };
  const str = () => (typeof v === 'string' ? v : fail('expected a string'));
  switch (id) {
    case 'provider': {
      const p = str() || KEYLESS_DEFAULT_PROVIDER;
      if (!PROVIDER_IDS.includes(p)) fail(`unknown provider "${p}" (one of: ${PROVIDER_IDS.join(', ')})`);
      return { ...a, provider: p };
    }
    case 'baseUrl': {
      const parsed = httpUrl.safeParse(str());
      return parsed.success ? { ...a, baseUrl: parsed.data.replace(/\/+$/, '') } : fail('expected an http(s) URL');
    }
    case 'apiKey': {
      const key = str();
      if (key && (key.length < 8 || key.length > 4096 || /\s/.test(key))) fail('expected an API key of 8-4096 characters without spaces');
      return { ...a, apiKey: key };
    }
    case 'model': {
      const fallback = a.provider ? PROVIDER_PRESETS[a.provider]?.models[0]?.id : undefined;
      const m = str() || fallback || fail('a model is required for this provider');
      if (/\s/.test(m) || m.length > 256) fail('expected a model name without spaces');
      const ref = m.startsWith(`${a.provider}/`) ? m : `${a.provider}/${m}`;
      return { ...a, model: ref };
    }
    case 'telegramToken': {
      const t = str();
      if (t && !TelegramAccountSchema.safeParse({ id: 'default', token: t }).success) fail('expected a bot token like 123456789:AA... from @BotFather');
      return { ...a, telegramToken: t };
    }
    case 'telegramMode': {
      const m = str() || 'polling';
      return m === 'polling' || m === 'webhook' ? { ...a, telegramMode: m } : fail('expected polling or webhook');
    }
    case 'telegramWebhookUrl': {
      const parsed = z.url({ protocol: /^https$/, error: 'expected an https URL' }).safeParse(str());
      return parsed.success ? { ...a, telegramWebhookUrl: parsed.data.replace(/\/+$/, '') } : fail('expected an https URL (Telegram only calls HTTPS webhooks)');
    }
    case 'gatewayToken': {
      const t = str() || 'generate';
      if (t !== 'generate' && t !== 'keep' && (t.length < 16 || t.length > 512 || /\s/.test(t))) fail('expected generate, keep, or a token of at least 16 characters without spaces');
      return { ...a, gatewayToken: t };
    }
    case 'defenderProfile': {
      const p = str() || 'balanced';
      return p === 'strict' || p === 'balanced' || p === 'permissive' ? { ...a, defenderProfile: p } : fail('expected strict, balanced or permissive');
    }
    case 'confirm': {
      if (typeof v === 'boolean') return { ...a, confirm: v };
      if (typeof v === 'string' && /^(y|yes|true)$/i.test(v)) return { ...a, confirm: true };
      if (typeof v === 'string' && /^(n|no|false)$/i.test(v)) return { ...a, confirm: false };
      return fail('expected yes or no');
    }
  }
}

/** What the answers make: a config patch, plus the plain gateway token to show once (when one was generated or given). */
export interface SetupResult {
  patch: Record<string, unknown>;
  gatewayToken: string | null;
}

const hex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');
const base64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** A random token in the format the Node host generates (`ec_` + 32 random bytes, base64url). */
export function randomToken(prefix = 'ec_'): string {
  return `${prefix}${base64url(crypto.getRandomValues(new Uint8Array(32)))}`;
}

/**
 * The config patch for complete answers. Secrets: the gateway token is stored only as its SHA-256 digest;
 * the API key and bot token are plain in the patch, and the host moves them into its secret store when it
 * writes the config (Node), or hands them back once as `wrangler secret put` values (Workers).
 * @example const { patch, gatewayToken } = await buildSetup({ provider: 'opencode', model: 'opencode/glm-5-free', gatewayToken: 'generate', defenderProfile: 'strict' });
 */
export async function buildSetup(a: SetupAnswers): Promise<SetupResult> {
  const patch: Record<string, unknown> = {};
  const provider = a.provider ?? KEYLESS_DEFAULT_PROVIDER;
  const entry: Record<string, unknown> = {};
  if (a.baseUrl) entry.baseUrl = a.baseUrl;
  if (a.apiKey) entry.apiKey = a.apiKey;
  if (provider === CUSTOM_PROVIDER && !a.apiKey) entry.keyless = true;
  patch.models = { ...(a.model ? { default: a.model } : {}), providers: { [provider]: entry } };
  if (a.telegramToken) {
    const account: Record<string, unknown> = { id: 'default', token: a.telegramToken, transport: a.telegramMode ?? 'polling' };
    if (a.telegramMode === 'webhook') {
      account.webhookUrl = a.telegramWebhookUrl;
      account.webhookSecret = randomToken('');
    }
    patch.channels = { telegram: { accounts: [account] } };
  }
  let gatewayToken: string | null = null;
  if (a.gatewayToken && a.gatewayToken !== 'keep') {
    gatewayToken = a.gatewayToken === 'generate' ? randomToken() : a.gatewayToken;
    patch.gateway = { token: `sha256:${hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(gatewayToken)))}` };
  }
  if (a.defenderProfile) patch.defender = { profile: a.defenderProfile };
  return { patch, gatewayToken };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * `existing` with `patch` merged in: objects merge key by key, and the Telegram account `default` replaces
 * the one with the same id (other accounts stay). Other arrays are replaced.
 * @example mergeSetup({ port: 1, models: { fallbacks: [] } }, { models: { default: 'openai/gpt-5.3' } })
 */
export function mergeSetup(existing: Record<string, unknown>, patch: Record<string, unknown>, path = ''): Record<string, unknown> {
  const out: Record<string, unknown> = { ...existing };
  for (const [k, v] of Object.entries(patch)) {
    const here = path ? `${path}.${k}` : k;
    if (here === 'channels.telegram.accounts' && Array.isArray(v) && Array.isArray(out[k])) {
      const ids = new Set(v.map((x) => (isPlainObject(x) ? x.id : undefined)));
      out[k] = [...v, ...(out[k] as unknown[]).filter((x) => !(isPlainObject(x) && ids.has(x.id)))];
    } else if (isPlainObject(v) && isPlainObject(out[k])) {
      out[k] = mergeSetup(out[k] as Record<string, unknown>, v, here);
    } else {
      out[k] = v;
    }
  }
  return out;
}

/** A copy of answers with secrets masked (for status output and logs). */
export function redactAnswers(a: SetupAnswers): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const k of ['apiKey', 'telegramToken'] as const) if (a[k]) out[k] = '<redacted>';
  if (a.gatewayToken && a.gatewayToken !== 'generate' && a.gatewayToken !== 'keep') out.gatewayToken = '<redacted>';
  return out;
}

/** The host port that applies a finished wizard (`env.SETUP`; Node writes its config file, Workers have none). */
export interface SetupHost {
  /** Merges the patch into the stored config, validated by the config schema; resolves to where it went (and the names of secrets it moved to the secret store). */
  apply(patch: Record<string, unknown>): Promise<{ file: string; secretsStored?: string[] }>;
}
