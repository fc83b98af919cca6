// VirusTotal v3 lookups (URL and file hash only, never uploads) with a per-class TTL LRU cache, a 4/min + 500/day token bucket over a storage port, and degradation to review or allow.
import { DEFAULT_POLICY } from './policy.ts';
import type { Action, Decision, DefenderPolicy, Reason } from './types.ts';

/** Verdict classes; each has its own cache TTL. `unknown` = VT has never seen it (404), not "clean". */
export type VtClass = 'malicious' | 'suspicious' | 'clean' | 'unknown';

/** VT's `last_analysis_stats` (the fields we read). */
export interface VtStats { malicious: number; suspicious: number; harmless: number; undetected: number }

/** One lookup's outcome: the class (or `unavailable`), where it came from, and the defender Decision. */
export interface VtResult {
  verdict: VtClass | 'unavailable';
  source: 'cache' | 'api' | 'degraded';
  stats?: VtStats;
  /** Why the lookup could not be made: `budget`, `quota` (429), `http_<status>`, `malformed`, `network`. */
  error?: string;
  decision: Decision;
}

/** Request budget: per-minute and per-day token buckets (defaults: the public API's 4/min and 500/day). */
export interface VtLimits { perMinute: number; perDay: number }
/** Bucket levels at time `at` (ms); stored as one small value. */
export interface BudgetState { minute: number; day: number; at: number }

/** A tiny key/value store; DurableObjectStorage (`ctx.storage`) satisfies it, so the budget can live in one DO. */
export interface BudgetStore {
  get<T>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
}

/** Where tokens come from: an object that spends one request of budget or says when one will be available. */
export interface BudgetPort { take(now: number): Promise<{ ok: boolean; retryAfterMs: number }> }

/** Free-tier default budget. */
export const VT_FREE_LIMITS: VtLimits = { perMinute: 4, perDay: 500 };
/** Cache lifetimes per class (reference: malicious 7 d, clean 24 h, suspicious 6 h, 404 1 h; errors never cached). */
export const VT_DEFAULT_TTL_MS: Record<VtClass, number> = { malicious: 7 * 86_400_000, suspicious: 6 * 3_600_000, clean: 86_400_000, unknown: 3_600_000 };
/** Risk weights added per class (seed reference: malicious +75, suspicious +45, unknown +10). */
export const VT_WEIGHTS: Record<VtClass, number> = { malicious: 75, suspicious: 45, clean: 0, unknown: 10 };

const MINUTE = 60_000;
const DAY = 86_400_000;

/**
 * Spends one token from both buckets (continuous refill) if both have one; pure.
 * @example takeToken(undefined, Date.now(), VT_FREE_LIMITS)
 */
export function takeToken(state: BudgetState | undefined, now: number, limits: VtLimits): { ok: boolean; retryAfterMs: number; state: BudgetState } {
  const s = state ?? { minute: limits.perMinute, day: limits.perDay, at: now };
  const dt = Math.max(0, now - s.at);
  const minute = Math.min(limits.perMinute, s.minute + (dt * limits.perMinute) / MINUTE);
  const day = Math.min(limits.perDay, s.day + (dt * limits.perDay) / DAY);
  if (minute >= 1 && day >= 1) return { ok: true, retryAfterMs: 0, state: { minute: minute - 1, day: day - 1, at: now } };
  const wait = Math.max(minute >= 1 ? 0 : ((1 - minute) * MINUTE) / limits.perMinute, day >= 1 ? 0 : ((1 - day) * DAY) / limits.perDay);
  return { ok: false, retryAfterMs: Math.ceil(wait), state: { minute, day, at: now } };
}

/** A BudgetPort over a store (one key); use the GatewayDO's storage so every isolate shares one budget. */
export function storeBudget(store: BudgetStore, limits: VtLimits = VT_FREE_LIMITS, key = 'vt:budget'): BudgetPort {
  return {
    async take(now) {
      const r = takeToken(await store.get<BudgetState>(key), now, limits);
      await store.put(key, r.state);
      return { ok: r.ok, retryAfterMs: r.retryAfterMs };
    },
  };
}

/** An in-memory BudgetStore (tests, a single Node process). */
export function memoryBudgetStore(): BudgetStore {
  const m = new Map<string, unknown>();
  return { get: async <T>(k: string) => m.get(k) as T | undefined, put: async (k, v) => void m.set(k, v) };
}

/** Options of the client. Only `apiKey` and `budget` are required. */
export interface VirusTotalOptions {
  apiKey: string;
  budget: BudgetPort;
  baseUrl?: string;
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
  /** What a lookup that cannot be made (budget spent, 429, 5xx, malformed, network) yields. Default `review`. */
  onUnavailable?: 'review' | 'allow';
  ttlMs?: Partial<Record<VtClass, number>>;
  /** Most cached verdicts (LRU). Default 1000. */
  cacheSize?: number;
  /** Engines flagging malicious for `malicious` (default 5); 1..threshold-1 or `suspiciousMin` suspicious → `suspicious` (default 3). */
  maliciousMin?: number;
  suspiciousMin?: number;
  timeoutMs?: number;
  policy?: Pick<DefenderPolicy, 'reviewThreshold' | 'blockThreshold'>;
  now?: () => number;
}

/** URL identifier VT expects: unpadded URL-safe base64 of the URL. */
export function vtUrlId(url: string): string {
  let s = '';
  for (const b of new TextEncoder().encode(url)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const HASH = /^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})$/i;
const MAX_URL = 8_192;
const MAX_BODY = 2 << 20;

/** The client: `checkUrl(url)` and `checkFile(md5|sha1|sha256)`; GET only. */
export interface VirusTotal {
  checkUrl(url: string): Promise<VtResult>;
  checkFile(hash: string): Promise<VtResult>;
}

/**
 * Creates a VirusTotal v3 client that never uploads: lookups are GET /urls/{id} and GET /files/{hash}.
 * @example const vt = createVirusTotal({ apiKey, budget: storeBudget(ctx.storage) }); (await vt.checkFile(sha256)).decision
 */
export function createVirusTotal(opts: VirusTotalOptions): VirusTotal {
  const base = (opts.baseUrl ?? 'https://www.virustotal.com/api/v3').replace(/\/+$/, '');
  const doFetch = opts.fetch ?? ((i: string, init: RequestInit) => fetch(i, init));
  const now = opts.now ?? Date.now;
  const ttl = { ...VT_DEFAULT_TTL_MS, ...opts.ttlMs };
  const cacheSize = Math.max(1, opts.cacheSize ?? 1_000);
  const malMin = opts.maliciousMin ?? 5;
  const susMin = opts.suspiciousMin ?? 3;
  const thresholds = opts.policy ?? DEFAULT_POLICY;
  const cache = new Map<string, { verdict: VtClass; stats?: VtStats; until: number }>();

  const decide = (reasons: Reason[]): Decision => {
    const score = Math.min(100, reasons.reduce((n, r) => n + r.weight, 0));
    let d: Action = score >= thresholds.blockThreshold ? 'block' : score >= thresholds.reviewThreshold ? 'review' : 'allow';
    for (const r of reasons) if (r.floor === 'block' || (r.floor === 'review' && d === 'allow')) d = r.floor;
    return { decision: d, score, reasons };
  };
  const verdictResult = (what: string, verdict: VtClass, source: 'cache' | 'api', stats?: VtStats): VtResult => {
    const detail = stats ? `${stats.malicious} malicious, ${stats.suspicious} suspicious of ${stats.malicious + stats.suspicious + stats.harmless + stats.undetected}` : 'not known to VirusTotal';
    return { verdict, source, ...(stats ? { stats } : {}), decision: decide([{ guard: 'engine', rule: `virustotal.${what}_${verdict}`, weight: VT_WEIGHTS[verdict], detail }]) };
  };
  const degraded = (what: string, error: string): VtResult => {
    const review = (opts.onUnavailable ?? 'review') === 'review';
    const reason: Reason = { guard: 'engine', rule: `virustotal.${what}_unavailable`, weight: 0, detail: `lookup not made: ${error}`, ...(review ? { floor: 'review' as const } : {}) };
    return { verdict: 'unavailable', source: 'degraded', error, decision: decide([reason]) };
  };
  const classify = (s: VtStats): VtClass => (s.malicious >= malMin ? 'malicious' : s.malicious > 0 || s.suspicious >= susMin ? 'suspicious' : 'clean');
  const remember = (key: string, verdict: VtClass, stats?: VtStats) => {
    cache.delete(key);
    cache.set(key, { verdict, ...(stats ? { stats } : {}), until: now() + ttl[verdict] });
    while (cache.size > cacheSize) cache.delete(cache.keys().next().value!);
  };

  async function lookup(what: 'url' | 'file', key: string, path: string): Promise<VtResult> {
    const hit = cache.get(key);
    if (hit && hit.until > now()) {
      cache.delete(key); cache.set(key, hit); // LRU touch
      return verdictResult(what, hit.verdict, 'cache', hit.stats);
    }
    if (hit) cache.delete(key);
    const token = await opts.budget.take(now()).catch(() => ({ ok: false, retryAfterMs: 0 }));
    if (!token.ok) return degraded(what, 'budget');
    let res: Response;
    try {
      const signal = AbortSignal.timeout(opts.timeoutMs ?? 5_000);
      res = await doFetch(`${base}${path}`, { method: 'GET', headers: { 'x-apikey': opts.apiKey, accept: 'application/json' }, signal });
    } catch {
      return degraded(what, 'network');
    }
    if (res.status === 404) { await res.body?.cancel(); remember(key, 'unknown'); return verdictResult(what, 'unknown', 'api'); }
    if (res.status === 429) { await res.body?.cancel(); return degraded(what, 'quota'); }
    if (!res.ok) { await res.body?.cancel(); return degraded(what, `http_${res.status}`); }
    const stats = await readStats(res);
    if (!stats) return degraded(what, 'malformed');
    const verdict = classify(stats);
    remember(key, verdict, stats);
    return verdictResult(what, verdict, 'api', stats);
  }

  return {
    checkUrl(url) {
      if (typeof url !== 'string' || !url || url.length > MAX_URL) return Promise.resolve(degraded('url', 'invalid_url'));
      const id = vtUrlId(url);
      return lookup('url', `url:${id}`, `/urls/${id}`);
    },
    checkFile(hash) {
      if (typeof hash !== 'string' || !HASH.test(hash)) return Promise.resolve(degraded('file', 'invalid_hash'));
      const h = hash.toLowerCase();
      return lookup('file', `file:${h}`, `/files/${h}`);
    },
  };
}

/** Reads at most `max` bytes of the body as text; null when it is longer or unreadable. */
async function readCapped(res: Response, max: number): Promise<string | null> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let n = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      n += value.byteLength;
      if (n > max) { await reader.cancel(); return null; }
      chunks.push(value);
    }
  } catch { return null; }
  const all = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) { all.set(c, o); o += c.byteLength; }
  return new TextDecoder().decode(all);
}

/** Reads `data.attributes.last_analysis_stats` from a bounded body; null when absent or malformed. */
async function readStats(res: Response): Promise<VtStats | null> {
  const text = await readCapped(res, MAX_BODY);
  if (text === null) return null;
  let body: unknown;
  try { body = JSON.parse(text); } catch { return null; }
  const s = (body as { data?: { attributes?: { last_analysis_stats?: Record<string, unknown> } } })?.data?.attributes?.last_analysis_stats;
  if (!s || typeof s !== 'object') return null;
  const n = (k: string) => (typeof s[k] === 'number' && Number.isFinite(s[k]) && (s[k] as number) >= 0 ? (s[k] as number) : null);
  const malicious = n('malicious');
  const suspicious = n('suspicious');
  if (malicious === null || suspicious === null) return null;
  return { malicious, suspicious, harmless: n('harmless') ?? 0, undetected: n('undetected') ?? 0 };
}
