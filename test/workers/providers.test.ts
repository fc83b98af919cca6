// The provider client and the tool loop inside workerd, with the fake provider app passed in as `fetch`.
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { runTurn } from '../../src/agent/run-turn.ts';
import { WORKERS_CAPABILITIES } from '../../src/env.ts';
import { OpenAICompatClient } from '../../src/providers/client.ts';
import { FallbackChain } from '../../src/providers/fallback.ts';
import { resolveModels } from '../../src/providers/resolve.ts';
import type { ChatMessage } from '../../src/providers/types.ts';
import { createToolHost } from '../../src/tools/host.ts';
import { defineTool } from '../../src/tools/types.ts';
import { createWebFetchTool } from '../../src/tools/web-fetch.ts';
import { createFakeOpenAI } from '../fakes/openai-provider.ts';

const fake = createFakeOpenAI();
const client = (baseUrl = 'https://fake.test/v1') => new OpenAICompatClient({ baseUrl, fetch: fake.fetch, retry: { maxAttempts: 1 } });
const user = (content: string): ChatMessage[] => [{ role: 'user', content }];
const echo = defineTool({ name: 'echo', description: 'echo', parameters: z.strictObject({ text: z.string() }), run: async ({ text }) => `got ${text}` });
const fakeExec = defineTool({ name: 'exec', description: 'shell', parameters: z.strictObject({ command: z.string() }), requires: ['exec'], run: async () => 'must not run' });
const tools = createToolHost({ tools: [echo, fakeExec, createWebFetchTool()], capabilities: WORKERS_CAPABILITIES });

describe('providers and agent on workerd', () => {
  it('runs a multi-step tool loop to the right final text and history', async () => {
    const r = await runTurn({ client: client(), model: 'tools:2', messages: user('go'), tools });
    expect(r).toMatchObject({ status: 'completed', text: 'done: got step 1 | got step 2', steps: 3 });
    expect(r.messages.map((m) => m.role)).toEqual(['assistant', 'tool', 'assistant', 'tool', 'assistant']);
  });

  it('falls back to the second provider after the first fails', async () => {
    const chain = new FallbackChain([
      { provider: 'a', model: 'status:503', client: client() },
      { provider: 'b', model: 'echo', client: client() },
    ]);
    const r = await runTurn({ chain, messages: user('hello') });
    expect(r).toMatchObject({ status: 'completed', text: 'echo: hello', provider: 'b' });
    expect(r.attempts.map((a) => [a.provider, a.ok])).toEqual([
      ['a', false],
      ['b', true],
    ]);
  });

  it('stops and cancels the provider stream when aborted mid-stream', async () => {
    const ctrl = new AbortController();
    const r = await runTurn({ client: client(), model: 'stall#wk', messages: user('x'), signal: ctrl.signal, onEvent: (e) => e.stream === 'assistant' && ctrl.abort() });
    expect(r.status).toBe('aborted');
    await vi.waitFor(() => expect(fake.requests.find((q) => q.body.model === 'stall#wk')?.cancelled).toBe(true));
  });

  it('shows a steering message to the next model call', async () => {
    const queue: ChatMessage[] = [];
    const steer = defineTool({ name: 'echo', description: 'd', parameters: z.object({ text: z.string() }), run: async () => (queue.push({ role: 'user', content: 'steer!' }), 'ok') });
    const host = createToolHost({ tools: [steer], capabilities: WORKERS_CAPABILITIES });
    await runTurn({ client: client(), model: 'tools:1#wk-steer', messages: user('go'), tools: host, steering: () => queue.splice(0) });
    const second = fake.requests.filter((q) => q.body.model === 'tools:1#wk-steer')[1];
    expect(second?.body.messages.at(-1)).toEqual({ role: 'user', content: 'steer!' });
  });

  it('hides exec from the model and refuses it with a clear error', async () => {
    expect(tools.list().map((t) => t.function.name)).toEqual(['echo', 'web_fetch']);
    const out = await tools.call('exec', { command: 'id' }, { signal: new AbortController().signal, callId: 'c' });
    expect(out).toEqual({ ok: false, error: { code: 'capability_missing', message: expect.stringContaining('tool exec is not available on this host (workers)') } });
  });

  it.each([
    ['https://h', '/chat/completions'],
    ['https://h/v1', '/v1/chat/completions'],
    ['https://h/api/v3/', '/api/v3/chat/completions'],
  ])('base %s posts to %s', async (base, path) => {
    await client(base).complete({ model: 'echo', messages: user('x') });
    expect(fake.requests.at(-1)?.path).toBe(path);
  });

  it('resolves the keyless default with no env at all', () => {
    expect(resolveModels(undefined, {}).primary.provider).toBe('opencode');
  });
});
