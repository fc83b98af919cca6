// web_fetch: HTML to text, SSRF on every redirect hop, size cap, binary bodies (fetch passed in as a port).
import { describe, expect, it } from 'vitest';
import { htmlToText } from '../../../src/tools/html-to-text.ts';
import { createWebFetchTool } from '../../../src/tools/web-fetch.ts';

const ctx = () => ({ signal: new AbortController().signal, callId: 'c' });

describe('web_fetch', () => {
  it('returns page text with links and without scripts', async () => {
    const html = '<html><head><title>T &amp; Co</title><style>x{}</style></head><body><h1>Hello</h1><script>evil()</script><p>See <a href="/d">docs</a>.</p></body></html>';
    const tool = createWebFetchTool({ fetch: async () => new Response(html, { headers: { 'content-type': 'text/html' } }) });
    const out = await tool.run({ url: 'https://example.com/' }, ctx());
    expect(out).toBe('status 200 https://example.com/\n\nT & Co\n\nHello\n\nSee docs (/d).');
  });

  it('refuses a redirect to a private address', async () => {
    const tool = createWebFetchTool({ fetch: async () => new Response(null, { status: 302, headers: { location: 'http://169.254.169.254/latest' } }) });
    await expect(tool.run({ url: 'https://example.com/' }, ctx())).rejects.toThrow(/refused http:\/\/169\.254\.169\.254\/latest: .*link-local/);
  });

  it('refuses loopback before any request is made', async () => {
    let called = false;
    const tool = createWebFetchTool({ fetch: async () => ((called = true), new Response('x')) });
    await expect(tool.run({ url: 'http://[::1]:8080/' }, ctx())).rejects.toThrow(/loopback/);
    expect(called).toBe(false);
  });

  it('stops after the redirect cap', async () => {
    const tool = createWebFetchTool({ maxRedirects: 2, fetch: async (u) => new Response(null, { status: 301, headers: { location: `${u}x` } }) });
    await expect(tool.run({ url: 'https://example.com/' }, ctx())).rejects.toThrow(/too many redirects/);
  });

  it('reads at most maxBytes and says so', async () => {
    const tool = createWebFetchTool({ maxBytes: 10, fetch: async () => new Response('0123456789abcdef', { headers: { 'content-type': 'text/plain' } }) });
    expect(await tool.run({ url: 'https://example.com/' }, ctx())).toBe('status 200 https://example.com/ (first 10 bytes)\n\n0123456789');
  });

  it('does not return binary bodies', async () => {
    const tool = createWebFetchTool({ fetch: async () => new Response(new Uint8Array([1, 2, 3]), { headers: { 'content-type': 'image/png' } }) });
    expect(await tool.run({ url: 'https://example.com/a.png' }, ctx())).toMatch(/binary content not shown/);
  });
});

describe('htmlToText', () => {
  it('decodes entities and handles unclosed script tags without hanging', () => {
    expect(htmlToText('a&lt;b&#x41;&#66;&nbsp;c')).toBe('a<bAB c');
    expect(htmlToText(`ok${'<script>'.repeat(20_000)}`)).toBe('ok');
    expect(htmlToText(`${'<a '.repeat(20_000)}end`)).toContain('end');
  });
});
