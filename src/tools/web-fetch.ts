// The `web_fetch` tool: GET a public http(s) URL with the SSRF guard on every redirect hop, a byte cap,
// a time cap, and HTML turned into text. Runtime-neutral (fetch + streams only).
import { z } from 'zod';
import { htmlToText } from './html-to-text.ts';
import { checkUrl, type HostResolver } from './ssrf.ts';
import { defineTool, type ToolDefinition } from './types.ts';

/** Options of the web_fetch tool; `fetch` and `resolver` are ports (tests, Node DNS checks). */
export interface WebFetchOptions {
  fetch?: (input: string, init?: RequestInit) => Promise<Response> | Response;
  resolver?: HostResolver;
  /** Host names allowed even when private (exact match). */
  allowHosts?: readonly string[];
  /** Bytes read from the body; the rest is cancelled. Default 512 KiB. */
  maxBytes?: number;
  /** Whole-request time cap. Default 15 s. */
  timeoutMs?: number;
  /** Redirects followed (each one re-checked). Default 5. */
  maxRedirects?: number;
}

const Params = z.strictObject({
  url: z.string().min(1).max(4096).describe('The http(s) URL to fetch'),
  raw: z.boolean().optional().describe('Return HTML as-is instead of extracted text'),
});

/**
 * Creates the web_fetch tool.
 * @example createWebFetchTool({ resolver: nodeResolver }) // Node: DNS answers are checked too
 */
export function createWebFetchTool(opts: WebFetchOptions = {}): ToolDefinition<typeof Params> {
  const doFetch = opts.fetch ?? ((input: string, init?: RequestInit) => fetch(input, init));
  const maxBytes = opts.maxBytes ?? 512 * 1024;
  const maxRedirects = opts.maxRedirects ?? 5;
  return defineTool({
    name: 'web_fetch',
    description: 'Fetch a public web page or API over http(s) and return its text (size- and time-limited; private and local addresses are refused).',
    parameters: Params,
    async run(args, ctx) {
      const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(opts.timeoutMs ?? 15_000)]);
      let target = args.url;
      for (let hop = 0; ; hop++) {
        const verdict = await checkUrl(target, { ...(opts.resolver ? { resolver: opts.resolver } : {}), ...(opts.allowHosts ? { allowHosts: opts.allowHosts } : {}) });
        if (!verdict.ok) throw new Error(`refused ${target}: ${verdict.reason}`);
        const response = await doFetch(verdict.url.toString(), { redirect: 'manual', signal, headers: { accept: 'text/html, text/plain, application/json;q=0.9, */*;q=0.5', 'user-agent': 'edgeclaw-web-fetch/1' } });
        const location = response.headers.get('location');
        if (response.status >= 300 && response.status < 400 && location) {
          await response.body?.cancel().catch(() => {});
          if (hop >= maxRedirects) throw new Error(`too many redirects (more than ${maxRedirects})`);
          target = new URL(location, verdict.url).toString();
          continue;
        }
        const type = (response.headers.get('content-type') ?? '').toLowerCase();
        const textual = type === '' || /^text\/|json|xml|javascript|x-www-form-urlencoded/.test(type);
        if (!textual) {
          await response.body?.cancel().catch(() => {});
          return `status ${response.status}; content-type ${type}: binary content not shown`;
        }
        const { text, truncated } = await readText(response, maxBytes);
        const body = type.includes('html') && !args.raw ? htmlToText(text) : text;
        return `status ${response.status} ${verdict.url.toString()}${truncated ? ` (first ${maxBytes} bytes)` : ''}\n\n${body}`;
      }
    },
  });
}

async function readText(response: Response, maxBytes: number): Promise<{ text: string; truncated: boolean }> {
  if (!response.body) return { text: '', truncated: false };
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return { text: text + decoder.decode(), truncated: false };
    const room = maxBytes - size;
    if (value.byteLength > room) {
      text += decoder.decode(value.subarray(0, room));
      await reader.cancel().catch(() => {});
      return { text, truncated: true };
    }
    size += value.byteLength;
    text += decoder.decode(value, { stream: true });
  }
}
