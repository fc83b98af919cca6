/**
 * The slice of the Discord REST API edgeclaw calls (https://discord.com/developers/docs/reference), with
 * `apiRoot` and `fetch` injectable so fakes plug in: interaction replies through the interaction webhook
 * (`PATCH /webhooks/<app>/<token>/messages/@original`, `POST /webhooks/<app>/<token>`), channel messages
 * with the bot token, and the Gateway URL. Every message disables mention parsing, so a reply can never
 * ping @everyone or a role. Failures: 429 carries JSON `retry_after` (seconds, a float) → rate limit;
 * 5xx and no answer → transient; other 4xx → final.
 */
import type { Failure } from '../retry.ts';

const CALL_TIMEOUT_MS = 15_000;
/** Wait used when a 429 carries no usable retry_after. */
const DEFAULT_RETRY_AFTER_MS = 1_000;

/** Where and how to call the API. */
export interface DiscordApiOptions {
  readonly apiRoot: string;
  readonly applicationId: string;
  readonly botToken?: string | undefined;
  readonly fetch?: typeof fetch;
}

/** An answer from Discord that was not a success. */
export class DiscordApiError extends Error {
  override readonly name = 'DiscordApiError';
  readonly status: number;
  /** Discord's JSON error code (e.g. 50027 invalid webhook token), 0 when absent. */
  readonly code: number;
  readonly retryAfterMs: number | undefined;
  constructor(status: number, code: number, message: string, retryAfterMs?: number) {
    super(`discord ${code || `HTTP ${status}`}: ${message}`);
    this.status = status;
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }
}

/** The calls used. */
export interface DiscordApi {
  /** Replaces the deferred response of an interaction; resolves to the message id. */
  editOriginal(interactionToken: string, content: string): Promise<string>;
  /** Sends a follow-up message to an interaction; resolves to the message id. */
  followUp(interactionToken: string, content: string): Promise<string>;
  /** Posts to a channel with the bot token (quoting `replyTo` when given); resolves to the message id. */
  createMessage(channelId: string, content: string, replyTo?: string): Promise<string>;
  /** The Gateway WebSocket URL (`GET /gateway/bot`). */
  gatewayUrl(): Promise<string>;
}

const NO_MENTIONS = { parse: [] as string[] };

/**
 * Creates the client.
 * @example await createDiscordApi(account).followUp(token, 'more text')
 */
export function createDiscordApi(opts: DiscordApiOptions): DiscordApi {
  const doFetch = opts.fetch ?? fetch;
  async function call(method: string, path: string, body: unknown, auth: boolean): Promise<Record<string, unknown>> {
    if (auth && !opts.botToken) throw new DiscordApiError(401, 0, 'no bot token configured');
    const res = await doFetch(`${opts.apiRoot}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bot ${opts.botToken}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
    const json = (await res.json().catch(() => null)) as Record<string, unknown> | null;
    if (res.ok && json) return json;
    const code = typeof json?.code === 'number' ? json.code : 0;
    const message = typeof json?.message === 'string' ? json.message.slice(0, 200) : 'malformed response';
    if (res.status === 429) {
      const seconds = typeof json?.retry_after === 'number' ? json.retry_after : Number(res.headers.get('retry-after'));
      throw new DiscordApiError(429, code, message, Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds * 1000) : DEFAULT_RETRY_AFTER_MS);
    }
    throw new DiscordApiError(res.status, code, message);
  }
  const idOf = (m: Record<string, unknown>) => {
    if (typeof m.id !== 'string') throw new DiscordApiError(200, 0, 'message without id');
    return m.id;
  };
  const hook = (token: string) => `/webhooks/${opts.applicationId}/${encodeURIComponent(token)}`;
  return {
    editOriginal: async (token, content) => idOf(await call('PATCH', `${hook(token)}/messages/@original`, { content, allowed_mentions: NO_MENTIONS }, false)),
    followUp: async (token, content) => idOf(await call('POST', hook(token), { content, allowed_mentions: NO_MENTIONS }, false)),
    createMessage: async (channelId, content, replyTo) =>
      idOf(
        await call(
          'POST',
          `/channels/${channelId}/messages`,
          { content, allowed_mentions: NO_MENTIONS, ...(replyTo ? { message_reference: { message_id: replyTo, fail_if_not_exists: false } } : {}) },
          true,
        ),
      ),
    async gatewayUrl() {
      const r = await call('GET', '/gateway/bot', undefined, true);
      if (typeof r.url !== 'string' || !/^wss?:\/\//.test(r.url)) throw new DiscordApiError(200, 0, 'gateway url missing');
      return r.url;
    },
  };
}

/** How a failed call is retried (see the file comment). */
export function classifyDiscordError(err: unknown): Failure {
  if (err instanceof DiscordApiError) {
    if (err.retryAfterMs !== undefined) return { kind: 'rate_limited', retryAfterMs: err.retryAfterMs, message: err.message };
    if (err.status >= 500) return { kind: 'transient', message: err.message };
    return { kind: 'final', message: err.message };
  }
  return { kind: 'transient', message: err instanceof Error ? err.name : 'network error' };
}
