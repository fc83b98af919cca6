/**
 * The slice of signal-cli's HTTP JSON-RPC edgeclaw calls (signal-cli-jsonrpc(5)): `POST /api/v1/rpc`
 * with `send` (to a number or a group), `GET /api/v1/check`. `baseUrl` and `fetch` are injectable so the
 * fake daemon plugs in. Failures: no answer or HTTP 5xx → transient; a JSON-RPC error whose message
 * names a rate limit → rate limited (signal-cli gives no wait; 5 s); any other JSON-RPC error → final.
 */
import type { Failure } from '../retry.ts';

const CALL_TIMEOUT_MS = 30_000;
const RATE_LIMIT_WAIT_MS = 5_000;

/** Where the daemon is. */
export interface SignalApiOptions {
  readonly url: string;
  readonly number: string;
  readonly multiAccount: boolean;
  readonly fetch?: typeof fetch;
}

/** A failed JSON-RPC call. */
export class SignalApiError extends Error {
  override readonly name = 'SignalApiError';
  readonly status: number;
  /** JSON-RPC error code (0 when the failure was HTTP). */
  readonly code: number;
  constructor(status: number, code: number, message: string) {
    super(`signal-cli ${code || `HTTP ${status}`}: ${message}`);
    this.status = status;
    this.code = code;
  }
}

/** Who a message goes to. */
export type SignalRecipient = { readonly number: string } | { readonly groupId: string };

/** The calls used. */
export interface SignalApi {
  /** Sends `message`; resolves to its Signal timestamp (the message id). */
  send(to: SignalRecipient, message: string): Promise<string>;
  /** True when the daemon answers `/api/v1/check`. */
  check(): Promise<boolean>;
}

let nextId = 1;

/**
 * Creates the client.
 * @example await createSignalApi(account).send({ number: '+15550002' }, 'hello')
 */
export function createSignalApi(opts: SignalApiOptions): SignalApi {
  const doFetch = opts.fetch ?? fetch;
  return {
    async send(to, message) {
      const params = { ...('groupId' in to ? { groupId: to.groupId } : { recipient: [to.number] }), message, ...(opts.multiAccount ? { account: opts.number } : {}) };
      const id = nextId++;
      const res = await doFetch(`${opts.url}/api/v1/rpc`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', method: 'send', params, id }),
        signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      });
      if (!res.ok) throw new SignalApiError(res.status, 0, (await res.text().catch(() => '')).slice(0, 200) || 'no body');
      const json = (await res.json().catch(() => null)) as { result?: { timestamp?: unknown }; error?: { code?: unknown; message?: unknown } } | null;
      if (json?.error) throw new SignalApiError(res.status, typeof json.error.code === 'number' ? json.error.code : -1, typeof json.error.message === 'string' ? json.error.message.slice(0, 200) : 'error');
      const ts = json?.result?.timestamp;
      if (typeof ts !== 'number') throw new SignalApiError(res.status, 0, 'malformed response');
      return String(ts);
    },
    async check() {
      const res = await doFetch(`${opts.url}/api/v1/check`, { signal: AbortSignal.timeout(5_000) }).catch(() => null);
      return res?.ok ?? false;
    },
  };
}

/** How a failed call is retried (see the file comment). */
export function classifySignalError(err: unknown): Failure {
  if (err instanceof SignalApiError) {
    if (err.code !== 0 && /rate.?limit/i.test(err.message)) return { kind: 'rate_limited', retryAfterMs: RATE_LIMIT_WAIT_MS, message: err.message };
    if (err.code === 0 && (err.status >= 500 || err.status === 429)) return { kind: 'transient', message: err.message };
    return { kind: 'final', message: err.message };
  }
  return { kind: 'transient', message: err instanceof Error ? err.name : 'network error' };
}
