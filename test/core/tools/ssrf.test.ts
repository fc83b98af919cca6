// SSRF guard: IP literals in every notation, internal names, and resolved addresses through the port.
import { describe, expect, it } from 'vitest';
import { blockedAddress, checkUrl, parseIPv6 } from '../../../src/tools/ssrf.ts';

describe('checkUrl', () => {
  it.each([
    'http://127.0.0.1/',
    'http://127.1/',
    'http://2130706433/',
    'http://0x7f000001/',
    'http://0177.0.0.1/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:7f00:1]/',
    'http://[0:0:0:0:0:ffff:a9fe:a9fe]/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00:ec2::254]/',
    'http://10.0.0.1/',
    'http://172.16.5.4/',
    'http://192.168.1.1/',
    'http://100.64.0.1/',
    'http://0.0.0.0/',
    'http://[::]/',
    'http://[fe80::1%25eth0]/',
    'http://[64:ff9b::a00:1]/',
    'http://[2002:7f00:1::]/',
    'http://localhost:8080/',
    'http://api.localhost/',
    'http://metadata.google.internal/',
    'http://printer.local/',
    'file:///etc/passwd',
    'http://user:pw@example.com/',
  ])('refuses %s', async (url) => {
    expect(await checkUrl(url)).toMatchObject({ ok: false });
  });

  it.each(['https://example.com/', 'http://93.184.216.34/', 'http://[2606:4700::1111]/', 'http://[::ffff:8.8.8.8]/'])('allows %s', async (url) => {
    expect(await checkUrl(url)).toMatchObject({ ok: true });
  });

  it.each([['127.0.0.1'], ['::1'], ['169.254.169.254'], ['10.0.0.1'], ['::ffff:10.0.0.1']])('refuses a name the resolver maps to %s', async (ip) => {
    const v = await checkUrl('https://innocent.example/', { resolver: async () => ['93.184.216.34', ip] });
    expect(v).toEqual({ ok: false, reason: expect.stringContaining(`resolves to ${ip}`) });
  });

  it('refuses a name that does not resolve, and honours the exact allow list', async () => {
    expect(await checkUrl('https://nx.example/', { resolver: () => Promise.reject(new Error('ENOTFOUND')) })).toMatchObject({ ok: false });
    expect(await checkUrl('http://127.0.0.1:11434/', { allowHosts: ['127.0.0.1'] })).toMatchObject({ ok: true });
  });
});

describe('address parsing', () => {
  it('parses IPv6 forms into 16 bytes and rejects malformed ones', () => {
    expect(parseIPv6('::1')).toEqual([...Array(15).fill(0), 1]);
    expect(parseIPv6('::ffff:1.2.3.4')?.slice(10)).toEqual([0xff, 0xff, 1, 2, 3, 4]);
    expect(parseIPv6('1:2:3:4:5:6:7:8:9')).toBeUndefined();
    expect(parseIPv6('1::2::3')).toBeUndefined();
    expect(blockedAddress('not-an-ip')).toBe('not an IP address');
  });
});
