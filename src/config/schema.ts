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
import { DiscordConfigSchema } from '../channels/discord/config.ts';
import { SignalConfigSchema } from '../channels/signal/config.ts';
import { BRIDGE_DEFAULTS, BridgeConfigSchema } from '../bridge/config.ts';

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

/** The default system prompt (kept apart so the default object below stays readable). */
const SYSTEM_PROMPT = 'You are edgeclaw, a helpful assistant. Use tools only when they are needed, and never reveal secrets.';

/**
 * The whole config file (all keys optional; defaults applied). Unknown keys are errors, so typos surface.
 * Every leaf carries a `.describe()` text: the README's configuration reference is generated from it
 * (`npm run docs:config`, src/config/reference.ts).
 */
export const ConfigSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1').describe('bind address (Node); loopback by default, so exposing the gateway is a choice'),
  port: port.default(18789).describe('port (Node); `0` picks a free one, and the `listening` log line shows it'),
  dataDir: z.string().min(1).default('./data').describe('every file the Node host writes (created 0700); `edgeclaw.json5` in it is read when no config file is named'),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info').describe('JSON log lines on stdout at this level and above'),
  gateway: z
    .strictObject({
      token: z
        .string()
        .min(16, 'expected at least 16 characters (or sha256:<64 hex digits>)')
        .optional()
        .describe('admin token: plain text or `sha256:<64 hex>` (keep only the digest); unset on Node = generated at first start and printed once'),
      credentials: z.array(CredentialSchema).max(256).default([]).describe('more credentials `{id, kind, secret, role, scopes}`, hashed at load (`edgeclaw token create` writes them)'),
      maxPayload: positiveInt(64 * 1024 * 1024).default(1024 * 1024).describe('largest inbound WebSocket frame after the handshake (bytes); bigger frames close with 1009'),
      maxBufferedBytes: positiveInt(1024 * 1024 * 1024).default(8 * 1024 * 1024).describe('bytes queued to one socket before it is a slow consumer and is closed with 1008'),
      tickIntervalMs: positiveInt(3_600_000).default(30_000).describe('interval of `tick` events (advertised in hello-ok)'),
      openaiHttp: z
        .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
        .transform((v) => v === true || v === 'true' || v === '1')
        .default(false)
        .describe('serve the OpenAI-compatible `/v1/models` and `/v1/chat/completions`'),
      trustedProxies: z.array(z.union([z.ipv4(), z.ipv6()])).max(64).default([]).describe('Node: peers whose X-Forwarded-For is trusted for the client address (e.g. a local nginx)'),
      nodes: z
        .strictObject({
          pairing: z
            .strictObject({
              autoApproveLocal: z
                .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
                .transform((v) => v === true || v === 'true' || v === '1')
                .default(true)
                .describe('approve a new device at once when it connects over direct loopback (no proxy header) with valid shared auth'),
              maxPending: positiveInt(10_000).default(64).describe('pending pairing requests; beyond it a new device gets a retryable `UNAVAILABLE` (close 1013) until one is resolved or expires'),
              pendingTtlMs: positiveInt(7 * 86_400_000).default(300_000).describe('a pending pairing request is dropped after this long (ms)'),
              maxPaired: positiveInt(100_000).default(1_000).describe('paired devices at most; approving one more is refused'),
            })
            .default({ autoApproveLocal: true, maxPending: 64, pendingTtlMs: 300_000, maxPaired: 1_000 }),
        })
        .default({ pairing: { autoApproveLocal: true, maxPending: 64, pendingTtlMs: 300_000, maxPaired: 1_000 } }),
    })
    .default({
      credentials: [],
      maxPayload: 1024 * 1024,
      maxBufferedBytes: 8 * 1024 * 1024,
      tickIntervalMs: 30_000,
      openaiHttp: false,
      trustedProxies: [],
      nodes: { pairing: { autoApproveLocal: true, maxPending: 64, pendingTtlMs: 300_000, maxPaired: 1_000 } },
    }),
  agent: z
    .strictObject({
      runner: z.enum(['model', 'record']).default('model').describe('`model` answers each turn with the configured models; `record` only records turns (the agent is paused)'),
      systemPrompt: z.string().min(1).max(32_000).default(SYSTEM_PROMPT).describe('system prompt of every run'),
      maxSteps: positiveInt(64).default(8).describe('model calls per turn (the tool loop step cap)'),
      contextMessages: positiveInt(1000).default(40).describe('history rows given to the model as context'),
      approvalTimeoutMs: positiveInt(86_400_000).default(300_000).describe('how long a defender `review` waits for an operator before it counts as deny'),
    })
    .default({ runner: 'model', systemPrompt: SYSTEM_PROMPT, maxSteps: 8, contextMessages: 40, approvalTimeoutMs: 300_000 }),
  models: ProvidersConfigSchema.default(ProvidersConfigSchema.parse({})),
  channels: z
    .strictObject({
      telegram: TelegramConfigSchema.default({ accounts: [] }).describe('Telegram bots `{accounts: [{id, token, transport, …}]}` (see Telegram); `TELEGRAM_BOT_TOKEN` alone makes account `default`'),
      slack: SlackConfigSchema.default({ accounts: [] }).describe('Slack apps (Events API) `{accounts: […]}`; see src/channels/slack/config.ts'),
      whatsapp: WhatsAppConfigSchema.default({ accounts: [] }).describe('WhatsApp Cloud API numbers `{accounts: […]}`; see src/channels/whatsapp/config.ts'),
      discord: DiscordConfigSchema.default({ accounts: [] }).describe('Discord applications `{accounts: […]}` (interactions endpoint; Gateway on Node); see Channels'),
      signal: SignalConfigSchema.default({ accounts: [] }).describe('Signal numbers through a signal-cli daemon `{accounts: […]}` (Node only); see Channels'),
    })
    .default({ telegram: { accounts: [] }, slack: { accounts: [] }, whatsapp: { accounts: [] }, discord: { accounts: [] }, signal: { accounts: [] } }),
  /** DM pairing of unknown channel senders (see README, Telegram: pairing). */
  pairing: z
    .strictObject({
      codeTtlMs: positiveInt(7 * 86_400_000).default(3_600_000).describe('how long a pairing code stays valid (ms)'),
      pendingCap: positiveInt(20).default(3).describe('pending pairing requests per channel account; further new senders are told to try later and nothing is stored'),
      replyIntervalMs: nonNegativeInt(86_400_000).default(600_000).describe('a sender with a pending code is sent it again at most this often (ms); messages in between get no reply'),
      approvedCap: positiveInt(100_000).default(1_000).describe('approved senders per channel account; approving more fails until one is revoked'),
    })
    .default({ codeTtlMs: 3_600_000, pendingCap: 3, replyIntervalMs: 600_000, approvedCap: 1_000 }),
  hooks: z
    .strictObject({
      token: z.string().min(16, 'expected at least 16 characters').optional().describe('token of `POST /hooks/wake` and `/hooks/agent`; unset keeps hooks off; must differ from `gateway.token`'),
    })
    .default({}),
  defender: z
    .strictObject({
      profile: z
        .enum(['strict', 'balanced', 'permissive'])
        .default('balanced')
        .describe('defender thresholds when no signed policy bundle is active: `strict` (review ≥ 20, block ≥ 50), `balanced` (35/65), `permissive` (50/80)'),
    })
    .default({ profile: 'balanced' }),
  queue: z
    .strictObject({
      cap: positiveInt(10_000).default(20).describe('queued items per session; what happens beyond it is `queue.drop`'),
      mode: z
        .enum(['steer', 'followup', 'collect', 'interrupt'])
        .default('steer')
        .describe('what a message does while a run is active: `steer` (handed to the active run), `followup` (its own later turn), `collect` (merged into one turn after the quiet window, per thread), `interrupt` (aborts the active run and older queued turns). Precedence: per-request `queueMode` > session override > `queue.byChannel` > this'),
      drop: z
        .enum(['summarize', 'old', 'new'])
        .default('summarize')
        .describe('at the cap: `summarize` drops the oldest and injects a short summary turn, `old` drops the oldest, `new` rejects with `QUEUE_FULL`'),
      debounceMs: nonNegativeInt(60_000).default(500).describe('`collect` quiet window before queued messages merge; `0` disables waiting'),
      byChannel: z
        .string()
        .regex(/^$|^[a-z0-9_-]+=(steer|followup|collect|interrupt)(,[a-z0-9_-]+=(steer|followup|collect|interrupt))*$/, 'expected channel=mode pairs separated by commas (modes: steer, followup, collect, interrupt)')
        .default('')
        .describe('per-channel modes, e.g. `telegram=collect,slack=followup`'),
      maxConcurrent: positiveInt(10_000).default(8).describe('runs at once across all sessions; further turns wait and enqueue results say `deferred`'),
      globalCap: positiveInt(10_000_000).default(10_000).describe('items queued across all sessions at most (global bounded queue); beyond it producers get `UNAVAILABLE` with `retryAfterMs`'),
      idempotencyCap: positiveInt(1_000_000).default(5_000).describe('idempotency keys (and finished runs) remembered per session; the oldest are forgotten first'),
      idempotencyTtlMs: positiveInt(30 * 86_400_000).default(86_400_000).describe('idempotency keys are forgotten after this long'),
    })
    .default({ cap: 20, mode: 'steer', drop: 'summarize', debounceMs: 500, byChannel: '', maxConcurrent: 8, globalCap: 10_000, idempotencyCap: 5_000, idempotencyTtlMs: 86_400_000 }),
  history: z
    .strictObject({
      cap: positiveInt(100_000).default(1_000).describe('history rows kept per session; the oldest are compacted into one summary row'),
      maxBytes: positiveInt(1 << 30).default(1 << 20).describe('history text bytes kept per session; the oldest are compacted first (the newest row always stays)'),
      toolResultMaxBytes: positiveInt(1 << 24).default(16_384).describe('tool results are truncated to this before storage'),
    })
    .default({ cap: 1_000, maxBytes: 1 << 20, toolResultMaxBytes: 16_384 }),
  cron: z
    .strictObject({
      maxJobs: positiveInt(10_000).default(100).describe('scheduled jobs kept at most; `cron.add` beyond it fails with `CRON_JOBS_FULL`'),
      runsPerJob: positiveInt(10_000).default(50).describe('run records kept per job; the oldest are dropped first'),
    })
    .default({ maxJobs: 100, runsPerJob: 50 }),
  durableObjects: z
    .strictObject({
      // 64: a resident object costs about 0.6 MB (its SQLite connection and compiled statements), reopening an
      // evicted one about 1 ms (open + schema check), and busy objects are never evicted, so a larger set buys little.
      maxActive: positiveInt(100_000).default(64).describe('Node: most objects open at once; the least recently used idle ones are evicted'),
      idleEvictMs: positiveInt(86_400_000).default(60_000).describe('Node: an object idle this long is evicted (its data stays on disk)'),
    })
    .default({ maxActive: 64, idleEvictMs: 60_000 }),
  shutdownTimeoutMs: positiveInt(600_000).default(10_000).describe('Node: how long SIGTERM waits for in-flight work (the systemd unit\'s `TimeoutStopSec` stays above it)'),
  runtime: z
    .strictObject({
      memorySampleSecs: nonNegativeInt(86_400)
        .default(30)
        .describe('Node: seconds between RSS/heap samples shown in `status` and `/metrics` (the last 120 are kept); `0` turns sampling off'),
    })
    .default({ memorySampleSecs: 30 }),
  /** Node: bridge mode, the Defender sidecar of an existing OpenClaw gateway (off until `url` is set; see README, Bridge mode). */
  bridge: BridgeConfigSchema.default(BRIDGE_DEFAULTS),
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
  EDGECLAW_PAIRING_AUTO_APPROVE_LOCAL: 'gateway.nodes.pairing.autoApproveLocal',
  EDGECLAW_PAIRING_MAX_PENDING: 'gateway.nodes.pairing.maxPending',
  EDGECLAW_PAIRING_TTL_MS: 'gateway.nodes.pairing.pendingTtlMs',
  EDGECLAW_PAIRING_MAX_PAIRED: 'gateway.nodes.pairing.maxPaired',
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
  EDGECLAW_CRON_MAX_JOBS: 'cron.maxJobs',
  EDGECLAW_CRON_RUNS_PER_JOB: 'cron.runsPerJob',
  EDGECLAW_DO_MAX_ACTIVE: 'durableObjects.maxActive',
  EDGECLAW_DO_IDLE_EVICT_MS: 'durableObjects.idleEvictMs',
  EDGECLAW_SHUTDOWN_TIMEOUT_MS: 'shutdownTimeoutMs',
  EDGECLAW_MEMORY_SAMPLE_SECS: 'runtime.memorySampleSecs',
  EDGECLAW_DEFENDER_PROFILE: 'defender.profile',
  EDGECLAW_PAIRING_CODE_TTL_MS: 'pairing.codeTtlMs',
  EDGECLAW_PAIRING_PENDING_CAP: 'pairing.pendingCap',
  EDGECLAW_PAIRING_REPLY_INTERVAL_MS: 'pairing.replyIntervalMs',
  EDGECLAW_PAIRING_APPROVED_CAP: 'pairing.approvedCap',
  EDGECLAW_BRIDGE_URL: 'bridge.url',
  OPENCLAW_GATEWAY_TOKEN: 'bridge.token',
  EDGECLAW_BRIDGE_REVIEW: 'bridge.review',
  EDGECLAW_BRIDGE_REVIEW_TIMEOUT_MS: 'bridge.reviewTimeoutMs',
  EDGECLAW_BRIDGE_MAX_BACKOFF_MS: 'bridge.maxBackoffMs',
  EDGECLAW_BRIDGE_LEAST_PRIVILEGE: 'bridge.leastPrivilege',
  EDGECLAW_BRIDGE_INSECURE: 'bridge.insecure',
  EDGECLAW_BRIDGE_ON_BLOCK: 'bridge.onBlock',
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
