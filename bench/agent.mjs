// Agent runtime overhead: time per tool-loop step of runTurn against an instant in-process fake provider,
// compared with a raw fetch + read of the same fake response (ms per model call and the ratio).
// Run: npm run bench:agent [-- --iterations 2000 --json]   (Node 24 runs the TypeScript sources directly)
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { runTurn } from '../src/agent/run-turn.ts';
import { OpenAICompatClient } from '../src/providers/client.ts';
import { createToolHost } from '../src/tools/host.ts';
import { defineTool } from '../src/tools/types.ts';
import { createFakeOpenAI } from '../test/fakes/openai-provider.ts';

const { values: opts } = parseArgs({ options: { iterations: { type: 'string', default: '2000' }, json: { type: 'boolean', default: false } } });
const iterations = Number(opts.iterations);
const fake = createFakeOpenAI();
// The fake keeps a request log for tests; the bench must not grow memory with it.
const trim = () => fake.requests.splice(0);
const messages = [{ role: 'user', content: 'bench' }];
const echo = defineTool({ name: 'echo', description: 'echo', parameters: z.strictObject({ text: z.string() }), run: async ({ text }) => text });
const tools = createToolHost({ tools: [echo], capabilities: { exec: false, localFiles: false, host: 'node' } });
const client = new OpenAICompatClient({ baseUrl: 'http://fake.local/v1', fetch: fake.fetch, retry: { maxAttempts: 1 } });

// Raw: the same two requests one turn makes (tool call step + final step), fetched and read as text.
const bodies = [
  JSON.stringify({ model: 'tools:1', messages, stream: true, stream_options: { include_usage: true } }),
  JSON.stringify({
    model: 'tools:1',
    stream: true,
    stream_options: { include_usage: true },
    messages: [...messages, { role: 'assistant', content: null, tool_calls: [{ id: 'call_1_0', type: 'function', function: { name: 'echo', arguments: '{"text":"step 1"}' } }] }, { role: 'tool', tool_call_id: 'call_1_0', content: 'step 1' }],
  }),
];
async function rawTurn() {
  for (const body of bodies) {
    const res = await fake.fetch('http://fake.local/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await res.text();
  }
}
async function agentTurn() {
  const r = await runTurn({ client, model: 'tools:1', messages, tools });
  if (r.status !== 'completed' || r.steps !== 2) throw new Error(`unexpected turn: ${r.status} ${r.steps}`);
}

async function measure(fn) {
  for (let i = 0; i < Math.min(200, iterations); i++) await fn();
  trim();
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) {
    await fn();
    if (i % 100 === 0) trim();
  }
  trim();
  return (performance.now() - t0) / iterations / 2; // per model call (2 per turn)
}

const raw = await measure(rawTurn);
const agent = await measure(agentTurn);
const result = { iterations, rawMsPerCall: +raw.toFixed(4), agentMsPerStep: +agent.toFixed(4), overheadMsPerStep: +(agent - raw).toFixed(4), ratio: +(agent / raw).toFixed(2) };
if (opts.json) console.log(JSON.stringify(result));
else {
  console.log(`runTurn per step: ${result.agentMsPerStep} ms   raw fetch per call: ${result.rawMsPerCall} ms`);
  console.log(`overhead per step: ${result.overheadMsPerStep} ms   ratio: ${result.ratio}x   (${iterations} turns, 2 steps each)`);
}
