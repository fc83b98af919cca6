// The `models` config section (providers, default model, fallbacks, discovery) as one zod schema; the
// lead mounts it in src/config/schema.ts. Shaped like OpenClaw's `models.providers.<id>`.
import { z } from 'zod';
import { OAuthDeviceConfigSchema } from './oauth-config.ts';

const ms = (min: number, max: number) => z.number().int().min(min).max(max);

/** `provider/model` (the model part may contain more slashes: `openrouter/qwen/qwen3-coder:free`). */
export const ModelRefSchema = z
  .string()
  .trim()
  .regex(/^[^/\s]+\/\S+$/, 'expected "<provider>/<model>", e.g. "openai/gpt-5.3"');

const ModelEntrySchema = z.union([
  z.string().min(1),
  z.strictObject({
    id: z.string().min(1),
    name: z.string().min(1).optional(),
    contextWindow: z.number().int().positive().optional(),
    reasoning: z.boolean().optional(),
  }),
]);

/** One provider entry: overrides a preset of the same (normalised) id, or defines a new OpenAI-compatible one. */
export const ProviderEntrySchema = z.strictObject({
  /** Base URL with or without `/v1`; `/chat/completions` is appended. Required for ids that have no preset. */
  baseUrl: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
  /** Key literal, or a reference read from env: `env:NAME` or `${NAME}`. Never logged. */
  apiKey: z.string().min(1).optional(),
  /** Env vars tried for the key when `apiKey` is absent (default: the preset's). */
  apiKeyEnv: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/)).max(8).optional(),
  /** Allow requests without a key (local servers). */
  keyless: z.boolean().optional(),
  headers: z.record(z.string().min(1), z.string()).optional(),
  models: z.array(ModelEntrySchema).max(500).optional(),
  /** Merged into every request body (e.g. `{ temperature: 0.2 }`). */
  requestDefaults: z.record(z.string(), z.unknown()).optional(),
  timeoutMs: ms(1000, 600_000).optional(),
  streamUsage: z.boolean().optional(),
  /** Log in with the OAuth device flow (`auth.oauth.start`) instead of a key: the IdP's endpoints and client id. */
  oauth: OAuthDeviceConfigSchema.optional(),
  enabled: z.boolean().default(true),
});

/** The whole `models` section. */
export const ProvidersConfigSchema = z.strictObject({
  default: ModelRefSchema.optional().describe('default model `<provider>/<model>` for runs without a session override; unset = `OPENAI_API_KEY`/`EDGECLAW_MODEL`, else the keyless OpenCode Zen preset'),
  fallbacks: z.array(ModelRefSchema).max(8).default([]).describe('models tried in order after the primary fails with a retryable error or a timeout'),
  requestTimeoutMs: ms(1000, 600_000).default(60_000).describe('per-request timeout (headers, and silence between stream chunks)'),
  maxAttempts: z.number().int().min(1).max(6).default(3).describe('attempts per provider request, including the first'),
  discovery: z
    .strictObject({
      enabled: z.boolean().default(false).describe('live `GET /models` discovery for `models.list`'),
      ttlMs: ms(1000, 86_400_000).default(600_000).describe('how long discovered model lists are cached'),
    })
    .default({ enabled: false, ttlMs: 600_000 }),
  providers: z.record(z.string().min(1), ProviderEntrySchema).default({}).describe('provider entries by id: `baseUrl`, `apiKey` (a literal or `env:NAME`), `models`, …; a preset id (openai, groq, …) needs only its key'),
});

/** Validated `models` section. */
export type ProvidersConfig = z.output<typeof ProvidersConfigSchema>;
/** Validated provider entry. */
export type ProviderEntry = z.output<typeof ProviderEntrySchema>;
