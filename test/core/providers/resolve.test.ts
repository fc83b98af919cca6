// Provider resolution: zero-config from env, aliases, config overrides, catalog, fallback chain.
import { describe, expect, it } from 'vitest';
import { normalizeProviderId } from '../../../src/providers/aliases.ts';
import { ModelDiscovery, buildModelCatalog } from '../../../src/providers/catalog.ts';
import { ProvidersConfigSchema } from '../../../src/providers/config.ts';
import { FallbackChain, FallbackExhaustedError, createFallbackChain } from '../../../src/providers/fallback.ts';
import { ProviderApiError, ProviderNoAnswerError } from '../../../src/providers/errors.ts';
import { PROVIDER_PRESETS } from '../../../src/providers/presets.ts';
import { parseModelRef, resolveModels, resolveSecret } from '../../../src/providers/resolve.ts';
import type { ChatCompleter } from '../../../src/providers/types.ts';
import { createFakeOpenAI } from '../../fakes/openai-provider.ts';

const cfg = (raw: unknown) => ProvidersConfigSchema.parse(raw);

describe('zero-config resolution', () => {
  it('uses the keyless default provider when nothing is set, and still lists every preset', () => {
    const r = resolveModels(undefined, {});
    expect(r.primary).toEqual({ provider: 'opencode', model: 'glm-5-free' });
    expect(r.providers.get('opencode')?.available).toBe(true);
    const providers = new Set(buildModelCatalog(r).models.map((m) => m.provider));
    for (const id of Object.keys(PROVIDER_PRESETS).filter((id) => PROVIDER_PRESETS[id]!.models.length > 0)) expect(providers).toContain(id);
  });

  it('uses openai with the preset default model when OPENAI_API_KEY is set', () => {
    const r = resolveModels(undefined, { OPENAI_API_KEY: 'sk-1' });
    expect(r.primary).toEqual({ provider: 'openai', model: 'gpt-5.3' });
    expect(r.providers.get('openai')).toMatchObject({ apiKey: 'sk-1', baseUrl: 'https://api.openai.com/v1', available: true });
  });

  it('points openai at OPENAI_BASE_URL and takes EDGECLAW_MODEL verbatim (slashes included)', () => {
    const r = resolveModels(undefined, { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: 'https://openrouter.ai/api/v1', EDGECLAW_MODEL: 'google/gemini-2.0-flash-exp:free' });
    expect(r.primary).toEqual({ provider: 'openai', model: 'google/gemini-2.0-flash-exp:free' });
    expect(r.providers.get('openai')?.baseUrl).toBe('https://openrouter.ai/api/v1');
  });

  it('allows a keyless OPENAI_BASE_URL (a local server)', () => {
    const r = resolveModels(undefined, { OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1', EDGECLAW_MODEL: 'llama3.2' });
    expect(r.primary).toEqual({ provider: 'openai', model: 'llama3.2' });
    expect(r.providers.get('openai')?.available).toBe(true);
  });

  it('reads EDGECLAW_MODEL as provider/model when the prefix names a provider (through aliases)', () => {
    const r = resolveModels(undefined, { EDGECLAW_MODEL: 'claude/claude-haiku-4-5', ANTHROPIC_API_KEY: 'a' });
    expect(r.primary).toEqual({ provider: 'anthropic', model: 'claude-haiku-4-5' });
  });

  it('says which env var to set for a provider without a key', () => {
    const r = resolveModels(undefined, {});
    expect(r.providers.get('groq')).toMatchObject({ available: false, unavailableReason: 'no API key: set GROQ_API_KEY' });
    expect(r.providers.get('cloudflare-workers-ai')?.unavailableReason).toMatch(/CLOUDFLARE_ACCOUNT_ID/);
  });
});

describe('config resolution', () => {
  it('merges a configured provider over its preset, resolving env: key references', () => {
    const r = resolveModels(cfg({ default: 'zhipu/glm-5', providers: { bigmodel: { apiKey: 'env:MY_KEY', models: ['glm-4.6'] } } }), { MY_KEY: 'z-1' });
    expect(r.primary).toEqual({ provider: 'zhipuai', model: 'glm-5' });
    expect(r.providers.get('zhipuai')).toMatchObject({ apiKey: 'z-1', baseUrl: 'https://open.bigmodel.cn/api/paas/v4', configured: true });
    expect(r.providers.get('zhipuai')?.models.map((m) => m.id)).toEqual(['glm-4.6', 'glm-5']);
  });

  it('defines a new OpenAI-compatible provider from config alone', () => {
    const r = resolveModels(cfg({ default: 'corp/big', providers: { corp: { baseUrl: 'https://llm.corp/api/v3/', keyless: true, models: ['big'] } } }), {});
    expect(r.providers.get('corp')).toMatchObject({ available: true, baseUrl: 'https://llm.corp/api/v3/' });
  });

  it('rejects two config keys that alias the same provider', () => {
    expect(() => resolveModels(cfg({ providers: { claude: {}, anthropic: {} } }), {})).toThrow(/both name provider "anthropic"/);
  });

  it('rejects a model reference without a provider, saying the expected form', () => {
    expect(ProvidersConfigSchema.safeParse({ default: 'gpt-5' }).error?.issues[0]?.message).toMatch(/<provider>\/<model>/);
    expect(() => parseModelRef('gpt-5')).toThrow(/<provider>\/<model>/);
  });

  it('resolves secret references and literals', () => {
    expect(resolveSecret('${A}', { A: 'x' })).toBe('x');
    expect(resolveSecret('env:MISSING', {})).toBeUndefined();
    expect(resolveSecret('literal', {})).toBe('literal');
  });

  it('normalises provider aliases through one table', () => {
    expect(['Claude', 'z.ai', 'bigmodel', 'LM_Studio', 'workers-ai', 'opencode-zen', 'kimi', 'something-new'].map(normalizeProviderId)).toEqual([
      'anthropic', 'zai', 'zhipuai', 'lmstudio', 'cloudflare-workers-ai', 'opencode', 'moonshot', 'something-new',
    ]);
  });
});

describe('models catalog', () => {
  it('merges presets, config and live ids, sorted by provider then name, and never includes keys', () => {
    const r = resolveModels(cfg({ providers: { openai: { models: [{ id: 'o-custom', name: 'Custom' }] } } }), { OPENAI_API_KEY: 'sk-secret-123' });
    const cat = buildModelCatalog(r, { openai: ['gpt-live', 'gpt-5.3'] });
    const openai = cat.models.filter((m) => m.provider === 'openai');
    expect(openai.map((m) => [m.id, m.source])).toEqual([
      ['o-custom', 'config'],
      ['gpt-5-mini', 'preset'],
      ['gpt-5.3', 'preset'],
      ['gpt-live', 'live'],
    ]);
    expect(cat.defaultModels).toEqual(['openai/o-custom']);
    expect(JSON.stringify(cat)).not.toContain('sk-secret-123');
    const providers = cat.models.map((m) => m.provider);
    expect(providers).toEqual([...providers].sort());
  });

  it('caches live discovery per provider for the TTL and shares concurrent fetches', async () => {
    let now = 0;
    let calls = 0;
    const d = new ModelDiscovery({ ttlMs: 1000, now: () => now });
    const list = async () => {
      calls++;
      return ['m1'];
    };
    expect(await Promise.all([d.get('p', list), d.get('p', list)])).toEqual([['m1'], ['m1']]);
    now = 999;
    await d.get('p', list);
    expect(calls).toBe(1);
    now = 1000;
    await d.get('p', list);
    expect(calls).toBe(2);
  });

  it('caches a failed discovery as empty instead of throwing', async () => {
    const d = new ModelDiscovery({ ttlMs: 1000 });
    expect(await d.get('p', () => Promise.reject(new Error('down')))).toEqual([]);
  });
});

describe('fallback chain', () => {
  const failing = (err: Error): ChatCompleter => ({ complete: () => Promise.reject(err) });
  const ok = (text: string): ChatCompleter => ({ complete: async () => ({ text, toolCalls: [], finishReason: 'stop' }) });

  it('moves to the next candidate on a retryable failure and records each attempt', async () => {
    const chain = new FallbackChain([
      { provider: 'a', model: 'm1', client: failing(new ProviderApiError(503, 'down')) },
      { provider: 'b', model: 'm2', client: failing(new ProviderNoAnswerError('timeout', 'slow')) },
      { provider: 'c', model: 'm3', client: ok('hi') },
    ]);
    const r = await chain.complete({ messages: [] });
    expect(r).toMatchObject({ provider: 'c', model: 'm3', result: { text: 'hi' } });
    expect(r.attempts.map((a) => [a.provider, a.ok, a.error?.kind])).toEqual([
      ['a', false, 'api'],
      ['b', false, 'timeout'],
      ['c', true, undefined],
    ]);
  });

  it('stops at a non-retryable error instead of trying others', async () => {
    const chain = new FallbackChain([
      { provider: 'a', model: 'm1', client: failing(new ProviderApiError(400, 'bad request')) },
      { provider: 'b', model: 'm2', client: ok('never') },
    ]);
    const err = await chain.complete({ messages: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FallbackExhaustedError);
    expect((err as FallbackExhaustedError).attempts).toHaveLength(1);
  });

  it('builds candidates from config, skipping unavailable providers with the reason', async () => {
    const fake = createFakeOpenAI();
    const r = resolveModels(cfg({ default: 'groq/llama-3.3-70b-versatile', fallbacks: ['local/status:500', 'local/echo'], providers: { local: { baseUrl: 'http://fake/v1', keyless: true } } }), {});
    const chain = createFallbackChain(r, { clientOptions: { fetch: fake.fetch, retry: { maxAttempts: 1 } } });
    const out = await chain.complete({ messages: [{ role: 'user', content: 'fall' }] });
    expect(out.result.text).toBe('echo: fall');
    expect(out.attempts.map((a) => [a.provider, a.model, a.ok, a.skipped ?? a.error?.status])).toEqual([
      ['groq', 'llama-3.3-70b-versatile', false, 'no API key: set GROQ_API_KEY'],
      ['local', 'status:500', false, 500],
      ['local', 'echo', true, undefined],
    ]);
  });
});
