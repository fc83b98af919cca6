/**
 * The Workers bindings, built on Node: the registry as a D1-compatible SQLite database, Durable Object
 * namespaces hosted in-process, and vars flattened from the validated config. Checked against src/env.ts.
 */
import { createHash, pbkdf2Sync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Env } from '../src/env.ts';
import type { LogTail } from '../src/logs.ts';
import type { ChannelHost } from '../src/channels/channel-driver.ts';
import type { SetupHost } from '../src/wizard/steps.ts';
import type { ToolDefinition } from '../src/tools/types.ts';
import { createHostMetrics, type NodeHostMetrics } from './host-metrics.ts';
import { ENV_OVERRIDES, type Config } from '../src/config/schema.ts';
import type { DurableObjectHost } from './do-host.ts';
import type { NodeD1Database } from './d1.ts';
import type { ConfigFilePort } from '../src/gateway/config-service.ts';

/** Vars the app reads, as strings (the same names wrangler [vars] use on Workers). */
function varsFrom(config: Config): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [name, path] of Object.entries(ENV_OVERRIDES)) {
    if (name === 'EDGECLAW_GATEWAY_TOKEN') continue; // only ever passed on as a digest
    if (path.startsWith('bridge.')) continue; // the bridge runs in the Node host, not in the app (and its token stays out of env)
    let cur: unknown = config;
    for (const part of path.split('.')) cur = (cur as Record<string, unknown>)[part];
    if (cur !== undefined) vars[name] = String(cur);
  }
  return vars;
}

/** `sha256:<hex>` for a configured token (plain or already a digest). */
export function tokenDigest(token: string): string {
  return token.startsWith('sha256:') ? token : `sha256:${createHash('sha256').update(token).digest('hex')}`;
}

/** Credentials with every secret as a digest (tokens: sha256; passwords: PBKDF2-SHA256), as JSON for the var. */
function credentialsVar(config: Config): string {
  return JSON.stringify(
    config.gateway.credentials.map((c) => {
      if (/^(sha256|pbkdf2-sha256):/.test(c.secret)) return c;
      if (c.kind === 'token') return { ...c, secret: tokenDigest(c.secret) };
      const salt = randomBytes(16);
      const hash = pbkdf2Sync(c.secret, salt, 100_000, 32, 'sha256');
      return { ...c, secret: `pbkdf2-sha256:100000:${salt.toString('base64')}:${hash.toString('base64')}` };
    }),
  );
}

/** Provider, VirusTotal and policy-bundle variables passed through from the process environment (keys stay in memory only). */
const PROVIDER_ENV = /^(OPENAI_API_KEY|OPENAI_BASE_URL|EDGECLAW_MODEL|VIRUSTOTAL_BASE_URL|EDGECLAW_VT_(ON_UNAVAILABLE|PER_MINUTE|PER_DAY)|EDGECLAW_POLICY_(BUNDLE|TRUST)|[A-Z][A-Z0-9_]*_API_KEY|CLOUDFLARE_(ACCOUNT_ID|GATEWAY_ID|API_TOKEN)|TELEGRAM_[A-Z_]+|SLACK_[A-Z_]+|WHATSAPP_[A-Z_]+|DISCORD_[A-Z_]+|SIGNAL_[A-Z_]+)$/;

/**
 * `EDGECLAW_POLICY_BUNDLE_FILE` / `EDGECLAW_POLICY_TRUST_FILE`: the signed bundle and its trust file read from
 * disk at start (a file that cannot be read is a start-up error naming it; the inline vars win when both are set).
 */
function policyFiles(processEnv: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['EDGECLAW_POLICY_BUNDLE', 'EDGECLAW_POLICY_TRUST'] as const) {
    const file = processEnv[`${name}_FILE`];
    if (!file || processEnv[name]) continue;
    try {
      out[name] = readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`${name}_FILE=${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }
  return out;
}

/**
 * `env.TOOLS` on Node: the workspace tools (exec, files, web_fetch), imported and created on first use and
 * then shared by every caller (a failed import is retried by the next one).
 */
function lazyTools(workspace: string): () => Promise<readonly ToolDefinition[]> {
  let tools: Promise<readonly ToolDefinition[]> | null = null;
  return () =>
    (tools ??= import('./tools/index.ts').then(
      (m) => m.createNodeTools(workspace),
      (err: unknown) => {
        tools = null;
        throw err;
      },
    ));
}

/** Builds the Env the app and the durable objects see on Node. */
export function createBindings(
  config: Config,
  deps: { registry: NodeD1Database; host: DurableObjectHost; adminTokenDigest: string; logs?: LogTail; processEnv?: NodeJS.ProcessEnv; workspace?: string; integrity?: Env['HOST_INTEGRITY']; configFile?: ConfigFilePort; channelHost?: ChannelHost; hostMetrics?: NodeHostMetrics; setup?: SetupHost },
): Env {
  const providerEnv = { ...Object.fromEntries(Object.entries(deps.processEnv ?? {}).filter(([k, v]) => PROVIDER_ENV.test(k) && v)), ...policyFiles(deps.processEnv ?? {}) };
  const env: Record<string, unknown> = {
    ...varsFrom(config),
    EDGECLAW_GATEWAY_TOKEN_HASH: deps.adminTokenDigest,
    EDGECLAW_GATEWAY_CREDENTIALS: credentialsVar(config),
    DB: deps.registry,
    ...providerEnv,
    EDGECLAW_MODELS_JSON: JSON.stringify(config.models),
    EDGECLAW_TELEGRAM: JSON.stringify(config.channels.telegram),
    EDGECLAW_SLACK: JSON.stringify(config.channels.slack),
    EDGECLAW_WHATSAPP: JSON.stringify(config.channels.whatsapp),
    EDGECLAW_DISCORD: JSON.stringify(config.channels.discord),
    EDGECLAW_SIGNAL: JSON.stringify(config.channels.signal),
    CAPABILITIES: { exec: true, localFiles: true, host: 'node' },
    HOST_METRICS: deps.hostMetrics ?? createHostMetrics({ memorySampleSecs: config.runtime.memorySampleSecs }),
    ...(deps.workspace ? { TOOLS: lazyTools(deps.workspace) } : {}),
    ...(deps.logs ? { LOGS: deps.logs } : {}),
    ...(deps.setup ? { SETUP: deps.setup } : {}),
    ...(deps.integrity ? { HOST_INTEGRITY: deps.integrity } : {}),
    ...(deps.configFile ? { CONFIG_FILE: deps.configFile } : {}),
    ...(deps.channelHost ? { CHANNEL_HOST: deps.channelHost } : {}),
  };
  // Each class (and what only it uses: the gateway protocol, the pollers) is imported on its namespace's first event.
  env.SESSIONS = deps.host.lazyNamespace('SESSIONS', () => import('../durable/session-do.ts').then((m) => m.SessionDO), () => env);
  env.LIMITER = deps.host.lazyNamespace('LIMITER', () => import('../durable/limiter-do.ts').then((m) => m.LimiterDO), () => env);
  env.GATEWAY = deps.host.lazyNamespace('GATEWAY', () => import('../durable/gateway-do.ts').then((m) => m.GatewayDO), () => env);
  env.TELEGRAM_POLLERS = deps.host.lazyNamespace('TELEGRAM_POLLERS', () => import('../durable/telegram-poller-do.ts').then((m) => m.TelegramPollerDO), () => env);
  // SAFETY: DB is D1-compatible (node-adapter/d1.ts) and SESSIONS offers getByName/idFromName/get with
  // stubs exposing SessionDO's methods; the contract suite runs the same checks on both hosts.
  return Object.freeze(env) as unknown as Env;
}
