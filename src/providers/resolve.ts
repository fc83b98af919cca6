// Resolves presets + the `models` config + env into providers, a primary model and fallbacks. Pure: the
// env is a plain record, so Workers vars and Node's process.env both fit. Zero-config path:
// OPENAI_API_KEY (+ OPENAI_BASE_URL, EDGECLAW_MODEL) → openai; nothing set → the keyless default.
import { normalizeProviderId } from './aliases.ts';
import { ProvidersConfigSchema, type ProviderEntry, type ProvidersConfig } from './config.ts';
import type { OAuthDeviceConfig } from './oauth-device.ts';
import { KEYLESS_DEFAULT_PROVIDER, PROVIDER_PRESETS, fillBaseUrl, type ModelInfo } from './presets.ts';

/** Env vars as a plain record. */
export type EnvRecord = Readonly<Record<string, string | undefined>>;

/** A model reference. */
export interface ModelRef {
  provider: string;
  model: string;
}

/** A provider ready to build a client for. `apiKey` must never be logged or sent to clients. */
export interface ResolvedProvider {
  id: string;
  name: string;
  baseUrl: string | undefined;
  apiKey: string | undefined;
  keyless: boolean;
  local: boolean;
  headers: Record<string, string>;
  models: ModelInfo[];
  requestDefaults: Record<string, unknown> | undefined;
  timeoutMs: number;
  streamUsage: boolean;
  /** Present in the config (not only a preset). */
  configured: boolean;
  /** Logs in with the OAuth device flow; the token comes from the gateway at run time. */
  oauth?: OAuthDeviceConfig;
  /** Usable now: has a base URL and a key (or is keyless), and is enabled. */
  available: boolean;
  /** Why it is not available, saying what to set. */
  unavailableReason?: string;
}

/** Everything the runtime needs to pick and call models. */
export interface ResolvedModels {
  providers: ReadonlyMap<string, ResolvedProvider>;
  primary: ModelRef;
  fallbacks: ModelRef[];
  maxAttempts: number;
  discovery: { enabled: boolean; ttlMs: number };
}

/**
 * Reads a key value: `env:NAME` or `${NAME}` come from env, anything else is a literal.
 * @example resolveSecret('env:OPENAI_API_KEY', { OPENAI_API_KEY: 'sk-…' }) // 'sk-…'
 */
export function resolveSecret(value: string | undefined, env: EnvRecord): string | undefined {
  if (!value) return undefined;
  const ref = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(value) ?? /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(value);
  return ref ? env[ref[1]!] || undefined : value;
}

/**
 * Splits `provider/model`; the provider part is normalised through the alias table.
 * @example parseModelRef('claude/claude-sonnet-4-5') // { provider: 'anthropic', model: 'claude-sonnet-4-5' }
 */
export function parseModelRef(ref: string): ModelRef {
  const slash = ref.indexOf('/');
  if (slash <= 0 || slash === ref.length - 1) throw new Error(`invalid model reference ${JSON.stringify(ref)}: expected "<provider>/<model>"`);
  return { provider: normalizeProviderId(ref.slice(0, slash)), model: ref.slice(slash + 1).trim() };
}

/** Formats a reference back to `provider/model`. */
export function formatModelRef(ref: ModelRef): string {
  return `${ref.provider}/${ref.model}`;
}

/**
 * Resolves providers and the default model. `config` may be undefined (no config file): then env alone decides.
 * @example resolveModels(undefined, {}) // primary: opencode's first free model, keyless
 */
export function resolveModels(config: ProvidersConfig | undefined, env: EnvRecord): ResolvedModels {
  const cfg = config ?? ProvidersConfigSchema.parse({});
  const entries = new Map<string, ProviderEntry>();
  for (const [raw, entry] of Object.entries(cfg.providers)) {
    const id = normalizeProviderId(raw);
    if (entries.has(id)) throw new Error(`models.providers: "${raw}" and another key both name provider "${id}"`);
    entries.set(id, entry);
  }
  const providers = new Map<string, ResolvedProvider>();
  for (const id of new Set([...Object.keys(PROVIDER_PRESETS), ...entries.keys()])) {
    providers.set(id, resolveProvider(id, entries.get(id), cfg, env));
  }

  const primary = pickPrimary(cfg, env, providers, entries);
  const seen = new Set([formatModelRef(primary)]);
  const fallbacks: ModelRef[] = [];
  for (const raw of cfg.fallbacks) {
    const ref = parseModelRef(raw);
    if (!seen.has(formatModelRef(ref))) fallbacks.push(ref);
    seen.add(formatModelRef(ref));
  }
  return { providers, primary, fallbacks, maxAttempts: cfg.maxAttempts, discovery: cfg.discovery };
}

function resolveProvider(id: string, entry: ProviderEntry | undefined, cfg: ProvidersConfig, env: EnvRecord): ResolvedProvider {
  const preset = PROVIDER_PRESETS[id];
  let template = entry?.baseUrl ?? preset?.baseUrl;
  // OPENAI_BASE_URL points the openai provider elsewhere (env beats the config file, as for every setting).
  if (id === 'openai' && env.OPENAI_BASE_URL) template = env.OPENAI_BASE_URL;
  const baseUrl = template ? fillBaseUrl(template, env) : undefined;
  const keyEnv = entry?.apiKeyEnv ?? preset?.apiKeyEnv ?? [`${id.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_API_KEY`];
  const apiKey = resolveSecret(entry?.apiKey, env) ?? keyEnv.map((n) => env[n]).find((v) => !!v);
  // A custom OPENAI_BASE_URL without a key is a local or self-hosted endpoint: allow it keyless.
  const keyless = entry?.keyless ?? ((preset?.keyless ?? false) || (id === 'openai' && !!env.OPENAI_BASE_URL));
  const enabled = entry?.enabled ?? true;
  const oauth = entry?.oauth ?? preset?.oauth;
  let unavailableReason: string | undefined;
  if (!enabled) unavailableReason = 'disabled in config';
  else if (!template) unavailableReason = `no base URL: set models.providers.${id}.baseUrl`;
  else if (!baseUrl) unavailableReason = `base URL needs ${[...template.matchAll(/\{([A-Z0-9_]+)\}/g)].map((m) => m[1]).join(' and ')} in env`;
  else if (!apiKey && !keyless) unavailableReason = oauth ? `not logged in: run auth.oauth.start with provider "${id}" (or set ${keyEnv[0] ?? 'an API key'})` : `no API key: set ${keyEnv[0] ?? `models.providers.${id}.apiKey`}`;
  const configModels: ModelInfo[] = (entry?.models ?? []).map((m) => ({ ...(typeof m === 'string' ? { id: m } : m), origin: 'config' as const }));
  const presetModels: ModelInfo[] = (preset?.models ?? []).filter((p) => !configModels.some((c) => c.id === p.id)).map((m) => ({ ...m, origin: 'preset' as const }));
  const models = [...configModels, ...presetModels];
  return {
    id,
    name: preset?.name ?? id,
    baseUrl,
    apiKey,
    keyless,
    local: preset?.local ?? false,
    headers: { ...preset?.headers, ...entry?.headers },
    models,
    requestDefaults: entry?.requestDefaults,
    timeoutMs: entry?.timeoutMs ?? cfg.requestTimeoutMs,
    streamUsage: entry?.streamUsage ?? preset?.streamUsage ?? true,
    configured: entry !== undefined,
    ...(oauth ? { oauth } : {}),
    available: unavailableReason === undefined,
    ...(unavailableReason ? { unavailableReason } : {}),
  };
}

function pickPrimary(cfg: ProvidersConfig, env: EnvRecord, providers: Map<string, ResolvedProvider>, entries: Map<string, ProviderEntry>): ModelRef {
  const envModel = env.EDGECLAW_MODEL?.trim();
  // With OPENAI_BASE_URL the model id belongs to that endpoint verbatim (OpenRouter ids contain slashes).
  if (envModel && !env.OPENAI_BASE_URL) {
    const slash = envModel.indexOf('/');
    if (slash > 0 && providers.has(normalizeProviderId(envModel.slice(0, slash)))) return parseModelRef(envModel);
  }
  if (!envModel && cfg.default) return parseModelRef(cfg.default);
  let provider: string;
  if (env.OPENAI_API_KEY || env.OPENAI_BASE_URL) provider = 'openai';
  else if (cfg.default) provider = parseModelRef(cfg.default).provider;
  else provider = [...entries.keys()].find((id) => providers.get(id)?.available) ?? KEYLESS_DEFAULT_PROVIDER;
  const model = envModel || providers.get(provider)?.models[0]?.id;
  if (!model) throw new Error(`no model for provider ${provider}: set EDGECLAW_MODEL or models.providers.${provider}.models`);
  return { provider, model };
}

/**
 * Resolved providers with OAuth tokens applied: a provider that logs in by device flow and has no key gets
 * the gateway's access token (and the API host the IdP named, if any) and becomes available.
 * @example withOAuthTokens(resolved, { 'qwen-portal': { accessToken } })
 */
export function withOAuthTokens(resolved: ResolvedModels, tokens: Readonly<Record<string, { accessToken: string; resourceUrl?: string }>>): ResolvedModels {
  const providers = new Map(resolved.providers);
  for (const [id, t] of Object.entries(tokens)) {
    const p = providers.get(id);
    if (!p || p.apiKey) continue;
    const host = t.resourceUrl?.replace(/^https:\/\//, '').replace(/\/.*$/, '');
    const baseUrl = host && /^[a-z0-9.-]+(?::\d{1,5})?$/i.test(host) ? `https://${host}/v1` : p.baseUrl;
    const { unavailableReason: _r, ...rest } = p;
    const onlyLoginMissing = p.unavailableReason?.startsWith('not logged in') ?? false;
    providers.set(id, onlyLoginMissing && baseUrl ? { ...rest, apiKey: t.accessToken, baseUrl, available: true } : { ...p, apiKey: t.accessToken, baseUrl });
  }
  return { ...resolved, providers };
}
