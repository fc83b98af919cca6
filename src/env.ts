/**
 * The binding contract: the subset of Workers bindings edgeclaw uses. Workers provides these natively;
 * `node-adapter/bindings.ts` builds an object that `satisfies Env` over SQLite. Keep it small.
 */
import type { ReputationVars } from './defender/reputation.ts';
import type { Reason } from './defender/types.ts';
import type { GatewayDO } from '../durable/gateway-do.ts';
import type { LimiterDO } from '../durable/limiter-do.ts';
import type { SessionDO } from '../durable/session-do.ts';
import type { LogTail } from './logs.ts';
import type { HostMetrics } from './metrics.ts';
import type { TelegramVars } from './channels/telegram/config.ts';
import type { SlackVars } from './channels/slack/config.ts';
import type { WhatsAppVars } from './channels/whatsapp/config.ts';
import type { DiscordVars } from './channels/discord/config.ts';
import type { SignalVars } from './channels/signal/config.ts';
import type { ChannelHost } from './channels/channel-driver.ts';
import type { TelegramPollerDO } from '../durable/telegram-poller-do.ts';
import type { ToolDefinition } from './tools/types.ts';
import type { SetupHost } from './wizard/steps.ts';
import type { ConfigFilePort } from './gateway/config-service.ts';

/** What the host can do; tools refuse a missing capability with a clear error instead of sniffing the runtime. */
export interface Capabilities {
  /** Shell command execution (Node only). */
  readonly exec: boolean;
  /** Local file system access (Node only). */
  readonly localFiles: boolean;
  /** Name of the host, for status output only (never for branching). */
  readonly host: 'workers' | 'node';
}

/** Subset of D1 that storage code may call (drizzle's D1 driver uses exactly these). */
export type DbBinding = Pick<D1Database, 'prepare' | 'batch' | 'exec'>;

/** Subset of a Durable Object namespace that routing code may call. */
export type SessionNamespace = Pick<DurableObjectNamespace<SessionDO>, 'getByName' | 'idFromName' | 'get'>;

/** The gateway hub namespace (one object, `main`). */
export type GatewayNamespace = Pick<DurableObjectNamespace<GatewayDO>, 'getByName'>;

/** The global concurrency limiter namespace (one object, `global`). */
export type LimiterNamespace = Pick<DurableObjectNamespace<LimiterDO>, 'getByName'>;

/** String vars (wrangler.toml [vars], Workers secrets, or the Node config file flattened to the same names). */
export interface Vars {
  /** Gateway admin token in plain text (Workers secret or env); compared as a SHA-256 digest in constant time. */
  readonly EDGECLAW_GATEWAY_TOKEN?: string;
  /** Gateway admin token as `sha256:<hex>` (how the Node host keeps its generated token at rest). */
  readonly EDGECLAW_GATEWAY_TOKEN_HASH?: string;
  /** Extra gateway credentials as JSON (`gateway.credentials`): [{id, kind, secret, role, scopes}]. */
  readonly EDGECLAW_GATEWAY_CREDENTIALS?: string;
  /** Token of the /hooks/* surface (must differ from the gateway token); unset = hooks refuse everything. */
  readonly EDGECLAW_HOOKS_TOKEN?: string;
  readonly EDGECLAW_QUEUE_CAP?: string;
  readonly EDGECLAW_HISTORY_CAP?: string;
  readonly EDGECLAW_HISTORY_MAX_BYTES?: string;
  readonly EDGECLAW_LOG_LEVEL?: string;
  readonly EDGECLAW_GATEWAY_MAX_PAYLOAD?: string;
  readonly EDGECLAW_GATEWAY_MAX_BUFFERED_BYTES?: string;
  readonly EDGECLAW_GATEWAY_TICK_MS?: string;
  /** Device pairing (`gateway.nodes.pairing.*`): local auto-approval, pending cap and TTL, paired cap. */
  readonly EDGECLAW_PAIRING_AUTO_APPROVE_LOCAL?: string;
  readonly EDGECLAW_PAIRING_MAX_PENDING?: string;
  readonly EDGECLAW_PAIRING_TTL_MS?: string;
  readonly EDGECLAW_PAIRING_MAX_PAIRED?: string;
  readonly EDGECLAW_AGENT_RUNNER?: string;
  /** Signed defender policy bundle (envelope JSON); verified against EDGECLAW_POLICY_TRUST before use. */
  readonly EDGECLAW_POLICY_BUNDLE?: string;
  /** Policy trust file JSON: a pinned root `{version, expiresAt, threshold, keys}` or `{root, rotations[]}`. */
  readonly EDGECLAW_POLICY_TRUST?: string;
  readonly EDGECLAW_OPENAI_HTTP?: string;
}

/** Everything `src/` and `durable/` may read from `env`. */
export interface Env extends Vars, TelegramVars, SlackVars, WhatsAppVars, DiscordVars, SignalVars, ReputationVars {
  readonly DB: DbBinding;
  readonly SESSIONS: SessionNamespace;
  readonly GATEWAY: GatewayNamespace;
  /** One long-poll loop per polling Telegram account. */
  readonly TELEGRAM_POLLERS?: Pick<DurableObjectNamespace<TelegramPollerDO>, 'getByName'>;
  /** Global run limiter; absent means no global concurrency limit. */
  readonly LIMITER?: LimiterNamespace;
  /** The `models` config section as JSON (Node flattens its config file into it; optional on Workers). */
  readonly EDGECLAW_MODELS_JSON?: string;
  /** Zero-config provider: key, base URL and default model (see README, Models). */
  readonly OPENAI_API_KEY?: string;
  readonly OPENAI_BASE_URL?: string;
  readonly EDGECLAW_MODEL?: string;
  /** Optional service binding all provider traffic goes through (an egress proxy Worker). */
  readonly PROVIDER_FETCHER?: Pick<Fetcher, 'fetch'>;
  /** Optional service binding web_fetch goes through (an egress proxy Worker with its own allowlist). */
  readonly TOOL_FETCHER?: Pick<Fetcher, 'fetch'>;
  /**
   * Tools the host adds (Node: exec and file tools in the workspace, web_fetch with DNS checks), imported on
   * first use (an idle gateway does not load them); every call resolves to the same definitions.
   */
  readonly TOOLS?: () => Promise<readonly ToolDefinition[]>;
  /** Recent log lines (Node keeps a bounded ring; Workers have none). */
  readonly LOGS?: LogTail;
  /** Host figures for /metrics (Node: memory re-sampled every memorySampleSecs); absent on Workers. */
  readonly HOST_METRICS?: HostMetrics;
  /** Applies a finished setup wizard (Node: merged into the config file, atomically, 0600); absent on Workers. */
  readonly SETUP?: SetupHost;
  /** Node: integrity findings of the watched files since start (host_guard); absent on Workers. */
  readonly HOST_INTEGRITY?: { findings(): readonly Reason[] };
  /** Long-running channel connections the host keeps (Node: Discord Gateway, Signal events); absent on Workers. */
  readonly CHANNEL_HOST?: ChannelHost;
  /** Declared by the host; absent means the Workers defaults (no exec, no local files). */
  readonly CAPABILITIES?: Capabilities;
  /** Node: the config file that config.patch/config.set write; absent on Workers (GatewayDO keeps an overlay). */
  readonly CONFIG_FILE?: ConfigFilePort;
}

/** Capabilities of a Workers isolate, the default when the host declares none. */
export const WORKERS_CAPABILITIES: Capabilities = { exec: false, localFiles: false, host: 'workers' };
