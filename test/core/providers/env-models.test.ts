// The one env → models resolution shared by the agent, models.list, auth.oauth.* and the Telegram commands.
import { describe, expect, it } from 'vitest';
import type { Env } from '../../../src/env.ts';
import { modelsConfigOf, resolvedModelsOf } from '../../../src/providers/env-models.ts';

const envOf = (vars: Record<string, string>) => ({ ...vars }) as unknown as Env;

describe('env models', () => {
  it('reads EDGECLAW_MODELS_JSON with the env variables, and stored keys win over config and env', () => {
    const env = envOf({
      EDGECLAW_MODELS_JSON: JSON.stringify({ default: 'groq/llama', providers: { groq: { apiKey: 'env:GROQ_KEY' }, openai: { apiKey: 'sk-config-key' } } }),
      GROQ_KEY: 'gsk-from-env',
    });
    const plain = resolvedModelsOf(env);
    expect(plain.primary).toEqual({ provider: 'groq', model: 'llama' });
    expect(plain.providers.get('groq')?.apiKey).toBe('gsk-from-env');
    expect(plain.providers.get('openai')?.apiKey).toBe('sk-config-key');
    const stored = resolvedModelsOf(env, { openai: 'sk-stored-key', mistral: 'mk-stored-key' });
    expect(stored.providers.get('openai')?.apiKey).toBe('sk-stored-key');
    expect(stored.providers.get('mistral')?.apiKey).toBe('mk-stored-key');
    expect(stored.providers.get('groq')?.apiKey).toBe('gsk-from-env');
  });

  it('parses the config once per env object and falls back to zero-config without EDGECLAW_MODELS_JSON', () => {
    const env = envOf({ EDGECLAW_MODELS_JSON: JSON.stringify({ default: 'openai/gpt-5.3' }) });
    const first = modelsConfigOf(env);
    expect(modelsConfigOf(env)).toBe(first);
    expect(modelsConfigOf(envOf({}))).toEqual({ fallbacks: [], requestTimeoutMs: 60_000, maxAttempts: 3, discovery: { enabled: false, ttlMs: 600_000 }, providers: {} });
    expect(resolvedModelsOf(envOf({})).primary).toEqual({ provider: 'opencode', model: 'glm-5-free' });
  });

  it('refuses a malformed EDGECLAW_MODELS_JSON naming the bad field', () => {
    let issues: unknown;
    try {
      modelsConfigOf(envOf({ EDGECLAW_MODELS_JSON: JSON.stringify({ default: 'no-slash' }) }));
    } catch (err) {
      issues = (err as { issues?: unknown }).issues;
    }
    expect(issues).toMatchObject([{ path: ['default'], message: 'expected "<provider>/<model>", e.g. "openai/gpt-5.3"' }]);
  });
});
