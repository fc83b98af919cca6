/**
 * The slice of the Slack Web API edgeclaw calls (https://api.slack.com/methods/chat.postMessage), with
 * `apiRoot` and `fetch` injectable so fakes plug in. Failures are split as STYLE.md §6 says: HTTP 429
 * (with Retry-After seconds) is a rate limit, 5xx and no answer are transient, `ok: false` is final.
 */
import type { Failure } from '../retry.ts';

/** Per-call timeout (a hung connection counts as a transient failure). */
const CALL_TIMEOUT_MS = 15_000;
/** Wait used when a 429 carries no usable Retry-After. */
const DEFAULT_RETRY_AFTER_MS = 1_000;

/** Where and how to call the Web API. */
export interface SlackApiOptions {
  readonly apiRoot: string;
  readonly botToken: string;
  readonly fetch?: typeof fetch;
}

/** An answer from Slack that was not a success. */
export class SlackApiError extends Error {
  override readonly name = 'SlackApiError';
  /** HTTP status (200 for `ok: false` answers). */
  readonly status: number;
  /** Slack's error code (`channel_not_found`, `ratelimited`, …) or `http_<status>`. */
  readonly code: string;
  readonly retryAfterMs: number | undefined;
  constructor(status: number, code: string, retryAfterMs?: number) {
    super(`slack ${code} (HTTP ${status})`);
    this.status = status;
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }
}

/** The calls used. */
export interface SlackApi {
  /** Posts `text` to `channel` (in the thread `threadTs` when given); resolves to the message `ts`. */
  postMessage(channel: string, text: string, threadTs?: string): Promise<string>;
}

/**
 * Creates the client.
 * @example await createSlackApi({ apiRoot: 'https://slack.com/api', botToken }).postMessage('C1', 'hi', '1700000000.000100')
 */
export function createSlackApi(opts: SlackApiOptions): SlackApi {
  const doFetch = opts.fetch ?? fetch;
  return {
    async postMessage(channel, text, threadTs) {
      const res = await doFetch(`${opts.apiRoot}/chat.postMessage`, {
        method: 'POST',
        headers: { authorization: `Bearer ${opts.botToken}`, 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify({ channel, text, ...(threadTs ? { thread_ts: threadTs } : {}), unfurl_links: false, unfurl_media: false }),
        signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      });
      if (res.status === 429) {
        const seconds = Number(res.headers.get('retry-after'));
        throw new SlackApiError(429, 'ratelimited', Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : DEFAULT_RETRY_AFTER_MS);
      }
      if (!res.ok) throw new SlackApiError(res.status, `http_${res.status}`);
      const body = (await res.json().catch(() => null)) as { ok?: boolean; ts?: unknown; error?: unknown } | null;
      if (!body?.ok || typeof body.ts !== 'string') throw new SlackApiError(res.status, typeof body?.error === 'string' ? body.error.slice(0, 100) : 'malformed_response');
      return body.ts;
    },
  };
}

/** How a failed call is retried (see the file comment). */
export function classifySlackError(err: unknown): Failure {
  if (err instanceof SlackApiError) {
    if (err.retryAfterMs !== undefined) return { kind: 'rate_limited', retryAfterMs: err.retryAfterMs, message: err.message };
    if (err.status >= 500) return { kind: 'transient', message: err.message };
    return { kind: 'final', message: err.message };
  }
  return { kind: 'transient', message: err instanceof Error ? err.name : 'network error' };
}
