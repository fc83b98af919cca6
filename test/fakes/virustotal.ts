// A fake VirusTotal v3 API (Hono): GET /files/{hash} and /urls/{id} answer 200 with last_analysis_stats for known items, 404 NotFoundError otherwise; cues script 429, 5xx and malformed bodies; every request is recorded.
import { Hono } from 'hono';

/** A scripted failure for the next request(s). */
export type VtCue = { kind: 'quota' } | { kind: 'server_error'; status?: number } | { kind: 'malformed' } | { kind: 'no_stats' };

/** Stats the fake returns for a known item. */
export interface FakeStats { malicious: number; suspicious: number; harmless: number; undetected: number }

/** One request the fake saw. */
export interface VtRequest { method: string; path: string; apiKey: string | null }

/** Creates the fake. Pass `fake.fetch` as the client's `fetch` (base URL `http://vt.fake/api/v3`) or serve it on port 0. */
export function createFakeVirusTotal(apiKey = 'test-vt-key') {
  const files = new Map<string, FakeStats>();
  const urls = new Map<string, FakeStats>();
  const cues: VtCue[] = [];
  const requests: VtRequest[] = [];
  const app = new Hono().basePath('/api/v3');
  const error = (code: string, message: string) => ({ error: { code, message } });

  app.use('*', async (c, next) => {
    requests.push({ method: c.req.method, path: new URL(c.req.url).pathname, apiKey: c.req.header('x-apikey') ?? null });
    if (c.req.header('x-apikey') !== apiKey) return c.json(error('WrongCredentialsError', 'Wrong API key'), 401);
    if (c.req.method !== 'GET') return c.json(error('NotAllowedError', 'the fake only serves lookups'), 405);
    const cue = cues.shift();
    if (cue?.kind === 'quota') return c.json(error('QuotaExceededError', 'Quota exceeded'), 429);
    if (cue?.kind === 'server_error') return c.json(error('TransientError', 'try again'), (cue.status ?? 503) as 503);
    if (cue?.kind === 'malformed') return c.body('{"data": {"attributes": ', 200, { 'content-type': 'application/json' });
    if (cue?.kind === 'no_stats') return c.json({ data: { id: 'x', attributes: {} } });
    return next();
  });
  const report = (type: string, id: string, stats: FakeStats | undefined) =>
    stats ? { data: { type, id, attributes: { last_analysis_stats: { ...stats, timeout: 0 }, last_analysis_date: 1_700_000_000 } } } : null;
  app.get('/files/:hash', (c) => {
    const body = report('file', c.req.param('hash'), files.get(c.req.param('hash').toLowerCase()));
    return body ? c.json(body) : c.json(error('NotFoundError', `File "${c.req.param('hash')}" not found`), 404);
  });
  app.get('/urls/:id', (c) => {
    const body = report('url', c.req.param('id'), urls.get(c.req.param('id')));
    return body ? c.json(body) : c.json(error('NotFoundError', `URL "${c.req.param('id')}" not found`), 404);
  });

  return {
    app,
    requests,
    /** Adds a file report by hash (lowercase). */
    addFile: (hash: string, stats: FakeStats) => void files.set(hash.toLowerCase(), stats),
    /** Adds a URL report by VT URL id. */
    addUrl: (id: string, stats: FakeStats) => void urls.set(id, stats),
    /** Scripts the next request(s). */
    cue: (...c: VtCue[]) => void cues.push(...c),
    /** A fetch for the client (no network). */
    fetch: (input: string, init: RequestInit) => Promise.resolve(app.fetch(new Request(input, init))),
  };
}
