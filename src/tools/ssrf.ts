// SSRF guard for outbound fetches by tools: refuses loopback, private, link-local, metadata and other
// non-public targets, for IP literals (IPv4, IPv6, IPv4-mapped/compatible/NAT64/6to4) and, given a
// resolver port, for every address a host name resolves to.

/** Resolves a host name to IP address strings (Node: DNS; Workers: none, the edge itself blocks private ranges). */
export type HostResolver = (hostname: string) => Promise<string[]>;

/** The guard's verdict for a URL. */
export type SsrfVerdict = { ok: true; url: URL } | { ok: false; reason: string };

const BLOCKED_NAMES = /^(localhost|.*\.localhost|metadata|metadata\.google\.internal|.*\.internal|.*\.local|.*\.home\.arpa)$/;

/** Parses a dotted-quad IPv4 address (the URL parser has already normalised hex/octal/short forms). */
export function parseIPv4(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  return out.every((n) => n >= 0 && n <= 255) ? out : undefined;
}

/** Parses an IPv6 address (no brackets, optional zone) into 16 bytes. */
export function parseIPv6(input: string): number[] | undefined {
  let s = input.replace(/%.*$/, '').toLowerCase();
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    const v4 = parseIPv4(s.slice(lastColon + 1));
    if (!v4) return undefined;
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parse = (h: string) => (h === '' ? [] : h.split(':').map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN)));
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  const groups = halves.length === 2 ? [...head, ...Array(8 - head.length - rest.length).fill(0), ...rest] : head;
  if (groups.length !== 8 || groups.some((g) => Number.isNaN(g)) || head.length + rest.length > (halves.length === 2 ? 7 : 8)) return undefined;
  if (tail.length) groups.splice(6, 2, ...tail);
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

function inV4(a: number[], base: [number, number, number, number], bits: number): boolean {
  const x = ((a[0]! << 24) | (a[1]! << 16) | (a[2]! << 8) | a[3]!) >>> 0;
  const b = ((base[0] << 24) | (base[1] << 16) | (base[2] << 8) | base[3]) >>> 0;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (x & mask) === (b & mask);
}

const V4_BLOCKED: Array<[[number, number, number, number], number, string]> = [
  [[0, 0, 0, 0], 8, 'unspecified'],
  [[10, 0, 0, 0], 8, 'private'],
  [[100, 64, 0, 0], 10, 'shared (CGNAT)'],
  [[127, 0, 0, 0], 8, 'loopback'],
  [[169, 254, 0, 0], 16, 'link-local (cloud metadata)'],
  [[172, 16, 0, 0], 12, 'private'],
  [[192, 0, 0, 0], 24, 'IETF protocol assignments'],
  [[192, 0, 2, 0], 24, 'documentation'],
  [[192, 88, 99, 0], 24, '6to4 relay'],
  [[192, 168, 0, 0], 16, 'private'],
  [[198, 18, 0, 0], 15, 'benchmarking'],
  [[198, 51, 100, 0], 24, 'documentation'],
  [[203, 0, 113, 0], 24, 'documentation'],
  [[224, 0, 0, 0], 4, 'multicast'],
  [[240, 0, 0, 0], 4, 'reserved'],
];

/** Why an IPv4 address is not public, or undefined when it is. */
export function blockedIPv4(a: number[]): string | undefined {
  return V4_BLOCKED.find(([base, bits]) => inV4(a, base, bits))?.[2];
}

/** Why an IPv6 address (16 bytes) is not public, or undefined when it is. Embedded IPv4 forms are unwrapped. */
export function blockedIPv6(b: number[]): string | undefined {
  const zero = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  if (zero(0, 15) && b[15] === 0) return 'unspecified';
  if (zero(0, 15) && b[15] === 1) return 'loopback';
  if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) return embedded(b.slice(12), 'IPv4-mapped');
  if (zero(0, 12)) return embedded(b.slice(12), 'IPv4-compatible');
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b) return embedded(b.slice(12), 'NAT64') ?? (zero(4, 12) ? undefined : 'NAT64 local-use');
  if (b[0] === 0x20 && b[1] === 0x02) return embedded(b.slice(2, 6), '6to4');
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x0d && b[3] === 0xb8) return 'documentation';
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x00 && b[3] === 0x00) return 'Teredo';
  if (b[0] === 0x01 && b[1] === 0x00 && zero(2, 8)) return 'discard';
  if ((b[0]! & 0xfe) === 0xfc) return 'unique local (private)';
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return 'link-local';
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0xc0) return 'site-local';
  if (b[0] === 0xff) return 'multicast';
  return undefined;
}

function embedded(v4: number[], form: string): string | undefined {
  const why = blockedIPv4(v4);
  return why ? `${form} ${why}` : undefined;
}

/** Why an IP address string is not public; undefined for public addresses; 'not an IP' for names. */
export function blockedAddress(ip: string): string | undefined {
  const host = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const v4 = parseIPv4(host);
  if (v4) return blockedIPv4(v4);
  if (host.includes(':')) {
    const v6 = parseIPv6(host);
    return v6 ? blockedIPv6(v6) : 'unparseable IPv6 address';
  }
  return 'not an IP address';
}

/** Options of the guard. */
export interface SsrfOptions {
  resolver?: HostResolver;
  /** Exact host names allowed even when private (e.g. a local model server the operator trusts). */
  allowHosts?: readonly string[];
}

/**
 * Checks a URL before fetching it: http(s) only, no credentials, no blocked names or addresses.
 * @example await checkUrl('http://169.254.169.254/latest/meta-data') // { ok: false, reason: … }
 */
export async function checkUrl(raw: string | URL, opts: SsrfOptions = {}): Promise<SsrfVerdict> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'not a valid URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: `scheme ${url.protocol} is not allowed (http and https only)` };
  if (url.username || url.password) return { ok: false, reason: 'URLs with credentials are not allowed' };
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  if (opts.allowHosts?.includes(host)) return { ok: true, url };
  const isLiteral = parseIPv4(host) !== undefined || host.startsWith('[');
  if (isLiteral) {
    const why = blockedAddress(host);
    return why ? { ok: false, reason: `${host} is a ${why} address` } : { ok: true, url };
  }
  if (BLOCKED_NAMES.test(host)) return { ok: false, reason: `${host} is a local or internal host name` };
  if (opts.resolver) {
    let addresses: string[];
    try {
      addresses = await opts.resolver(host);
    } catch (err) {
      return { ok: false, reason: `cannot resolve ${host}: ${err instanceof Error ? err.message : String(err)}` };
    }
    if (addresses.length === 0) return { ok: false, reason: `${host} has no addresses` };
    for (const a of addresses) {
      const why = blockedAddress(a);
      if (why) return { ok: false, reason: `${host} resolves to ${a}, a ${why} address` };
    }
  }
  return { ok: true, url };
}
