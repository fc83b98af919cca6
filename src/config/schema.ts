/**
 * The configuration schema: one zod schema is the source of truth for the config file, env overrides,
 * defaults and error messages. Workers read only the env-var form (wrangler [vars] and secrets); the
 * Node host also reads a JSON5 file and flattens it to the same names.
 */
import { z } from 'zod';
import { CredentialSchema } from '../gateway/credentials.ts';
import { ProvidersConfigSchema } from '../providers/config.ts';
import { TelegramConfigSchema } from '../channels/telegram/config.ts';
import { SlackConfigSchema } from '../channels/slack/config.ts';
import { WhatsAppConfigSchema } from '../channels/whatsapp/config.ts';

const port = z.coerce
  .number({ error: 'expected an integer port between 0 and 65535' })
  .int('expected an integer port between 0 and 65535')
  .min(0, 'expected an integer port between 0 and 65535')
  .max(65535, 'expected an integer port between 0 and 65535');

const nonNegativeInt = (max: number) =>
  z.coerce
    .number({ error: `expected an integer between 0 and ${max}` })
    .int(`expected an integer between 0 and ${max}`)
    .min(0, `expected an integer between 0 and ${max}`)
    .max(max, `expected an integer between 0 and ${max}`);

const positiveInt = (max: number) =>
  z.coerce
    .number({ error: `expected an integer between 1 and ${max}` })
    .int(`expected an integer between 1 and ${max}`)
    .min(1, `expected an integer between 1 and ${max}`)
    .max(max, `expected an integer between 1 and ${max}`);

/** The whole config file (all keys optional; defaults applied). Unknown keys are errors, so typos surface. */
export const ConfigSchema = z.strictObject({
  /** Address the Node server binds (Workers ignore it). Loopback by default: exposing it is a choice. */
  host: z.string().min(1).default('127.0.0.1'),
  /** Port of the Node server; 0 picks a free one (printed at start). */
  port: port.default(18789),
  /** Where the Node host keeps every file it writes. */
  dataDir: z.string().min(1).default('./data'),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  gateway: z
    .strictObject({
      /** Admin token: plain text, or `sha256:<64 hex>` to keep only its digest in the file. */
      token: z
        .string()
        .min(16, 'expected at least 16 characters (or sha256:<64 hex digits>)')
        .optional(),
      /** More credentials, each with a role and granted scopes (see README, Security model). */
      credentials: z.array(CredentialSchema).max(256).default([]),
      /** Largest inbound frame after the handshake (bytes); bigger frames close the socket with 1009. */
      maxPayload: positiveInt(64 * 1024 * 1024).default(1024 * 1024),
      /** Bytes queued to one socket before it counts as a slow consumer (events dropped or socket closed). */
      maxBufferedBytes: positiveInt(1024 * 1024 * 1024).default(8 * 1024 * 1024),
      /** Interval of `tick` events (advertised in hello-ok). */
      tickIntervalMs: positiveInt(3_600_000).default(30_000),
      /** OpenAI-compatible `/v1/models` + `/v1/chat/completions` (off by default). */
      openaiHttp: z
        .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
        .transform((v) => v === true || v === 'true' || v === '1')
        .default(false),
      /** Node: peers whose X-Forwarded-For is trusted for the client address (e.g. a local nginx). */
      trustedProxies: z.array(z.union([z.ipv4(), z.ipv6()])).max(64).default([]),
    })
    .default({ credentials: [], maxPayload: 1024 * 1024, maxBufferedBytes: 8 * 1024 * 1024, tickIntervalMs: 30_000, openaiHttp: false, trustedProxies: [] }),
  agent: z
    .strictObject({
      /** `model` answers each turn with the configured models; `record` only records turns (the agent is paused). */
      runner: z.enum(['model', 'record']).default('model'),
      systemPrompt: z.string().min(1).max(32_000).default('You are edgeclaw, a helpful assistant. Use tools only when they are needed, and never reveal secrets.'),
      /** Model calls per turn (tool loop step cap). */
      maxSteps: positiveInt(64).default(8),
      /** History rows given to the model as context. */
      contextMessages: positiveInt(1000).default(40),
      /** How long a `review` decision waits for an operator before it counts as deny. */
      approvalTimeoutMs: positiveInt(86_400_000).default(300_000),
    })
    .default({ runner: 'model', systemPrompt: 'You are edgeclaw, a helpful assistant. Use tools only when they are needed, and never reveal secrets.', maxSteps: 8, contextMessages: 40, approvalTimeoutMs: 300_000 }),
  /** Providers and models (see README, Models). */
  models: ProvidersConfigSchema.default(ProvidersConfigSchema.parse({})),
  channels: z
    .strictObject({
      /** Telegram bots (see README, Telegram). */
      telegram: TelegramConfigSchema.default({ accounts: [] }),
      /** Slack apps (Events API). */
      slack: SlackConfigSchema.default({ accounts: [] }),
      /** WhatsApp Cloud API numbers. */
      whatsapp: WhatsAppConfigSchema.default({ accounts: [] }),
    })
    .default({ telegram: { accounts: [] }, slack: { accounts: [] }, whatsapp: { accounts: [] } }),
  hooks: z
    .strictObject({
      /** Token of POST /hooks/wake and /hooks/agent; unset keeps hooks off. Must differ from gateway.token. */
      token: z.string().min(16, 'expected at least 16 characters').optional(),
    })
    .default({}),
  queue: z
    .strictObject({
      /** Per-session queue cap; what happens beyond it is the drop policy. */
      cap: positiveInt(10_000).default(20),
      /** What a message does while a run is active (openclaw-protocol.md §8). */
      mode: z.enum(['steer', 'followup', 'collect', 'interrupt']).default('steer'),
      /** At the cap: `summarize` drops the oldest and injects a summary turn, `old` drops the oldest, `new` rejects with QUEUE_FULL. */
      drop: z.enum(['summarize', 'old', 'new']).default('summarize'),
      /** Collect mode's quiet window (ms) before queued messages merge into one turn; 0 disables waiting. */
      debounceMs: nonNegativeInt(60_000).default(500),
      /** Per-channel modes, `channel=mode` pairs separated by commas (e.g. `telegram=collect,slack=followup`). */
      byChannel: z
        .string()
        .regex(/^$|^[a-z0-9_-]+=(steer|followup|collect|interrupt)(,[a-z0-9_-]+=(steer|followup|collect|interrupt))*$/, 'expected channel=mode pairs separated by commas (modes: steer, followup, collect, interrupt)')
        .default(''),
      /** Runs at once across all sessions (global concurrency limit); further turns wait, reported as `deferred`. */
      maxConcurrent: positiveInt(10_000).default(8),
      /** Items queued across all sessions at most (global bounded queue); beyond it producers get UNAVAILABLE with retryAfterMs. */
      globalCap: positiveInt(10_000_000).default(10_000),
      /** Idempotency keys remembered per session (the dedupe window by count); also bounds finished runs kept. */
      idempotencyCap: positiveInt(1_000_000).default(5_000),
      /** Idempotency keys are forgotten after this long (ms). */
      idempotencyTtlMs: positiveInt(30 * 86_400_000).default(86_400_000),
    })
    .default({ cap: 20, mode: 'steer', drop: 'summarize', debounceMs: 500, byChannel: '', maxConcurrent: 8, globalCap: 10_000, idempotencyCap: 5_000, idempotencyTtlMs: 86_400_000 }),
  history: z
    .strictObject({
      /** Per-session history rows kept; the oldest are compacted into a summary row first. */
      cap: positiveInt(100_000).default(1_000),
      /** Per-session history bytes kept (payload text). */
      maxBytes: positiveInt(1 << 30).default(1 << 20),
      /** Tool results longer than this (bytes) are truncated before storage. */
      toolResultMaxBytes: positiveInt(1 << 24).default(16_384),
    })
    .default({ cap: 1_000, maxBytes: 1 << 20, toolResultMaxBytes: 16_384 }),
  durableObjects: z
    .strictObject({
      /** Node host: most objects kept open at once (each holds SQLite file handles); idle ones are evicted first. */
      maxActive: positiveInt(100_000).default(256),
      /** Node host: an object idle this long is evicted (its storage stays on disk). */
      idleEvictMs: positiveInt(86_400_000).default(60_000),
    })
    .default({ maxActive: 256, idleEvictMs: 60_000 }),
  /** Node host: how long SIGTERM waits for in-flight work before closing storage. */
  shutdownTimeoutMs: positiveInt(600_000).default(10_000),
});

/** A fully defaulted, validated config. */
export type Config = z.output<typeof ConfigSchema>;

/** Environment variables that override config keys (value: dotted path in the config). */
export const ENV_OVERRIDES = {
  HOST: 'host',
  PORT: 'port',
  EDGECLAW_DATA_DIR: 'dataDir',
  EDGECLAW_LOG_LEVEL: 'logLevel',
  EDGECLAW_GATEWAY_TOKEN: 'gateway.token',
  EDGECLAW_HOOKS_TOKEN: 'hooks.token',
  EDGECLAW_OPENAI_HTTP: 'gateway.openaiHttp',
  EDGECLAW_AGENT_RUNNER: 'agent.runner',
  EDGECLAW_AGENT_MAX_STEPS: 'agent.maxSteps',
  EDGECLAW_APPROVAL_TIMEOUT_MS: 'agent.approvalTimeoutMs',
  EDGECLAW_GATEWAY_MAX_PAYLOAD: 'gateway.maxPayload',
  EDGECLAW_GATEWAY_MAX_BUFFERED_BYTES: 'gateway.maxBufferedBytes',
  EDGECLAW_GATEWAY_TICK_MS: 'gateway.tickIntervalMs',
  EDGECLAW_QUEUE_CAP: 'queue.cap',
  EDGECLAW_QUEUE_MODE: 'queue.mode',
  EDGECLAW_QUEUE_DROP: 'queue.drop',
  EDGECLAW_DEBOUNCE_MS: 'queue.debounceMs',
  EDGECLAW_QUEUE_BY_CHANNEL: 'queue.byChannel',
  EDGECLAW_MAX_CONCURRENT: 'queue.maxConcurrent',
  EDGECLAW_QUEUE_GLOBAL_CAP: 'queue.globalCap',
  EDGECLAW_IDEMPOTENCY_CAP: 'queue.idempotencyCap',
  EDGECLAW_IDEMPOTENCY_TTL_MS: 'queue.idempotencyTtlMs',
  EDGECLAW_HISTORY_CAP: 'history.cap',
  EDGECLAW_HISTORY_MAX_BYTES: 'history.maxBytes',
  EDGECLAW_TOOL_RESULT_MAX_BYTES: 'history.toolResultMaxBytes',
  EDGECLAW_DO_MAX_ACTIVE: 'durableObjects.maxActive',
  EDGECLAW_DO_IDLE_EVICT_MS: 'durableObjects.idleEvictMs',
  EDGECLAW_SHUTDOWN_TIMEOUT_MS: 'shutdownTimeoutMs',
} as const satisfies Record<string, string>;

/** One problem found in config input, phrased for a person: which key, what value, what was expected. */
export interface ConfigProblem {
  key: string;
  source: string;
  value: unknown;
  expected: string;
}

/** Raised with every problem when config input is invalid. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.problems = problems;
  }
}

/** One line per problem: `key (source) = value: expected`. */
export function formatProblem(p: ConfigProblem): string {
  const value = p.value === undefined ? '' : ` = ${JSON.stringify(p.value)}`;
  return `${p.key} (${p.source})${value}: ${p.expected}`;
}

function getPath(obj: unknown, path: readonly PropertyKey[]): unknown {
  let cur = obj;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

function setPath(obj: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let cur = obj;
  for (const part of parts.slice(0, -1)) {
    const next = cur[part];
    cur[part] = next !== null && typeof next === 'object' ? { ...(next as object) } : {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]!] = value;
}

/**
 * Validates `file` (already parsed; `{}` when there is none) with `env` overrides applied on top.
 * Throws ConfigError naming each bad key, its source, its value and what is expected.
 * @example resolveConfig({}, { PORT: '8080' }, 'defaults').port === 8080
 */
export function resolveConfig(
  file: unknown,
  env: Readonly<Record<string, string | undefined>>,
  fileLabel: string,
  envLabels: Readonly<Record<string, string>> = {},
): Config {
  if (file === null || typeof file !== 'object' || Array.isArray(file)) {
    throw new ConfigError([{ key: '(root)', source: fileLabel, value: file, expected: 'expected an object' }]);
  }
  const merged: Record<string, unknown> = { ...(file as Record<string, unknown>) };
  const envKeyOf = new Map<string, string>();
  for (const [name, path] of Object.entries(ENV_OVERRIDES)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    setPath(merged, path, raw);
    envKeyOf.set(path, name);
  }
  const parsed = ConfigSchema.safeParse(merged);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((issue) => {
      const dotted = issue.path.map(String).join('.');
      const envName = envKeyOf.get(dotted);
      const unknownKeys = issue.code === 'unrecognized_keys' ? issue.keys : undefined;
      return {
        key: unknownKeys ? [dotted, unknownKeys.join(', ')].filter(Boolean).join('.') : dotted || '(root)',
        source: envName ? (envLabels[envName] ?? `env ${envName}`) : fileLabel,
        value: unknownKeys ? undefined : redactIfSecret(dotted, getPath(merged, issue.path)),
        expected: unknownKeys ? `unknown key (allowed: ${allowedKeys(issue.path).join(', ')})` : issue.message,
      };
    }),
  );
}

function allowedKeys(path: readonly PropertyKey[]): string[] {
  let schema: z.ZodType = ConfigSchema;
  for (const k of path) {
    const inner = unwrap(schema);
    if (!(inner instanceof z.ZodObject)) return [];
    schema = inner.shape[k as string] as z.ZodType;
  }
  const inner = unwrap(schema);
  return inner instanceof z.ZodObject ? Object.keys(inner.shape) : [];
}

function unwrap(schema: z.ZodType): z.ZodType {
  let cur: z.ZodType = schema;
  while (cur instanceof z.ZodDefault || cur instanceof z.ZodOptional) cur = cur.unwrap() as z.ZodType;
  return cur;
}

function redactIfSecret(key: string, value: unknown): unknown {
  return /token|secret|password|key$/i.test(key) && typeof value === 'string' ? '<redacted>' : value;
}
