// The tool loop against the fake provider on a real socket: multi-step runs, fallback, abort, steering,
// defender decisions and caps.
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { runTurn } from '../../../src/agent/run-turn.ts';
import type { AgentEvent, DefenderPort } from '../../../src/agent/types.ts';
import { OpenAICompatClient } from '../../../src/providers/client.ts';
import { FallbackChain } from '../../../src/providers/fallback.ts';
import type { ChatMessage } from '../../../src/providers/types.ts';
import { createToolHost } from '../../../src/tools/host.ts';
import { defineTool } from '../../../src/tools/types.ts';
import { createFakeOpenAI } from '../../fakes/openai-provider.ts';
import { useServedFake } from '../../fakes/serve-node.ts';

const NODE_CAPS = { exec: true, localFiles: true, host: 'node' } as const;
const fake = createFakeOpenAI();
const served = useServedFake(fake.app);

const client = (headers: Record<string, string> = {}) => new OpenAICompatClient({ baseUrl: `${served.url}/v1`, headers, retry: { maxAttempts: 1 } });
const user = (content: string): ChatMessage[] => [{ role: 'system', content: 'be brief' }, { role: 'user', content }];
const echoTool = defineTool({
  name: 'echo',
  description: 'Echo text back',
  parameters: z.strictObject({ text: z.string() }),
  run: async (args) => `got ${args.text}`,
});
const tools = createToolHost({ tools: [echoTool], capabilities: NODE_CAPS });
const calls = (...list: Array<{ name: string; arguments: unknown }>) => ({ 'x-fake-tool-calls': JSON.stringify(list) });

describe('runTurn', () => {
  it('runs a multi-step tool loop to the right final text and message history', async () => {
    const events: AgentEvent[] = [];
    const r = await runTurn({ client: client(), model: 'tools:2#multi', messages: user('go'), tools, onEvent: (e) => events.push(e) });
    expect(r).toMatchObject({ status: 'completed', text: 'done: got step 1 | got step 2', steps: 3, toolCalls: 2 });
    expect(r.messages).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1_0', type: 'function', function: { name: 'echo', arguments: '{"text":"step 1"}' } }] },
      { role: 'tool', tool_call_id: 'call_1_0', content: 'got step 1' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_2_0', type: 'function', function: { name: 'echo', arguments: '{"text":"step 2"}' } }] },
      { role: 'tool', tool_call_id: 'call_2_0', content: 'got step 2' },
      { role: 'assistant', content: 'done: got step 1 | got step 2' },
    ]);
    expect(r.usage).toEqual({ promptTokens: 30, completionTokens: 15, totalTokens: 45 });
    // Each model call sent the whole history so far, with the tool schema.
    const sent = fake.requests.filter((q) => q.body.model === 'tools:2#multi');
    expect(sent.map((q) => q.body.messages.length)).toEqual([2, 4, 6]);
    expect(sent[0]?.body.tools?.[0]?.function.name).toBe('echo');
    expect(events[0]).toEqual({ stream: 'lifecycle', data: { phase: 'start' } });
    expect(events.at(-1)).toEqual({ stream: 'lifecycle', data: { phase: 'end', stopReason: 'completed' } });
    expect(events.filter((e) => e.stream === 'tool').map((e) => e.data.phase)).toEqual(['start', 'result', 'start', 'result']);
    const last = events.filter((e) => e.stream === 'assistant').at(-1);
    expect(last?.data).toMatchObject({ text: 'done: got step 1 | got step 2', step: 3 });
  });

  it('falls back to the second provider after the first fails and records every attempt', async () => {
    const chain = new FallbackChain([
      { provider: 'first', model: 'status:500', client: client() },
      { provider: 'second', model: 'tools:1#fb', client: client() },
    ]);
    const r = await runTurn({ chain, messages: user('go'), tools });
    expect(r).toMatchObject({ status: 'completed', text: 'done: got step 1', provider: 'second', model: 'tools:1#fb' });
    expect(r.attempts.map((a) => [a.step, a.provider, a.ok, a.error?.status])).toEqual([
      [1, 'first', false, 500],
      [1, 'second', true, undefined],
      [2, 'first', false, 500],
      [2, 'second', true, undefined],
    ]);
  });

  it('replaces text streamed by a candidate that failed mid-stream', async () => {
    const chain = new FallbackChain([
      { provider: 'first', model: 'truncate', client: client() },
      { provider: 'second', model: 'text:fine', client: client() },
    ]);
    const events: AgentEvent[] = [];
    const r = await runTurn({ chain, messages: user('go'), onEvent: (e) => events.push(e) });
    expect(r.text).toBe('fine');
    const assistant = events.filter((e) => e.stream === 'assistant').map((e) => e.data);
    expect(assistant.find((d) => d.text === 'fine')).toMatchObject({ replace: true });
  });

  it('reports an error with its kind when every candidate fails', async () => {
    const r = await runTurn({ client: client(), model: 'status:429', messages: user('go') });
    expect(r).toMatchObject({ status: 'error', error: { kind: 'rate_limit' } });
    expect(r.messages).toEqual([]);
  });

  it('stops the stream when aborted mid-stream', async () => {
    const ctrl = new AbortController();
    const r = await runTurn({
      client: client(),
      model: 'stall#turn-abort',
      messages: user('go'),
      signal: ctrl.signal,
      onEvent: (e) => e.stream === 'assistant' && ctrl.abort(),
    });
    expect(r).toMatchObject({ status: 'aborted', text: 'partial ' });
    await vi.waitFor(() => expect(fake.requests.find((q) => q.body.model === 'stall#turn-abort')?.cancelled).toBe(true));
  });

  it('aborts a running tool and skips the calls not yet started', async () => {
    const ctrl = new AbortController();
    let sawAbort = false;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const slow = defineTool({
      name: 'slow',
      description: 'waits until aborted',
      parameters: z.strictObject({}),
      run: (_args, ctx) =>
        new Promise((_, reject) => {
          started();
          ctx.signal.addEventListener('abort', () => {
            sawAbort = true;
            reject(new Error('stopped'));
          });
        }),
    });
    const host = createToolHost({ tools: [slow, echoTool], capabilities: NODE_CAPS });
    const turn = runTurn({
      client: client(calls({ name: 'slow', arguments: {} }, { name: 'echo', arguments: { text: 'later' } })),
      model: 'tools:1',
      messages: user('go'),
      tools: host,
      signal: ctrl.signal,
    });
    await running;
    ctrl.abort();
    const r = await turn;
    expect(sawAbort).toBe(true);
    expect(r.status).toBe('aborted');
    expect(r.messages.slice(1).map((m) => (m.role === 'tool' ? JSON.parse(m.content).error.code : m.role))).toEqual(['aborted', 'aborted']);
  });

  it('gives a steering message to the next model call and skips tool calls not yet started', async () => {
    const queue: ChatMessage[] = [];
    const steerer = defineTool({
      name: 'steer_now',
      description: 'simulates a user message arriving while tools run',
      parameters: z.strictObject({}),
      run: async () => {
        queue.push({ role: 'user', content: 'actually, stop and say hi' });
        return 'ok';
      },
    });
    const host = createToolHost({ tools: [steerer, echoTool], capabilities: NODE_CAPS });
    const r = await runTurn({
      client: client(calls({ name: 'steer_now', arguments: {} }, { name: 'echo', arguments: { text: 'skipped' } })),
      model: 'tools:1#steer',
      messages: user('go'),
      tools: host,
      steering: () => queue.splice(0),
    });
    expect(r).toMatchObject({ status: 'completed', toolCalls: 1 });
    const [assistant, first, second, steer] = r.messages;
    expect(assistant?.role).toBe('assistant');
    expect(first).toEqual({ role: 'tool', tool_call_id: 'call_1_0', content: 'ok' });
    expect(second?.role === 'tool' && JSON.parse(second.content).error.code).toBe('skipped');
    expect(steer).toEqual({ role: 'user', content: 'actually, stop and say hi' });
    const sent = fake.requests.filter((q) => q.body.model === 'tools:1#steer');
    expect(sent[1]?.body.messages.at(-1)).toEqual({ role: 'user', content: 'actually, stop and say hi' });
  });

  it('drains steering before the first model call too', async () => {
    let pending: ChatMessage[] = [{ role: 'user', content: 'and one more thing' }];
    const r = await runTurn({ client: client(), model: 'echo', messages: user('first'), steering: () => pending.splice(0) });
    expect(r.text).toBe('echo: and one more thing');
    pending = [];
  });

  it('sends a block decision to the model as an error result without running the tool', async () => {
    const run = vi.fn(async () => 'ran');
    const host = createToolHost({ tools: [defineTool({ name: 'echo', description: 'd', parameters: z.object({ text: z.string() }), run })], capabilities: NODE_CAPS });
    const defender: DefenderPort = async (input) => (input.kind === 'tool_call' ? { decision: 'block', score: 90, reasons: ['exfiltration'] } : { decision: 'allow', score: 0, reasons: [] });
    const r = await runTurn({ client: client(), model: 'tools:1', messages: user('go'), tools: host, defender });
    expect(run).not.toHaveBeenCalled();
    expect(r.text).toContain('blocked by policy: exfiltration');
  });

  it('asks the approval port on review and runs only what is approved', async () => {
    const defender: DefenderPort = async (input) => (input.kind === 'tool_call' ? { decision: 'review', score: 50, reasons: ['unsure'] } : { decision: 'allow', score: 0, reasons: [] });
    const approved = await runTurn({ client: client(), model: 'tools:1', messages: user('go'), tools, defender, approval: async (req) => ({ approved: req.tool === 'echo' }) });
    expect(approved.text).toBe('done: got step 1');
    const denied = await runTurn({ client: client(), model: 'tools:1', messages: user('go'), tools, defender });
    expect(denied.text).toContain('not approved');
  });

  it('fails closed when the defender throws', async () => {
    const r = await runTurn({ client: client(), model: 'tools:1', messages: user('go'), tools, defender: async () => Promise.reject(new Error('offline')) });
    expect(r.text).toContain('defender failed: offline');
  });

  it('withholds a tool result the defender blocks before the model sees it', async () => {
    const inputs: string[] = [];
    const defender: DefenderPort = async (input) => {
      inputs.push(input.kind);
      return input.kind === 'tool_result' ? { decision: 'block', score: 95, reasons: ['prompt injection in result'] } : { decision: 'allow', score: 0, reasons: [] };
    };
    const r = await runTurn({ client: client(), model: 'tools:1', messages: user('go'), tools, defender });
    expect(inputs).toEqual(['tool_call', 'tool_result']);
    expect(r.text).toContain('withheld by the defender: prompt injection in result');
    expect(r.text).not.toContain('got step 1');
  });

  it('caps tool results at maxToolResultBytes with a marker', async () => {
    const big = defineTool({ name: 'echo', description: 'd', parameters: z.object({}).passthrough(), run: async () => 'x'.repeat(5000) });
    const host = createToolHost({ tools: [big], capabilities: NODE_CAPS });
    const r = await runTurn({ client: client(), model: 'tools:1', messages: user('go'), tools: host, maxToolResultBytes: 100 });
    const tool = r.messages.find((m) => m.role === 'tool');
    expect(tool?.content).toBe(`${'x'.repeat(100)}\n[truncated: 4900 more bytes]`);
  });

  it('returns unknown and invalid tool calls to the model as errors', async () => {
    const r = await runTurn({ client: client(calls({ name: 'nope', arguments: {} }, { name: 'echo', arguments: '{"text":' })), model: 'tools:1', messages: user('go'), tools });
    const codes = r.messages.filter((m) => m.role === 'tool').map((m) => JSON.parse(m.content).error.code);
    expect(codes).toEqual(['unknown_tool', 'invalid_arguments']);
  });

  it('stops at the step cap', async () => {
    const r = await runTurn({ client: client(), model: 'tools:5', messages: user('go'), tools, maxSteps: 2 });
    expect(r).toMatchObject({ status: 'max_steps', steps: 2, toolCalls: 2 });
  });
});
