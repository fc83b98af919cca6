// The chat completions client against the fake server on a real socket: streaming, tools, retries, errors.
import { describe, expect, it, vi } from 'vitest';
import { OpenAICompatClient, type OpenAICompatClientOptions } from '../../../src/providers/client.ts';
import { ProviderApiError, ProviderNoAnswerError } from '../../../src/providers/errors.ts';
import type { StreamDelta } from '../../../src/providers/types.ts';
import { createFakeOpenAI } from '../../fakes/openai-provider.ts';
import { useServedFake } from '../../fakes/serve-node.ts';

const fake = createFakeOpenAI();
const served = useServedFake(fake.app);

const user = (content: string) => [{ role: 'user' as const, content }];

function client(extra: Partial<OpenAICompatClientOptions> = {}) {
  const waits: number[] = [];
  const c = new OpenAICompatClient({
    baseUrl: `${served.url}/v1`,
    apiKey: 'sk-test',
    random: () => 0.5,
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...extra,
  });
  return { c, waits };
}

describe('OpenAICompatClient streaming', () => {
  it('streams text deltas in order and returns the assembled text with usage', async () => {
    const deltas: StreamDelta[] = [];
    const r = await client().c.complete({ model: 'echo', messages: user('one two three') }, { onDelta: (d) => deltas.push(d) });
    expect(r.text).toBe('echo: one two three');
    expect(deltas.map((d) => (d.type === 'text' ? d.text : '')).join('')).toBe('echo: one two three');
    expect(r.finishReason).toBe('stop');
    expect(r.usage).toEqual({ promptTokens: 10, completionTokens: 5, totalTokens: 15 });
    expect(fake.requests.at(-1)?.body.stream_options).toEqual({ include_usage: true });
  });

  it('parses CRLF-framed streams the same way', async () => {
    const r = await client({ headers: { 'x-fake-newline': 'crlf' } }).c.complete({ model: 'echo', messages: user('crlf') });
    expect(r.text).toBe('echo: crlf');
  });

  it('assembles parallel tool calls whose argument fragments arrive interleaved by index', async () => {
    const calls = [
      { name: 'lookup', arguments: { q: 'weather in Paris', units: 'metric' } },
      { name: 'clock', arguments: { tz: 'Europe/Paris' } },
    ];
    const r = await client({ headers: { 'x-fake-tool-calls': JSON.stringify(calls) } }).c.complete({
      model: 'tools:1',
      messages: user('go'),
      tools: [{ type: 'function', function: { name: 'lookup', description: 'd', parameters: { type: 'object' } } }],
    });
    expect(r.finishReason).toBe('tool_calls');
    expect(r.toolCalls.map((t) => [t.id, t.function.name, JSON.parse(t.function.arguments)])).toEqual([
      ['call_1_0', 'lookup', calls[0]!.arguments],
      ['call_1_1', 'clock', calls[1]!.arguments],
    ]);
    expect(fake.requests.at(-1)?.body.tools?.[0]?.function.name).toBe('lookup');
  });

  it('accepts a non-streamed JSON completion', async () => {
    const r = await client().c.complete({ model: 'json', messages: user('plain') });
    expect(r.text).toBe('echo: plain');
    expect(r.usage?.totalTokens).toBe(5);
  });

  it('opens a new tool call when a server reuses index 0 with a new id (Ollama)', async () => {
    const events = [
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'a', function: { name: 'x', arguments: '{}' } }] } }] },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'b', function: { name: 'y', arguments: '{"k":1}' } }] }, finish_reason: 'tool_calls' }] },
    ];
    const body = events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('') + 'data: [DONE]\n\n';
    const c = new OpenAICompatClient({ baseUrl: 'http://fake', fetch: async () => new Response(body, { headers: { 'content-type': 'text/event-stream' } }) });
    const r = await c.complete({ model: 'm', messages: user('x') });
    expect(r.toolCalls.map((t) => [t.id, t.function.name, t.function.arguments])).toEqual([
      ['a', 'x', '{}'],
      ['b', 'y', '{"k":1}'],
    ]);
  });
});

describe('OpenAICompatClient failures', () => {
  it('waits for Retry-After on 429 and then succeeds', async () => {
    const { c, waits } = client();
    const r = await c.complete({ model: 'flaky:1:429:2#retry-after', messages: user('again') });
    expect(r.text).toBe('echo: again');
    expect(waits).toEqual([2000]);
  });

  it('retries 5xx with jittered exponential backoff inside a finite budget', async () => {
    const { c, waits } = client({ retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1000 } });
    const err = await c.complete({ model: 'status:503', messages: user('x') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderApiError);
    expect((err as ProviderApiError).status).toBe(503);
    expect(waits).toEqual([75, 150]);
    expect(fake.requests.filter((r) => r.body.model === 'status:503')).toHaveLength(3);
  });

  it('stops retrying when the wait budget is spent', async () => {
    const { c, waits } = client({ retry: { maxAttempts: 5, budgetMs: 2500 } });
    await expect(c.complete({ model: 'status:429:2', messages: user('x') })).rejects.toBeInstanceOf(ProviderApiError);
    expect(waits).toEqual([2000]);
  });

  it('does not wait for a Retry-After longer than the cap and reports it', async () => {
    const { c, waits } = client({ retry: { maxRetryAfterMs: 1000 } });
    const err = await c.complete({ model: 'status:429:120', messages: user('x') }).catch((e: unknown) => e);
    expect((err as ProviderApiError).retryAfterMs).toBe(120_000);
    expect(waits).toEqual([]);
  });

  it('does not retry a 400 and keeps the API error message and code', async () => {
    const { c, waits } = client();
    const err = await c.complete({ model: 'status:400', messages: user('x') }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'api', status: 400, code: 'invalid_request_error', retryable: false });
    expect((err as Error).message).toContain('fake 400');
    expect(waits).toEqual([]);
  });

  it.each([
    ['malformed', 'malformed'],
    ['garbage', 'malformed'],
    ['truncate', 'truncated'],
  ])('reports %s bodies as no answer (%s)', async (model, reason) => {
    const err = await client({ retry: { maxAttempts: 1 } }).c.complete({ model, messages: user('x') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderNoAnswerError);
    expect((err as ProviderNoAnswerError).reason).toBe(reason);
  });

  it('reports an error event inside the stream as an API error', async () => {
    const err = await client({ retry: { maxAttempts: 1 } }).c.complete({ model: 'stream-error', messages: user('x') }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'api', code: 'overloaded', retryable: true });
  });

  it('times out a server that never answers and hangs up on it', async () => {
    const err = await client({ timeoutMs: 50, retry: { maxAttempts: 1 } }).c.complete({ model: 'hang#t1', messages: user('x') }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'no_answer', reason: 'timeout' });
    await vi.waitFor(() => expect(fake.requests.find((r) => r.body.model === 'hang#t1')?.disconnected).toBe(true));
  });

  it('times out a stream that goes silent', async () => {
    const err = await client({ timeoutMs: 50, retry: { maxAttempts: 1 } }).c.complete({ model: 'stall#t2', messages: user('x') }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'no_answer', reason: 'timeout' });
  });

  it('reports a refused connection as no answer (network)', async () => {
    const c = new OpenAICompatClient({ baseUrl: 'http://127.0.0.1:1/v1', retry: { maxAttempts: 1 } });
    await expect(c.complete({ model: 'echo', messages: user('x') })).rejects.toMatchObject({ kind: 'no_answer', reason: 'network' });
  });

  it('stops reading and cancels the stream when aborted mid-stream', async () => {
    const ctrl = new AbortController();
    const reason = new Error('user stop');
    const err = await client()
      .c.complete({ model: 'stall#abort', messages: user('x') }, { signal: ctrl.signal, onDelta: () => ctrl.abort(reason) })
      .catch((e: unknown) => e);
    expect(err).toBe(reason);
    await vi.waitFor(() => expect(fake.requests.find((r) => r.body.model === 'stall#abort')?.cancelled).toBe(true));
  });

  it('fails a completion whose text exceeds the cap as oversize without retrying', async () => {
    const { c, waits } = client({ limits: { maxTextChars: 5 } });
    await expect(c.complete({ model: 'echo', messages: user('a long answer') })).rejects.toMatchObject({ reason: 'oversize', retryable: false });
    expect(waits).toEqual([]);
  });

  it('lists live models from GET /models', async () => {
    expect(await client().c.listModels()).toEqual(['fake-live-1', 'fake-live-2']);
  });
});
