// The one provider alias table (seed-system §5.3, plus edgeclaw's own presets). Anything not listed is
// lowercased and passed through.

/** Canonical provider id -> the other spellings users and configs use for it. */
export const PROVIDER_ALIASES: Readonly<Record<string, readonly string[]>> = {
  openai: ['chatgpt', 'openai-api'],
  'openai-codex': ['codex', 'codex-cli'],
  anthropic: ['claude', 'claude-code', 'claude-code-cli', 'claude-desktop', 'claude-cli'],
  openrouter: ['open-router'],
  groq: ['groq-cloud', 'groqcloud'],
  together: ['together-ai', 'togetherai'],
  deepseek: ['deep-seek'],
  mistral: ['mistral-ai', 'mistralai'],
  xai: ['x-ai', 'grok'],
  moonshot: ['moonshotai', 'moonshotai-cn', 'kimi'],
  'kimi-coding': ['kimi-code', 'kimi-for-coding'],
  zai: ['z.ai', 'z-ai', 'zaiweb', 'zai-web'],
  zhipuai: ['zhipu', 'zhipu-ai', 'bigmodel', 'bigmodel-cn'],
  'zhipuai-coding': ['zhipu-coding', 'bigmodel-coding'],
  dashscope: ['alibaba', 'aliyun', 'bailian', 'dashscope-intl', 'model-studio'],
  'qwen-portal': ['qwen', 'qwen3.5', 'qwen-3.5', 'qwen35', 'qwen-chat'],
  opencode: ['opencode-zen', 'opencodefree', 'opencode_free', 'opencode-go', 'opencode-free'],
  ollama: ['ollama-local'],
  lmstudio: ['lm-studio'],
  vllm: ['v-llm'],
  'cloudflare-workers-ai': ['workers-ai', 'workersai', 'cloudflare', 'cf-workers-ai'],
  'cloudflare-ai-gateway': ['ai-gateway-cloudflare', 'cf-ai-gateway', 'cloudflare-gateway'],
  inception: ['inception-labs', 'inceptionlabs', 'mercury', 'mercury2', 'mercury-2'],
  google: ['gemini', 'google-gemini-cli'],
  volcengine: ['bytedance', 'doubao'],
  fireworks: ['fireworks-ai'],
  novita: ['novita-ai'],
  'inference-net': ['inference', 'inference.net', 'inferencenet'],
  localai: ['local-ai'],
  llamacpp: ['llama.cpp', 'llama-cpp', 'llama-cpp-server'],
  tgi: ['huggingface-tgi', 'hf-tgi', 'text-generation-inference'],
  gpt4all: ['gpt-4all'],
  koboldcpp: ['kobold-cpp'],
  oobabooga: ['text-generation-webui', 'oobabooga-webui'],
  deepinfra: ['deep-infra'],
  siliconflow: ['silicon-flow'],
  aimlapi: ['aimlapi.com'],
  'vercel-ai-gateway': ['vercel-ai', 'ai-gateway'],
  shareai: ['share-ai'],
  bifrost: ['maxim-bifrost', 'bifrost-maxim'],
  'azure-openai': ['azure', 'azure-openai-service'],
  'vertex-ai': ['vertex', 'google-vertex'],
  bedrock: ['amazon-bedrock'],
  'github-models': ['github-model'],
  nvidia: ['nvidia-nim'],
  cerebras: ['cerebras-cloud'],
};

const LOOKUP: ReadonlyMap<string, string> = (() => {
  const m = new Map<string, string>();
  for (const [id, aliases] of Object.entries(PROVIDER_ALIASES)) {
    for (const a of aliases) {
      if (m.has(a) || PROVIDER_ALIASES[a]) throw new Error(`provider alias ${a} is listed twice`);
      m.set(a, id);
    }
  }
  return m;
})();

/**
 * Canonical provider id for any spelling (trimmed, lowercased, `_` and spaces read as `-` when that matches).
 * @example normalizeProviderId(' Claude ') // 'anthropic'
 */
export function normalizeProviderId(raw: string): string {
  const id = raw.trim().toLowerCase();
  if (PROVIDER_ALIASES[id]) return id;
  const direct = LOOKUP.get(id);
  if (direct) return direct;
  const dashed = id.replace(/[_\s]+/g, '-');
  if (PROVIDER_ALIASES[dashed]) return dashed;
  return LOOKUP.get(dashed) ?? id;
}
