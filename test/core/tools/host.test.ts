// The tool host: JSON Schema exposure, capability gating (Workers refuses exec/file tools), validation, caps.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { WORKERS_CAPABILITIES } from '../../../src/env.ts';
import { capResult, createToolHost } from '../../../src/tools/host.ts';
import { defineTool } from '../../../src/tools/types.ts';
import { createWebFetchTool } from '../../../src/tools/web-fetch.ts';

const ctx = () => ({ signal: new AbortController().signal, callId: 'c1' });
const add = defineTool({
  name: 'add',
  description: 'Add two numbers',
  parameters: z.strictObject({ a: z.number().describe('first'), b: z.number() }),
  run: async ({ a, b }) => ({ sum: a + b }),
});
const fakeExec = defineTool({ name: 'exec', description: 'shell', parameters: z.strictObject({ command: z.string() }), requires: ['exec'], run: async () => 'ran' });

describe('createToolHost', () => {
  it('exposes zod parameters as JSON Schema in OpenAI tool format', () => {
    const host = createToolHost({ tools: [add], capabilities: WORKERS_CAPABILITIES });
    expect(host.list()).toEqual([
      {
        type: 'function',
        function: {
          name: 'add',
          description: 'Add two numbers',
          parameters: { type: 'object', properties: { a: { type: 'number', description: 'first' }, b: { type: 'number' } }, required: ['a', 'b'], additionalProperties: false },
        },
      },
    ]);
  });

  it('leaves exec and file tools out of the list on Workers and refuses them with a clear error', async () => {
    const host = createToolHost({ tools: [add, fakeExec, createWebFetchTool()], capabilities: WORKERS_CAPABILITIES });
    expect(host.names()).toEqual(['add', 'web_fetch']);
    for (const name of ['exec', 'read', 'write', 'edit', 'list']) {
      const out = await host.call(name, { command: 'id', path: 'x' }, ctx());
      expect(out).toEqual({ ok: false, error: { code: 'capability_missing', message: expect.stringMatching(new RegExp(`tool ${name} is not available on this host \\(workers\\)`)) } });
    }
  });

  it('offers exec where the host declares the capability', async () => {
    const host = createToolHost({ tools: [fakeExec], capabilities: { exec: true, localFiles: false, host: 'node' } });
    expect(host.names()).toEqual(['exec']);
    expect(await host.call('exec', { command: 'id' }, ctx())).toEqual({ ok: true, content: 'ran' });
  });

  it('validates arguments and names the bad field', async () => {
    const host = createToolHost({ tools: [add], capabilities: WORKERS_CAPABILITIES });
    expect(await host.call('add', { a: 1, b: 'two' }, ctx())).toMatchObject({ ok: false, error: { code: 'invalid_arguments', message: expect.stringContaining('b:') } });
    expect(await host.call('add', { a: 1, b: 2 }, ctx())).toEqual({ ok: true, content: '{"sum":3}' });
    expect(await host.call('missing', {}, ctx())).toMatchObject({ ok: false, error: { code: 'unknown_tool' } });
  });

  it('turns a throwing tool into an error outcome and caps large results', async () => {
    const boom = defineTool({ name: 'boom', description: 'd', parameters: z.object({}), run: async () => Promise.reject(new Error('kaput')) });
    const big = defineTool({ name: 'big', description: 'd', parameters: z.object({}), run: async () => 'é'.repeat(100) });
    const host = createToolHost({ tools: [boom, big], capabilities: WORKERS_CAPABILITIES, maxResultBytes: 11 });
    expect(await host.call('boom', {}, ctx())).toEqual({ ok: false, error: { code: 'tool_error', message: 'kaput' } });
    expect(await host.call('big', {}, ctx())).toEqual({ ok: true, content: `${'é'.repeat(5)}\n[truncated: 190 more bytes]`, truncated: true });
  });

  it('rejects duplicate and malformed tool names at construction', () => {
    expect(() => createToolHost({ tools: [add, add], capabilities: WORKERS_CAPABILITIES })).toThrow(/registered twice/);
    expect(() => createToolHost({ tools: [{ ...add, name: 'bad name' }], capabilities: WORKERS_CAPABILITIES })).toThrow(/must match/);
  });

  it('cuts results on a character boundary', () => {
    expect(capResult('ab€', 4)).toEqual({ ok: true, content: 'ab\n[truncated: 3 more bytes]', truncated: true });
  });
});
