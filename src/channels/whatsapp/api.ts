/**
 * The slice of the WhatsApp Cloud API edgeclaw calls: `POST /<version>/<phone-number-id>/messages` with a
 * text body (https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages), `apiRoot` and
 * `fetch` injectable. Graph errors carry `error.code`: 131047 means the 24-hour customer service window is
 * closed (only a template may be sent), which no retry can fix; 130429/131056/80007 and HTTP 429 are rate
 * limits; 5xx and no answer are transient; the rest is final.
 */
import type { Failure } from '../retry.ts';

/** Graph error code of "more than 24 hours have passed since the customer last replied". */
export const WINDOW_CLOSED_CODE = 131047;
const RATE_LIMIT_CODES = new Set([4, 80007, 130429, 131056]);
/** Graph API sends no Retry-After; wait this long before retrying a rate limit. */
const RATE_LIMIT_WAIT_MS = 2_000;
const CALL_TIMEOUT_MS = 15_000;

/** Where and how to call the Graph API. */
export interface WhatsAppApiOptions {
  readonly apiRoot: string;
  readonly apiVersion: string;
  readonly phoneNumberId: string;
  readonly accessToken: string;
  readonly fetch?: typeof fetch;
}

/** A Graph API answer that was not a success. */
export class WhatsAppApiError extends Error {
  override readonly name = 'WhatsAppApiError';
  readonly status: number;
  /** Graph `error.code` (0 when the body had none). */
  readonly code: number;
  constructor(status: number, code: number, title: string) {
    super(code === WINDOW_CLOSED_CODE ? `whatsapp 24-hour window closed (${code}): the customer has not written for 24 hours; only a template message can reach them` : `whatsapp ${code || `HTTP ${status}`}: ${title}`);
    this.status = status;
    this.code = code;
  }
  /** True for the 24-hour window error. */
  get windowClosed(): boolean {
    return this.code === WINDOW_CLOSED_CODE;
  }
}

/** The calls used. */
export interface WhatsAppApi {
  /** Sends a text to `to` (a wa_id); resolves to the message id (`wamid.…`). */
  sendText(to: string, body: string): Promise<string>;
}

/**
 * Creates the client.
 * @example await createWhatsAppApi(account).sendText('15551234567', 'hello')
 */
export function createWhatsAppApi(opts: WhatsAppApiOptions): WhatsAppApi {
  const doFetch = opts.fetch ?? fetch;
  return {
    async sendText(to, body) {
      const res = await doFetch(`${opts.apiRoot}/${opts.apiVersion}/${opts.phoneNumberId}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${opts.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ messaging_product: 'whatsapp', recipient_type: 'individual', to, type: 'text', text: { preview_url: false, body } }),
        signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      });
      const json = (await res.json().catch(() => null)) as { messages?: { id?: unknown }[]; error?: { code?: unknown; message?: unknown } } | null;
      const id = json?.messages?.[0]?.id;
      if (res.ok && typeof id === 'string') return id;
      const code = typeof json?.error?.code === 'number' ? json.error.code : 0;
      throw new WhatsAppApiError(res.status, code, typeof json?.error?.message === 'string' ? json.error.message.slice(0, 200) : 'malformed response');
    },
  };
}

/** How a failed call is retried (see the file comment). */
export function classifyWhatsAppError(err: unknown): Failure {
  if (err instanceof WhatsAppApiError) {
    if (err.windowClosed) return { kind: 'final', message: err.message };
    if (err.status === 429 || RATE_LIMIT_CODES.has(err.code)) return { kind: 'rate_limited', retryAfterMs: RATE_LIMIT_WAIT_MS, message: err.message };
    if (err.status >= 500) return { kind: 'transient', message: err.message };
    return { kind: 'final', message: err.message };
  }
  return { kind: 'transient', message: err instanceof Error ? err.name : 'network error' };
}
