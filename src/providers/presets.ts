import type { OAuthDeviceConfig } from './oauth-device.ts';

// Built-in provider presets: base URL, key env vars, keyless flag and a small model list each.
// Base URLs are used as given (`/chat/completions` is appended), so non-`/v1` bases such as Zhipu's work.

/** One model a preset or the config offers. */
export interface ModelInfo {
  id: string;
  name?: string;
  contextWindow?: number;
  reasoning?: boolean;
  /** Where the entry came from (set by resolution). */
  origin?: 'preset' | 'config';
}

/** A built-in provider. `{VAR}` placeholders in `baseUrl` are filled from env (Cloudflare account ids). */
export interface ProviderPreset {
  id: string;
  name: string;
  baseUrl: string;
  /** Env vars tried in order for the API key. */
  apiKeyEnv: readonly string[];
  /** Works without a key (local runtimes, OpenCode Zen's free models). */
  keyless: boolean;
  /** Runs on the operator's machine (never reachable from Workers). */
  local?: boolean;
  headers?: Readonly<Record<string, string>>;
  /** Whether to send `stream_options.include_usage` (a few servers reject unknown stream options). */
  streamUsage?: boolean;
  /** The provider logs in with the OAuth device flow (RFC 8628) when no key is set. */
  oauth?: OAuthDeviceConfig;
  models: readonly ModelInfo[];
}

const local = (id: string, name: string, port: number, envKey: string): ProviderPreset => ({
  id,
  name,
  baseUrl: `http://127.0.0.1:${port}/v1`,
  apiKeyEnv: [envKey],
  keyless: true,
  local: true,
  models: [],
});

/** Every built-in preset, keyed by canonical id. */
export const PROVIDER_PRESETS: Readonly<Record<string, ProviderPreset>> = Object.fromEntries(
  (
    [
      { id: 'openai', name: 'OpenAI', baseUrl: 'https://api.openai.com/v1', apiKeyEnv: ['OPENAI_API_KEY'], keyless: false, models: [{ id: 'gpt-5.3', contextWindow: 200_000 }, { id: 'gpt-5-mini', contextWindow: 200_000 }] },
      { id: 'anthropic', name: 'Anthropic (OpenAI-compatible)', baseUrl: 'https://api.anthropic.com/v1', apiKeyEnv: ['ANTHROPIC_API_KEY', 'ANTHROPIC_OAUTH_TOKEN'], keyless: false, models: [{ id: 'claude-sonnet-4-5', contextWindow: 200_000 }, { id: 'claude-haiku-4-5', contextWindow: 200_000 }] },
      { id: 'openrouter', name: 'OpenRouter', baseUrl: 'https://openrouter.ai/api/v1', apiKeyEnv: ['OPENROUTER_API_KEY'], keyless: false, headers: { 'HTTP-Referer': 'https://github.com/edgeclaw', 'X-Title': 'edgeclaw' }, models: [{ id: 'openrouter/auto' }, { id: 'qwen/qwen3-coder:free' }] },
      { id: 'groq', name: 'Groq', baseUrl: 'https://api.groq.com/openai/v1', apiKeyEnv: ['GROQ_API_KEY'], keyless: false, models: [{ id: 'llama-3.3-70b-versatile', contextWindow: 131_072 }, { id: 'llama-3.1-8b-instant', contextWindow: 131_072 }] },
      { id: 'together', name: 'Together AI', baseUrl: 'https://api.together.xyz/v1', apiKeyEnv: ['TOGETHER_API_KEY'], keyless: false, models: [{ id: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', contextWindow: 131_072 }] },
      { id: 'deepseek', name: 'DeepSeek', baseUrl: 'https://api.deepseek.com/v1', apiKeyEnv: ['DEEPSEEK_API_KEY'], keyless: false, models: [{ id: 'deepseek-chat', contextWindow: 128_000 }, { id: 'deepseek-reasoner', contextWindow: 128_000, reasoning: true }] },
      { id: 'mistral', name: 'Mistral', baseUrl: 'https://api.mistral.ai/v1', apiKeyEnv: ['MISTRAL_API_KEY'], keyless: false, models: [{ id: 'mistral-large-latest', contextWindow: 128_000 }, { id: 'mistral-small-latest', contextWindow: 128_000 }] },
      { id: 'xai', name: 'xAI', baseUrl: 'https://api.x.ai/v1', apiKeyEnv: ['XAI_API_KEY'], keyless: false, models: [{ id: 'grok-4', contextWindow: 256_000 }] },
      { id: 'moonshot', name: 'Moonshot (Kimi)', baseUrl: 'https://api.moonshot.ai/v1', apiKeyEnv: ['MOONSHOT_API_KEY', 'KIMI_API_KEY'], keyless: false, models: [{ id: 'kimi-k2.5', contextWindow: 256_000 }] },
      { id: 'zai', name: 'Z.ai', baseUrl: 'https://api.z.ai/api/paas/v4', apiKeyEnv: ['ZAI_API_KEY', 'Z_AI_API_KEY'], keyless: false, models: [{ id: 'glm-5' }, { id: 'glm-4.5-air' }] },
      { id: 'zhipuai', name: 'Zhipu AI (BigModel)', baseUrl: 'https://open.bigmodel.cn/api/paas/v4', apiKeyEnv: ['ZHIPUAI_API_KEY', 'BIGMODEL_API_KEY'], keyless: false, models: [{ id: 'glm-5' }] },
      { id: 'dashscope', name: 'Qwen (Alibaba DashScope)', baseUrl: 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1', apiKeyEnv: ['DASHSCOPE_API_KEY'], keyless: false, models: [{ id: 'qwen-plus', contextWindow: 131_072 }, { id: 'qwen3-coder-plus', contextWindow: 1_000_000 }] },
      {
        id: 'qwen-portal', name: 'Qwen Portal (OAuth device login)', baseUrl: 'https://portal.qwen.ai/v1', apiKeyEnv: ['QWEN_PORTAL_API_KEY'], keyless: false,
        oauth: { deviceAuthorizationUrl: 'https://chat.qwen.ai/api/v1/oauth2/device/code', tokenUrl: 'https://chat.qwen.ai/api/v1/oauth2/token', clientId: 'f0304373b74a44d2b584a3fb70ca9e56', scope: 'openid profile email model.completion', pkce: true },
        models: [{ id: 'qwen3-coder-plus', contextWindow: 1_000_000 }],
      },
      { id: 'opencode', name: 'OpenCode Zen', baseUrl: 'https://opencode.ai/zen/v1', apiKeyEnv: ['OPENCODE_API_KEY', 'OPENCODE_ZEN_API_KEY'], keyless: true, models: [{ id: 'glm-5-free' }, { id: 'kimi-k2.5-free' }, { id: 'minimax-m2.5-free' }] },
      local('ollama', 'Ollama (local)', 11434, 'OLLAMA_API_KEY'),
      local('lmstudio', 'LM Studio (local)', 1234, 'LMSTUDIO_API_KEY'),
      local('vllm', 'vLLM (local)', 8000, 'VLLM_API_KEY'),
      { id: 'cloudflare-workers-ai', name: 'Cloudflare Workers AI', baseUrl: 'https://api.cloudflare.com/client/v4/accounts/{CLOUDFLARE_ACCOUNT_ID}/ai/v1', apiKeyEnv: ['CLOUDFLARE_API_TOKEN', 'CF_API_TOKEN'], keyless: false, models: [{ id: '@cf/meta/llama-3.3-70b-instruct-fp8-fast', contextWindow: 24_000 }, { id: '@cf/openai/gpt-oss-120b', contextWindow: 128_000 }] },
      { id: 'cloudflare-ai-gateway', name: 'Cloudflare AI Gateway', baseUrl: 'https://gateway.ai.cloudflare.com/v1/{CLOUDFLARE_ACCOUNT_ID}/{CLOUDFLARE_GATEWAY_ID}/compat', apiKeyEnv: ['CLOUDFLARE_AI_GATEWAY_KEY', 'CLOUDFLARE_API_TOKEN'], keyless: false, models: [{ id: 'workers-ai/@cf/meta/llama-3.3-70b-instruct-fp8-fast' }] },
    ] satisfies ProviderPreset[]
  ).map((p) => [p.id, p]),
);

/** The keyless provider used when nothing is configured (onboarding default). */
export const KEYLESS_DEFAULT_PROVIDER = 'opencode';

/** Fills `{VAR}` placeholders from env; returns undefined when one is missing. */
export function fillBaseUrl(template: string, env: Readonly<Record<string, string | undefined>>): string | undefined {
  let missing = false;
  const url = template.replace(/\{([A-Z0-9_]+)\}/g, (_, name: string) => {
    const v = env[name];
    if (!v) missing = true;
    return encodeURIComponent(v ?? '');
  });
  return missing ? undefined : url;
}
