// Helpers the benchmarks share: an instant fake model provider, percentiles, and /proc readings of a child.
import { readFileSync } from 'node:fs';
import { serve } from '@hono/node-server';

/**
 * An instant OpenAI-compatible provider on 127.0.0.1: one SSE chunk echoing the last user message, then [DONE].
 * Resolves with its `/v1` base URL and a close function.
 */
export async function startInstantProvider() {
  const server = serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: async (req) => {
      const body = await req.json();
      const last = [...body.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
      const chunk = (d, f = null) => `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', model: 'fake', choices: [{ index: 0, delta: d, finish_reason: f }] })}\n\n`;
      return new Response(chunk({ role: 'assistant', content: `echo: ${last}` }) + chunk({}, 'stop') + 'data: [DONE]\n\n', { headers: { 'content-type': 'text/event-stream' } });
    },
  });
  await new Promise((r) => server.once('listening', r));
  return { url: `http://127.0.0.1:${server.address().port}/v1`, close: () => server.close() };
}

/** The `p` quantile (0..1) of an ascending array, rounded to 2 decimals (0 for an empty one). */
export const pct = (a, p) => (a.length ? +a[Math.min(a.length - 1, Math.floor(a.length * p))].toFixed(2) : 0);

/** CPU time (user + system, ms) a process used so far, from /proc (null when it cannot be read). */
export function cpuMs(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, in USER_HZ (100) ticks
  } catch {
    return null;
  }
}

/** Resident memory of a process in MB, from /proc. */
export const rssMb = (pid) => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
