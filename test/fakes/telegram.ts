// A fake Telegram Bot API server (Hono app) that behaves like the real one for the methods edgeclaw uses:
// getMe, getUpdates (offset confirms, negative offsets, limit, long-poll timeout, 409 while a webhook is
// set or when a newer poll supersedes an older one), sendMessage (1-4096 visible characters after
// entity parsing, HTML parse errors), editMessageText, deleteMessage, sendChatAction, getFile plus the
// file endpoint `/file/bot<token>/<file_path>` (files planted with `addFile`, 20 MB getFile limit),
// setWebhook/deleteWebhook/getWebhookInfo (secret rules), plus webhook delivery with the secret header
// and redelivery on non-2xx.
// Serve it on port 0 in Node (serveOnPort0) or pass `fake.fetch` as the Bot API client's fetch in workerd.
// Cues (`fake.cue(method, ...)`): 429 with parameters.retry_after, 5xx, 409, a malformed body, a hang.
import { Hono } from 'hono';

/** A scripted failure for the next call(s) of a method. */
export type Cue =
  | { kind: 'rate_limit'; retryAfter: number }
  | { kind: 'server_error'; status?: number }
  | { kind: 'conflict' }
  | { kind: 'malformed' }
  | { kind: 'parse_error' }
  | { kind: 'hang' };

/** A message the bot sent. */
export interface SentMessage {
  message_id: number;
  chat_id: string;
  text: string;
  parse_mode: string | null;
  message_thread_id: number | null;
  reply_to: number | null;
  /** How many times the text was edited (streaming drafts). */
  edits: number;
  deleted: boolean;
}

/** A chat action the bot sent. */
export interface ChatAction {
  chat_id: string;
  action: string;
  message_thread_id: number | null;
  at: number;
}

interface StoredFile {
  file_id: string;
  file_unique_id: string;
  file_path: string;
  body: Uint8Array;
}

interface Bot {
  me: { id: number; is_bot: true; first_name: string; username: string };
  updates: Record<string, unknown>[];
  nextUpdateId: number;
  webhook: { url: string; secret: string | null; allowed: string[] } | null;
  sent: SentMessage[];
  nextMessageId: number;
  waiters: Set<() => void>;
  poll: { supersede: () => void } | null;
  /** `chat_id:message_id` of messages deleted with deleteMessage. */
  deleted: string[];
  actions: ChatAction[];
  files: Map<string, StoredFile>;
}

const TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'span', 'tg-spoiler', 'a', 'code', 'pre', 'blockquote', 'tg-emoji']);
const ENTITY: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };

/** Parses Telegram HTML like the Bot API: the visible text, or the error description. */
export function parseTelegramHtml(html: string): { ok: true; text: string } | { ok: false; error: string } {
  const stack: string[] = [];
  let text = '';
  for (let i = 0; i < html.length; ) {
    const ch = html[i]!;
    if (ch === '<') {
      const end = html.indexOf('>', i);
      if (end < 0) return { ok: false, error: `Bad Request: can't parse entities: Unclosed start tag at byte offset ${i}` };
      const m = /^<(\/?)([a-z-]+)(\s[^>]*)?>$/i.exec(html.slice(i, end + 1));
      if (!m || !TAGS.has(m[2]!.toLowerCase())) return { ok: false, error: `Bad Request: can't parse entities: Unsupported start tag "${html.slice(i + 1, end)}" at byte offset ${i}` };
      const tag = m[2]!.toLowerCase();
      if (m[1]) {
        if (stack.pop() !== tag) return { ok: false, error: `Bad Request: can't parse entities: Unexpected end tag at byte offset ${i}` };
      } else stack.push(tag);
      i = end + 1;
    } else if (ch === '&') {
      const m = /^&(#\d+|#x[0-9a-f]+|[a-z]+);/i.exec(html.slice(i, i + 12));
      if (m && m[1]!.startsWith('#')) text += String.fromCodePoint(m[1]![1] === 'x' ? parseInt(m[1]!.slice(2), 16) : parseInt(m[1]!.slice(1), 10));
      else if (m && ENTITY[m[1]!]) text += ENTITY[m[1]!];
      else return { ok: false, error: `Bad Request: can't parse entities: Unsupported entity at byte offset ${i}` };
      i += m[0].length;
    } else {
      text += ch;
      i++;
    }
  }
  if (stack.length > 0) return { ok: false, error: `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "${stack.at(-1)}"` };
  return { ok: true, text };
}

/** Creates one fake server with its own bots, updates and cues. */
export function createFakeTelegram() {
  const bots = new Map<string, Bot>();
  const cues = new Map<string, (Cue | null)[]>();
  const calls: { method: string; params: Record<string, unknown> }[] = [];
  const hangs = new Set<() => void>();
  const app = new Hono();
  const apiError = (code: number, description: string, parameters?: Record<string, unknown>) =>
    Response.json({ ok: false, error_code: code, description, ...(parameters ? { parameters } : {}) }, { status: code });
  const ok = (result: unknown) => Response.json({ ok: true, result });

  function wake(bot: Bot) {
    for (const w of bot.waiters) w();
    bot.waiters.clear();
  }

  async function getUpdates(bot: Bot, p: Record<string, unknown>, signal: AbortSignal): Promise<Response> {
    if (bot.webhook) return apiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
    // A newer getUpdates terminates the older one, as on the real server.
    bot.poll?.supersede();
    const offset = Number(p.offset ?? 0);
    if (offset > 0) bot.updates = bot.updates.filter((u) => (u.update_id as number) >= offset);
    else if (offset < 0) bot.updates = bot.updates.slice(offset);
    const limit = Math.min(100, Math.max(1, Number(p.limit ?? 100)));
    const timeout = Math.max(0, Number(p.timeout ?? 0));
    if (bot.updates.length === 0 && timeout > 0) {
      const superseded = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => done(false), timeout * 1000);
        const onAbort = () => done(false);
        function done(v: boolean) {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          bot.waiters.delete(wakeUp);
          if (bot.poll === poll) bot.poll = null;
          resolve(v);
        }
        const wakeUp = () => done(false);
        const poll = { supersede: () => done(true) };
        bot.poll = poll;
        bot.waiters.add(wakeUp);
        signal.addEventListener('abort', onAbort);
      });
      if (superseded) return apiError(409, 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running');
    }
    return ok(bot.updates.slice(0, limit));
  }

  function sendMessage(bot: Bot, p: Record<string, unknown>): Response {
    if (p.chat_id === undefined) return apiError(400, 'Bad Request: chat_id is empty');
    let text = String(p.text ?? '');
    if (p.parse_mode === 'HTML') {
      const parsed = parseTelegramHtml(text);
      if (!parsed.ok) return apiError(400, parsed.error);
      text = parsed.text;
    }
    if (text.trim().length === 0) return apiError(400, 'Bad Request: message text is empty');
    // String length is in UTF-16 code units, which is how the Bot API counts.
    if (text.length > 4096) return apiError(400, 'Bad Request: message is too long');
    const thread = p.message_thread_id === undefined ? null : Number(p.message_thread_id);
    const replyTo = (p.reply_parameters as { message_id?: number } | undefined)?.message_id ?? null;
    const msg: SentMessage = { message_id: bot.nextMessageId++, chat_id: String(p.chat_id), text, parse_mode: (p.parse_mode as string) ?? null, message_thread_id: thread, reply_to: replyTo, edits: 0, deleted: false };
    bot.sent.push(msg);
    return ok({ message_id: msg.message_id, date: Math.floor(Date.now() / 1000), chat: { id: Number(p.chat_id), type: 'private' }, text });
  }

  app.get('/file/:bot/*', (c) => {
    const tokenPart = c.req.param('bot');
    const bot = tokenPart.startsWith('bot') ? bots.get(tokenPart.slice(3)) : undefined;
    if (!bot) return apiError(401, 'Unauthorized');
    const path = decodeURIComponent(c.req.path.slice(`/file/${tokenPart}/`.length));
    calls.push({ method: 'file', params: { path } });
    const file = [...bot.files.values()].find((f) => f.file_path === path);
    if (!file) return apiError(404, 'Not Found');
    return new Response(file.body, { headers: { 'content-type': 'application/octet-stream', 'content-length': String(file.body.byteLength) } });
  });

  app.all('/:bot/:method', async (c) => {
    const tokenPart = c.req.param('bot');
    const method = c.req.param('method');
    const bot = tokenPart.startsWith('bot') ? bots.get(tokenPart.slice(3)) : undefined;
    if (!bot) return apiError(401, 'Unauthorized');
    let params: Record<string, unknown> = Object.fromEntries(new URL(c.req.url).searchParams);
    if (c.req.method === 'POST' && (c.req.header('content-type') ?? '').includes('json')) params = { ...params, ...((await c.req.json()) as object) };
    calls.push({ method, params });
    const cue = cues.get(method)?.shift();
    if (cue) {
      switch (cue.kind) {
        case 'rate_limit':
          return apiError(429, `Too Many Requests: retry after ${cue.retryAfter}`, { retry_after: cue.retryAfter });
        case 'server_error':
          return apiError(cue.status ?? 500, 'Internal Server Error');
        case 'conflict':
          return apiError(409, 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running');
        case 'parse_error':
          return apiError(400, "Bad Request: can't parse entities: Unsupported start tag \"x\" at byte offset 0");
        case 'malformed':
          return new Response('<html>502 Bad Gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } });
        case 'hang':
          await new Promise<void>((resolve) => {
            const release = () => (hangs.delete(release), resolve());
            hangs.add(release);
            c.req.raw.signal.addEventListener('abort', release);
          });
          return apiError(504, 'Gateway Timeout');
      }
    }
    switch (method) {
      case 'getMe':
        return ok(bot.me);
      case 'getUpdates':
        return getUpdates(bot, params, c.req.raw.signal);
      case 'sendMessage':
        return sendMessage(bot, params);
      case 'sendChatAction':
        if (params.chat_id === undefined) return apiError(400, 'Bad Request: chat_id is empty');
        if (!['typing', 'upload_photo', 'record_voice', 'upload_document'].includes(String(params.action))) return apiError(400, 'Bad Request: wrong parameter action in request');
        bot.actions.push({ chat_id: String(params.chat_id), action: String(params.action), message_thread_id: params.message_thread_id === undefined ? null : Number(params.message_thread_id), at: Date.now() });
        return ok(true);
      case 'getFile': {
        const file = bot.files.get(String(params.file_id ?? ''));
        if (!file) return apiError(400, 'Bad Request: invalid file_id');
        if (file.body.byteLength > 20 * 1024 * 1024) return apiError(400, 'Bad Request: file is too big');
        return ok({ file_id: file.file_id, file_unique_id: file.file_unique_id, file_size: file.body.byteLength, file_path: file.file_path });
      }
      case 'editMessageText': {
        const msg = bot.sent.find((m) => m.message_id === Number(params.message_id) && m.chat_id === String(params.chat_id) && !m.deleted);
        if (!msg) return apiError(400, 'Bad Request: message to edit not found');
        const parsed = params.parse_mode === 'HTML' ? parseTelegramHtml(String(params.text ?? '')) : { ok: true as const, text: String(params.text ?? '') };
        if (!parsed.ok) return apiError(400, parsed.error);
        if (parsed.text.length > 4096) return apiError(400, 'Bad Request: MESSAGE_TOO_LONG');
        if (parsed.text === msg.text) return apiError(400, 'Bad Request: message is not modified');
        msg.text = parsed.text;
        msg.parse_mode = (params.parse_mode as string) ?? null;
        msg.edits++;
        return ok({ message_id: msg.message_id, date: Math.floor(Date.now() / 1000), chat: { id: Number(msg.chat_id), type: 'private' }, text: msg.text });
      }
      case 'deleteMessage': {
        // Like the Bot API: only an existing message of that chat. The bot's own messages are marked deleted;
        // a user's message counts as existing (the fake does not track them) unless it was deleted already.
        const key = `${String(params.chat_id)}:${Number(params.message_id)}`;
        if (params.chat_id === undefined || !Number.isInteger(Number(params.message_id))) return apiError(400, 'Bad Request: message identifier is not specified');
        if (bot.deleted.includes(key)) return apiError(400, 'Bad Request: message to delete not found');
        const own = bot.sent.find((m) => m.message_id === Number(params.message_id) && m.chat_id === String(params.chat_id));
        if (own?.deleted) return apiError(400, 'Bad Request: message to delete not found');
        if (own) own.deleted = true;
        bot.deleted.push(key);
        return ok(true);
      }
      case 'setWebhook': {
        const url = String(params.url ?? '');
        if (url === '') return (bot.webhook = null), ok(true);
        if (!/^https?:\/\//.test(url)) return apiError(400, 'Bad Request: bad webhook: An HTTPS URL must be provided for webhook');
        const secret = params.secret_token === undefined ? null : String(params.secret_token);
        if (secret !== null && !/^[A-Za-z0-9_-]{1,256}$/.test(secret)) return apiError(400, 'Bad Request: secret token contains unallowed characters');
        if (params.drop_pending_updates) bot.updates = [];
        bot.webhook = { url, secret, allowed: (params.allowed_updates as string[]) ?? [] };
        wake(bot);
        return ok(true);
      }
      case 'deleteWebhook':
        bot.webhook = null;
        if (params.drop_pending_updates) bot.updates = [];
        return ok(true);
      case 'getWebhookInfo':
        return ok({ url: bot.webhook?.url ?? '', has_custom_certificate: false, pending_update_count: bot.updates.length, ...(bot.webhook ? { allowed_updates: bot.webhook.allowed } : {}) });
      default:
        return apiError(404, 'Not Found: method not found');
    }
  });

  return {
    app,
    /** Use as the Bot API client's fetch in workerd (no socket). */
    fetch: async (input: string, init?: RequestInit): Promise<Response> => app.fetch(new Request(input, init)),
    calls,
    /** Registers a bot; returns its token. */
    addBot(id: number, username: string, secretPart = 'AAHfakeTokenForTestsOnly_0123456789'): string {
      const token = `${id}:${secretPart}`;
      bots.set(token, { me: { id, is_bot: true, first_name: username, username }, updates: [], nextUpdateId: 100_000, webhook: null, sent: [], nextMessageId: 1, waiters: new Set(), poll: null, deleted: [], actions: [], files: new Map() });
      return token;
    },
    /** Queues an update (assigning update_id unless given) and wakes a waiting long poll. */
    pushUpdate(token: string, update: Record<string, unknown>): Record<string, unknown> {
      const bot = bots.get(token)!;
      const u = { update_id: bot.nextUpdateId++, ...update };
      bot.nextUpdateId = Math.max(bot.nextUpdateId, (u.update_id as number) + 1);
      bot.updates.push(u);
      wake(bot);
      return u;
    },
    /** Scripts `times` calls of `method`, after letting the next `skip` calls through normally. */
    cue(method: string, cue: Cue, times = 1, skip = 0) {
      const list = cues.get(method) ?? [];
      for (let i = 0; i < skip; i++) list.push(null);
      for (let i = 0; i < times; i++) list.push(cue);
      cues.set(method, list);
    },
    sent: (token: string) => bots.get(token)!.sent,
    /** Chat actions (typing) the bot sent. */
    actions: (token: string) => bots.get(token)!.actions,
    /** Plants a file the bot can fetch with getFile; returns its file_id. */
    addFile(token: string, body: string | Uint8Array, path = `documents/file_${Math.floor(Math.random() * 1e9)}.txt`): string {
      const bot = bots.get(token)!;
      const id = `BQAC${Math.random().toString(36).slice(2, 12)}`;
      bot.files.set(id, { file_id: id, file_unique_id: `u${id}`, file_path: path, body: typeof body === 'string' ? new TextEncoder().encode(body) : body });
      return id;
    },
    webhook: (token: string) => bots.get(token)!.webhook,
    /** `chat_id:message_id` of every message deleted through deleteMessage. */
    deleted: (token: string) => bots.get(token)!.deleted,
    pending: (token: string) => bots.get(token)!.updates.length,
    /**
     * Delivers the oldest pending update to the registered webhook like Telegram: POST with the secret
     * header; removed on 2xx, kept for redelivery otherwise. `send` defaults to global fetch.
     */
    async deliverWebhook(token: string, send: (req: Request) => Promise<Response> = (r) => fetch(r)): Promise<number | null> {
      const bot = bots.get(token)!;
      const u = bot.updates[0];
      if (!bot.webhook || !u) return null;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (bot.webhook.secret) headers['x-telegram-bot-api-secret-token'] = bot.webhook.secret;
      const res = await send(new Request(bot.webhook.url, { method: 'POST', headers, body: JSON.stringify(u) }));
      await res.body?.cancel();
      if (res.status >= 200 && res.status < 300) bot.updates.shift();
      return res.status;
    },
    /** Releases every hanging request and long poll. */
    releaseAll() {
      for (const h of [...hangs]) h();
      for (const b of bots.values()) wake(b);
    },
  };
}

/** The fake's type. */
export type FakeTelegram = ReturnType<typeof createFakeTelegram>;

/** A private-chat text message update body. */
export function dm(userId: number, text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { message: { message_id: Math.floor(Math.random() * 1e6), date: 1_700_000_000, chat: { id: userId, type: 'private' }, from: { id: userId, is_bot: false, first_name: 'User', username: `user${userId}` }, text, ...extra } };
}

/** A group text message update body. */
export function groupMessage(chatId: number, userId: number, text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { message: { message_id: Math.floor(Math.random() * 1e6), date: 1_700_000_000, chat: { id: chatId, type: 'supergroup', title: 'Group' }, from: { id: userId, is_bot: false, first_name: 'Member' }, text, ...extra } };
}
