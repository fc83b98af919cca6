// VirusTotal v3 client against the fake: verdict classes and weights, 404 unknown, cache per class, token-bucket budget, degradation on 429/5xx/malformed, no uploads.
import { describe, expect, it } from 'vitest';
import {
  createVirusTotal, memoryBudgetStore, storeBudget, takeToken, vtUrlId, VT_FREE_LIMITS, type BudgetPort, type VirusTotalOptions,
} from '../../../src/defender/virustotal.ts';
import { createFakeVirusTotal } from '../../fakes/virustotal.ts';
import { useServedFake } from '../../fakes/serve-node.ts';

const SHA_BAD = 'a'.repeat(64);
const SHA_SUS = 'b'.repeat(64);
const SHA_OK = 'c'.repeat(64);
const SHA_NEW = 'd'.repeat(64);
const BASE = 'http://vt.fake/api/v3';
const unlimited: BudgetPort = { take: async () => ({ ok: true, retryAfterMs: 0 }) };

function setup(extra: Partial<VirusTotalOptions> = {}) {
  const fake = createFakeVirusTotal();
  fake.addFile(SHA_BAD, { malicious: 12, suspicious: 1, harmless: 0, undetected: 50 });
  fake.addFile(SHA_SUS, { malicious: 2, suspicious: 0, harmless: 10, undetected: 50 });
  fake.addFile(SHA_OK, { malicious: 0, suspicious: 0, harmless: 60, undetected: 10 });
  let t = 1_000_000;
  const clock = { advance: (ms: number) => void (t += ms) };
  const vt = createVirusTotal({ apiKey: 'test-vt-key', baseUrl: BASE, fetch: fake.fetch, budget: unlimited, now: () => t, ...extra });
  return { fake, vt, clock };
}

describe('VirusTotal verdicts', () => {
  it('maps malicious to +75 (block), suspicious to +45 (review) and clean to allow', async () => {
    const { vt } = setup();
    expect(await vt.checkFile(SHA_BAD)).toMatchObject({ verdict: 'malicious', source: 'api', decision: { decision: 'block', score: 75 } });
    expect(await vt.checkFile(SHA_SUS)).toMatchObject({ verdict: 'suspicious', decision: { decision: 'review', score: 45 } });
    expect(await vt.checkFile(SHA_OK.toUpperCase())).toMatchObject({ verdict: 'clean', decision: { decision: 'allow', score: 0 } });
  });

  it('treats 404 as unknown (not clean) with a small weight', async () => {
    const { vt } = setup();
    const r = await vt.checkFile(SHA_NEW);
    expect(r).toMatchObject({ verdict: 'unknown', decision: { decision: 'allow', score: 10 } });
    expect(r.decision.reasons[0]?.rule).toBe('virustotal.file_unknown');
  });

  it('looks URLs up by unpadded URL-safe base64 id, GET only with the api key', async () => {
    const { vt, fake } = setup();
    const url = 'http://evil.example/a?b=c~~';
    fake.addUrl(vtUrlId(url), { malicious: 9, suspicious: 0, harmless: 0, undetected: 0 });
    expect(vtUrlId(url)).not.toMatch(/[=+/]/);
    expect(await vt.checkUrl(url)).toMatchObject({ verdict: 'malicious', decision: { decision: 'block' } });
    expect(fake.requests).toEqual([{ method: 'GET', path: `/api/v3/urls/${vtUrlId(url)}`, apiKey: 'test-vt-key' }]);
  });

  it('refuses malformed hashes without a request', async () => {
    const { vt, fake } = setup();
    expect(await vt.checkFile('../../etc/passwd')).toMatchObject({ verdict: 'unavailable', error: 'invalid_hash', decision: { decision: 'review' } });
    expect(fake.requests).toHaveLength(0);
  });
});

describe('VirusTotal cache', () => {
  it('serves repeats from the cache until the class TTL ends', async () => {
    const { vt, fake, clock } = setup({ ttlMs: { malicious: 1_000, unknown: 100 } });
    await vt.checkFile(SHA_BAD);
    await vt.checkFile(SHA_NEW);
    expect(await vt.checkFile(SHA_BAD)).toMatchObject({ source: 'cache', verdict: 'malicious' });
    expect(await vt.checkFile(SHA_NEW)).toMatchObject({ source: 'cache', verdict: 'unknown' });
    clock.advance(500);
    expect((await vt.checkFile(SHA_NEW)).source).toBe('api');
    expect((await vt.checkFile(SHA_BAD)).source).toBe('cache');
    clock.advance(600);
    expect((await vt.checkFile(SHA_BAD)).source).toBe('api');
    expect(fake.requests).toHaveLength(4);
  });

  it('evicts the least recently used verdict beyond its size', async () => {
    const { vt } = setup({ cacheSize: 2 });
    await vt.checkFile(SHA_BAD);
    await vt.checkFile(SHA_SUS);
    await vt.checkFile(SHA_BAD); // touch: SHA_SUS is now the oldest
    await vt.checkFile(SHA_OK);
    expect((await vt.checkFile(SHA_BAD)).source).toBe('cache');
    expect((await vt.checkFile(SHA_SUS)).source).toBe('api');
  });

  it('never caches errors', async () => {
    const { vt, fake } = setup();
    fake.cue({ kind: 'server_error' });
    expect((await vt.checkFile(SHA_BAD)).verdict).toBe('unavailable');
    expect(await vt.checkFile(SHA_BAD)).toMatchObject({ source: 'api', verdict: 'malicious' });
  });
});

describe('VirusTotal budget and degradation', () => {
  it('token bucket: 4 per minute, refilled continuously, and a daily cap', () => {
    const limits = { perMinute: 4, perDay: 5 };
    let s = takeToken(undefined, 0, limits).state;
    for (let i = 0; i < 3; i++) s = takeToken(s, 0, limits).state;
    const fifth = takeToken(s, 0, limits);
    expect(fifth).toMatchObject({ ok: false, retryAfterMs: 15_000 });
    const later = takeToken(fifth.state, 15_000, limits);
    expect(later.ok).toBe(true);
    const dayOut = takeToken(later.state, 120_000, limits);
    expect(dayOut.ok).toBe(false);
    expect(dayOut.retryAfterMs).toBeGreaterThan(60_000);
  });

  it('degrades to review when the shared budget is spent, and to allow when configured', async () => {
    const store = memoryBudgetStore();
    const { vt, fake } = setup({ budget: storeBudget(store, VT_FREE_LIMITS) });
    const hashes = ['1', '2', '3', '4', '5'].map((c) => c.repeat(64));
    const results = [];
    for (const h of hashes) results.push(await vt.checkFile(h));
    expect(results.map((r) => r.source)).toEqual(['api', 'api', 'api', 'api', 'degraded']);
    expect(results[4]).toMatchObject({ error: 'budget', decision: { decision: 'review', score: 0 } });
    expect(fake.requests).toHaveLength(4);
    // A second client over the same store shares the budget; configured to allow on outage.
    const other = setup({ budget: storeBudget(store, VT_FREE_LIMITS), onUnavailable: 'allow' });
    expect((await other.vt.checkFile(SHA_BAD)).decision.decision).toBe('allow');
    expect(other.fake.requests).toHaveLength(0);
  });

  it('degrades on 429, 5xx, malformed bodies, missing stats and network errors', async () => {
    const { vt, fake } = setup();
    fake.cue({ kind: 'quota' }, { kind: 'server_error', status: 500 }, { kind: 'malformed' }, { kind: 'no_stats' });
    const errors = [];
    for (let i = 0; i < 4; i++) errors.push((await vt.checkFile(SHA_BAD)).error);
    expect(errors).toEqual(['quota', 'http_500', 'malformed', 'malformed']);
    const down = createVirusTotal({ apiKey: 'k', baseUrl: BASE, budget: unlimited, fetch: () => Promise.reject(new TypeError('fetch failed')) });
    expect(await down.checkUrl('https://x.example/')).toMatchObject({ verdict: 'unavailable', error: 'network', decision: { decision: 'review' } });
  });

  it('reports a wrong API key as unavailable (http_401), never as clean', async () => {
    const { fake } = setup();
    const vt = createVirusTotal({ apiKey: 'wrong', baseUrl: BASE, fetch: fake.fetch, budget: unlimited });
    expect(await vt.checkFile(SHA_OK)).toMatchObject({ verdict: 'unavailable', error: 'http_401' });
  });
});

describe('VirusTotal over a real socket', () => {
  const fake = createFakeVirusTotal();
  const served = useServedFake(fake.app);

  it('works with the global fetch against 127.0.0.1 and sends no uploads', async () => {
    fake.addFile(SHA_BAD, { malicious: 30, suspicious: 0, harmless: 0, undetected: 40 });
    const vt = createVirusTotal({ apiKey: 'test-vt-key', baseUrl: `${served.url}/api/v3`, budget: unlimited });
    expect((await vt.checkFile(SHA_BAD)).decision.decision).toBe('block');
    expect((await vt.checkFile(SHA_NEW)).verdict).toBe('unknown');
    expect(fake.requests.every((r) => r.method === 'GET')).toBe(true);
  });
});
