// Which Node peers count as "direct loopback" for gateway.nodes.pairing.autoApproveLocal.
import { describe, expect, it } from 'vitest';
import { clientAddress, isDirectLocal } from '../../node-adapter/server.ts';

const req = (remoteAddress: string, headers: Record<string, string> = {}) => ({ socket: { remoteAddress }, headers });

describe('isDirectLocal', () => {
  it('accepts loopback peers (IPv4, IPv6 and IPv4-mapped) without proxy headers', () => {
    for (const addr of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) expect(isDirectLocal(req(addr)), addr).toBe(true);
  });

  it('refuses remote peers and any proxied connect, even from loopback', () => {
    expect(isDirectLocal(req('192.0.2.10'))).toBe(false);
    expect(isDirectLocal(req('::ffff:10.0.0.1'))).toBe(false);
    for (const h of ['x-forwarded-for', 'x-real-ip', 'forwarded', 'x-forwarded-host', 'cf-connecting-ip']) {
      expect(isDirectLocal(req('127.0.0.1', { [h]: '198.51.100.7' })), h).toBe(false);
    }
  });

  it('is independent of the trusted-proxy address the limiter uses', () => {
    const proxied = req('127.0.0.1', { 'x-forwarded-for': '127.0.0.1' });
    expect(clientAddress(proxied, ['127.0.0.1'])).toBe('127.0.0.1');
    expect(isDirectLocal(proxied)).toBe(false);
  });
});
