// A fake Discord: the REST calls edgeclaw makes (interaction webhook edit/follow-up, channel messages,
// GET /gateway/bot) as a Hono app with Discord's error shapes (401 code 50027, 400 code 50035 for over
// 2,000 characters, scripted 429 with JSON retry_after in seconds, 5xx), Ed25519 request signing for the
// interactions endpoint, and (Node only) a Gateway WebSocket server: HELLO, IDENTIFY → READY, heartbeats,
// RESUME with replay of missed dispatches, and connection drops on demand.
import { Hono } from 'hono';

/** One message the fake accepted. */
export interface DiscordMessage {
  kind: 'edit' | 'followup' | 'channel';
  /** Interaction token (edit/followup) or channel id (channel). */
  to: string;
  content: string;
  id: string;
  replyTo?: string;
  allowedMentions?: unknown;
}

/** A scripted failure for the next REST call. */
export type DiscordFailure = { status: 429; retryAfter: number } | { status: 500 } | { status: 401 };

/** Creates the REST fake; serve `app` on port 0 (Node) or pass `fetch` as the client's fetch (workerd). */
export function createFakeDiscord(opts: { applicationId: string; botToken?: string; gatewayUrl?: () => string }) {
  const messages: DiscordMessage[] = [];
  const failures: DiscordFailure[] = [];
  const tokens = new Set<string>();
  let calls = 0;
  let n = 0;
  const app = new Hono();
  const nextId = () => String(1_900_000_000_000_000_000n + BigInt(++n));
  const guard = () => {
    calls++;
    const f = failures.shift();
    if (f?.status === 429) return Response.json({ message: 'You are being rate limited.', retry_after: f.retryAfter, global: false }, { status: 429, headers: { 'retry-after': String(Math.ceil(f.retryAfter)), 'x-ratelimit-scope': 'user' } });
    if (f?.status === 500) return new Response('upstream trouble', { status: 500 });
    if (f?.status === 401) return Response.json({ message: '401: Unauthorized', code: 0 }, { status: 401 });
    return null;
  };
  const content = async (req: Request): Promise<{ content: string; allowed_mentions?: unknown; message_reference?: { message_id?: string } } | Response> => {
    const body = (await req.json().catch(() => null)) as { content?: unknown; allowed_mentions?: unknown; message_reference?: { message_id?: string } } | null;
    if (!body || typeof body.content !== 'string' || !body.content) return Response.json({ message: 'Cannot send an empty message', code: 50006 }, { status: 400 });
    if (body.content.length > 2_000) return Response.json({ message: 'Invalid Form Body', code: 50035, errors: { content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }] } } }, { status: 400 });
    return { content: body.content, ...(body.allowed_mentions ? { allowed_mentions: body.allowed_mentions } : {}), ...(body.message_reference ? { message_reference: body.message_reference } : {}) };
  };
  const unknownToken = () => Response.json({ message: 'Invalid Webhook Token', code: 50027 }, { status: 401 });

  app.patch('/api/v10/webhooks/:app/:token/messages/:message', async (c) => {
    const failed = guard();
    if (failed) return failed;
    const token = c.req.param('token');
    if (c.req.param('app') !== opts.applicationId || !tokens.has(token) || c.req.param('message') !== '@original') return unknownToken();
    const body = await content(c.req.raw);
    if (body instanceof Response) return body;
    const id = nextId();
    messages.push({ kind: 'edit', to: token, content: body.content, id, allowedMentions: body.allowed_mentions });
    return c.json({ id, content: body.content });
  });
  app.post('/api/v10/webhooks/:app/:token', async (c) => {
    const failed = guard();
    if (failed) return failed;
    const token = c.req.param('token');
    if (c.req.param('app') !== opts.applicationId || !tokens.has(token)) return unknownToken();
    const body = await content(c.req.raw);
    if (body instanceof Response) return body;
    const id = nextId();
    messages.push({ kind: 'followup', to: token, content: body.content, id, allowedMentions: body.allowed_mentions });
    return c.json({ id, content: body.content });
  });
  app.post('/api/v10/channels/:channel/messages', async (c) => {
    const failed = guard();
    if (failed) return failed;
    if (!opts.botToken || c.req.header('authorization') !== `Bot ${opts.botToken}`) return c.json({ message: '401: Unauthorized', code: 0 }, 401);
    const body = await content(c.req.raw);
    if (body instanceof Response) return body;
    const id = nextId();
    messages.push({ kind: 'channel', to: c.req.param('channel'), content: body.content, id, ...(body.message_reference?.message_id ? { replyTo: body.message_reference.message_id } : {}), allowedMentions: body.allowed_mentions });
    return c.json({ id, channel_id: c.req.param('channel'), content: body.content });
  });
  app.get('/api/v10/gateway/bot', (c) => {
    if (!opts.botToken || c.req.header('authorization') !== `Bot ${opts.botToken}`) return c.json({ message: '401: Unauthorized', code: 0 }, 401);
    return c.json({ url: opts.gatewayUrl?.() ?? 'wss://gateway.invalid', shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 } });
  });
  return {
    app,
    fetch: (input: RequestInfo | URL, init?: RequestInit) => Promise.resolve(app.fetch(new Request(input, init))),
    /** Makes an interaction token valid (Discord issues one per interaction). */
    allowToken: (token: string) => void tokens.add(token),
    messages: () => [...messages],
    calls: () => calls,
    failNext: (...f: DiscordFailure[]) => void failures.push(...f),
  };
}

/** An application key pair that signs requests the way Discord does (Ed25519 over timestamp + body). */
export async function createDiscordKeys(): Promise<{ publicKey: string; sign(timestamp: string, body: string): Promise<string> }> {
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const raw = new Uint8Array((await crypto.subtle.exportKey('raw', pair.publicKey)) as ArrayBuffer);
  const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return {
    publicKey: hex(raw),
    sign: async (timestamp, body) => hex(new Uint8Array(await crypto.subtle.sign('Ed25519', pair.privateKey, new TextEncoder().encode(timestamp + body)))),
  };
}

/** Headers Discord sends with `body` at `nowMs`. */
export async function discordHeaders(keys: { sign(t: string, b: string): Promise<string> }, body: string, nowMs = Date.now()): Promise<Record<string, string>> {
  const timestamp = String(Math.floor(nowMs / 1000));
  return { 'content-type': 'application/json', 'x-signature-timestamp': timestamp, 'x-signature-ed25519': await keys.sign(timestamp, body) };
}

/** A PING interaction. */
export function pingInteraction(applicationId: string) {
  return { id: '1100000000000000001', application_id: applicationId, type: 1, token: 'ping-token', version: 1 };
}

/** An `/ask question:<text>` interaction, in a server channel (`guild`) or a DM. */
export function askInteraction(o: { id: string; applicationId: string; token: string; userId: string; channelId: string; question: string; guildId?: string }) {
  const user = { id: o.userId, username: `user${o.userId.slice(-4)}`, global_name: null };
  return {
    id: o.id,
    application_id: o.applicationId,
    type: 2,
    token: o.token,
    version: 1,
    channel_id: o.channelId,
    ...(o.guildId ? { guild_id: o.guildId, member: { user, roles: [] } } : { user }),
    data: { id: '1200000000000000001', name: 'ask', type: 1, options: [{ name: 'question', type: 3, value: o.question }] },
  };
}

/** A MESSAGE_CREATE payload. */
export function messageCreate(o: { id: string; channelId: string; userId: string; content: string; guildId?: string; mentions?: string[] }) {
  return {
    id: o.id,
    channel_id: o.channelId,
    ...(o.guildId ? { guild_id: o.guildId } : {}),
    author: { id: o.userId, username: `user${o.userId.slice(-4)}` },
    content: o.content,
    timestamp: new Date().toISOString(),
    mentions: (o.mentions ?? []).map((id) => ({ id, username: 'bot', bot: true })),
    type: 0,
  };
}

/** A fake Gateway (Node only: loads `ws`). */
export async function createFakeDiscordGateway(opts: { botToken: string; botUserId: string; heartbeatIntervalMs?: number }) {
  const { WebSocketServer } = await import('ws');
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const port = (wss.address() as { port: number }).port;
  const url = `ws://127.0.0.1:${port}`;
  type Session = { id: string; seq: number; log: { s: number; t: string; d: unknown }[]; socket: import('ws').WebSocket | null };
  const sessions = new Map<string, Session>();
  let current: Session | null = null;
  const stats = { identifies: 0, resumes: 0, resumeSeqs: [] as number[], heartbeats: 0, connections: 0 };
  const send = (ws: import('ws').WebSocket, p: unknown) => ws.readyState === ws.OPEN && ws.send(JSON.stringify(p));
  const dispatch = (s: Session, t: string, d: unknown) => {
    const ev = { s: ++s.seq, t, d };
    s.log.push(ev);
    if (s.socket) send(s.socket, { op: 0, ...ev });
  };
  wss.on('connection', (ws, req) => {
    stats.connections++;
    if (!/[?&]v=10\b/.test(req.url ?? '') || !/encoding=json/.test(req.url ?? '')) return ws.close(4012, 'Invalid API version');
    send(ws, { op: 10, d: { heartbeat_interval: opts.heartbeatIntervalMs ?? 45_000 } });
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw)) as { op: number; d: Record<string, unknown> | number | null };
      if (msg.op === 1) {
        stats.heartbeats++;
        return send(ws, { op: 11 });
      }
      if (msg.op === 2) {
        const d = msg.d as { token?: string; intents?: number };
        if (d.token !== opts.botToken) return ws.close(4004, 'Authentication failed.');
        stats.identifies++;
        const s: Session = { id: `sess${stats.identifies}`, seq: 0, log: [], socket: ws };
        sessions.set(s.id, s);
        current = s;
        return dispatch(s, 'READY', { v: 10, session_id: s.id, resume_gateway_url: url, user: { id: opts.botUserId, username: 'edgeclaw', bot: true }, guilds: [] });
      }
      if (msg.op === 6) {
        const d = msg.d as { token?: string; session_id?: string; seq?: number };
        const s = d.session_id ? sessions.get(d.session_id) : undefined;
        if (d.token !== opts.botToken) return ws.close(4004, 'Authentication failed.');
        if (!s) return send(ws, { op: 9, d: false });
        stats.resumes++;
        stats.resumeSeqs.push(d.seq ?? -1);
        s.socket = ws;
        current = s;
        for (const ev of s.log) if (ev.s > (d.seq ?? 0)) send(ws, { op: 0, ...ev });
        return dispatch(s, 'RESUMED', null);
      }
    });
    ws.on('close', () => {
      for (const s of sessions.values()) if (s.socket === ws) s.socket = null;
    });
  });
  return {
    url,
    stats,
    /** Sends a dispatch on the current session (kept for replay, delivered now if connected). */
    dispatch: (t: string, d: unknown) => {
      if (!current) throw new Error('no session yet');
      dispatch(current, t, d);
    },
    /** True while the current session has a socket. */
    connected: () => current?.socket != null,
    /** Drops every connection abruptly (no close frame), as a network failure does. */
    dropConnections: () => {
      for (const ws of wss.clients) ws.terminate();
    },
    close: () => new Promise<void>((r) => {
      for (const ws of wss.clients) ws.terminate();
      wss.close(() => r());
    }),
  };
}
