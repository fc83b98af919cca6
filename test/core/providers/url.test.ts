// Base URL handling: the reference's `/v1` bug is fixed; every variant reaches the right path.
import { describe, expect, it } from 'vitest';
import { OpenAICompatClient } from '../../../src/providers/client.ts';
import { chatCompletionsUrl, modelsUrl } from '../../../src/providers/url.ts';
import { createFakeOpenAI } from '../../fakes/openai-provider.ts';
import { useServedFake } from '../../fakes/serve-node.ts';

describe('chatCompletionsUrl', () => {
  it.each([
    ['https://h', 'https://h/chat/completions'],
    ['https://h/', 'https://h/chat/completions'],
    ['https://h/v1', 'https://h/v1/chat/completions'],
    ['https://h/v1/', 'https://h/v1/chat/completions'],
    ['https://h/api/v3/', 'https://h/api/v3/chat/completions'],
    ['https://open.bigmodel.cn/api/paas/v4', 'https://open.bigmodel.cn/api/paas/v4/chat/completions'],
    ['https://h/v1/chat/completions', 'https://h/v1/chat/completions'],
    ['https://h/openai/deployments/x?api-version=2024-10-21', 'https://h/openai/deployments/x/chat/completions?api-version=2024-10-21'],
  ])('maps %s to %s', (base, url) => {
    expect(chatCompletionsUrl(base)).toBe(url);
  });

  it('derives the models URL from a base or a chat URL', () => {
    expect(modelsUrl('https://h/v1')).toBe('https://h/v1/models');
    expect(modelsUrl('https://h/v1/chat/completions')).toBe('https://h/v1/models');
  });

  it('rejects a base URL that is not http(s) with a message saying what to fix', () => {
    expect(() => chatCompletionsUrl('ftp://h')).toThrow(/expected http: or https:/);
    expect(() => chatCompletionsUrl('not a url')).toThrow(/invalid provider base URL/);
  });
});

describe('base URL variants against the fake server', () => {
  const fake = createFakeOpenAI();
  const served = useServedFake(fake.app);

  it.each([
    ['', '/chat/completions'],
    ['/v1', '/v1/chat/completions'],
    ['/api/v3/', '/api/v3/chat/completions'],
  ])('base "%s" posts to %s', async (suffix, path) => {
    const client = new OpenAICompatClient({ baseUrl: served.url + suffix, apiKey: 'sk-test' });
    const r = await client.complete({ model: 'echo', messages: [{ role: 'user', content: 'hi' }] });
    expect(r.text).toBe('echo: hi');
    expect(fake.requests.at(-1)?.path).toBe(path);
    expect(fake.requests.at(-1)?.authorization).toBe('Bearer sk-test');
  });
});
