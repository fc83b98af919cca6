// SSRF with real DNS answers on Node: names resolving to loopback, private and metadata addresses are refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDnsResolver, nodeResolver } from '../../node-adapter/tools/dns-resolver.ts';
import { checkUrl } from '../../src/tools/ssrf.ts';
import { createWebFetchTool } from '../../src/tools/web-fetch.ts';
import { startFakeDns } from '../fakes/dns-server.ts';

let dns: Awaited<ReturnType<typeof startFakeDns>>;
beforeAll(async () => {
  dns = await startFakeDns({
    'loop.test': ['127.0.0.1'],
    'loop6.test': ['::1'],
    'metadata.test': ['169.254.169.254'],
    'private.test': ['10.0.0.1'],
    'mixed.test': ['93.184.216.34', '10.0.0.1'],
    'public.test': ['93.184.216.34'],
  });
});
afterAll(() => dns.close());

describe('SSRF guard with DNS (Node)', () => {
  it.each([
    ['loop.test', '127.0.0.1'],
    ['loop6.test', '::1'],
    ['metadata.test', '169.254.169.254'],
    ['private.test', '10.0.0.1'],
    ['mixed.test', '10.0.0.1'],
  ])('refuses %s, which resolves to %s', async (name, ip) => {
    const resolver = createDnsResolver({ servers: [dns.server] });
    expect(await checkUrl(`http://${name}/`, { resolver })).toEqual({ ok: false, reason: expect.stringContaining(`${name} resolves to ${ip}`) });
  });

  it('allows a name that resolves only to public addresses', async () => {
    expect(await checkUrl('http://public.test/', { resolver: createDnsResolver({ servers: [dns.server] }) })).toMatchObject({ ok: true });
  });

  it('refuses a name with no answer', async () => {
    expect(await checkUrl('http://nothing.test/', { resolver: createDnsResolver({ servers: [dns.server] }) })).toMatchObject({ ok: false, reason: expect.stringContaining('cannot resolve') });
  });

  it('web_fetch refuses before connecting when DNS points inside', async () => {
    let fetched = false;
    const tool = createWebFetchTool({ resolver: createDnsResolver({ servers: [dns.server] }), fetch: async () => ((fetched = true), new Response('x')) });
    await expect(tool.run({ url: 'http://metadata.test/latest/meta-data' }, { signal: new AbortController().signal, callId: 'c' })).rejects.toThrow(/resolves to 169\.254\.169\.254/);
    expect(fetched).toBe(false);
  });

  it('the system resolver port returns addresses from getaddrinfo', async () => {
    expect(await nodeResolver('localhost')).toContain('127.0.0.1');
  });
});
