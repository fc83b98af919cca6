// DNS resolver port for the SSRF guard on Node: every address a name resolves to is checked.
import { Resolver, lookup } from 'node:dns/promises';
import type { HostResolver } from '../../src/tools/ssrf.ts';

/** Resolves a host name with the system resolver (getaddrinfo: /etc/hosts, then DNS), as the fetch would. */
export const nodeResolver: HostResolver = async (hostname) => {
  const answers = await lookup(hostname, { all: true, verbatim: true });
  return answers.map((a) => a.address);
};

/**
 * A resolver that asks specific DNS servers for A and AAAA records (tests, or hosts that pin a resolver).
 * @example createDnsResolver({ servers: ['127.0.0.1:5353'] })
 */
export function createDnsResolver(opts: { servers: string[]; timeoutMs?: number }): HostResolver {
  const resolver = new Resolver({ timeout: opts.timeoutMs ?? 2000, tries: 1 });
  resolver.setServers(opts.servers);
  return async (hostname) => {
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(hostname), resolver.resolve6(hostname)]);
    const out = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
    if (out.length === 0 && v4.status === 'rejected') throw v4.reason;
    return out;
  };
}
