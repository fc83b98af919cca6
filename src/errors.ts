/**
 * One protocol error class and its wire shape. Errors become output in exactly one place per surface
 * (`app.onError` for HTTP, the gateway dispatcher for WebSocket).
 */

/** Error codes of the OpenClaw gateway protocol v4 plus the HTTP-only ones we need. */
export type ErrorCode =
  | 'INVALID_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'QUEUE_FULL'
  | 'UNAVAILABLE'
  | 'NOT_PAIRED'
  | 'APPROVAL_NOT_FOUND';

/** Wire shape of an error (`res.error` on WebSocket, body `{ ok:false, error }` on HTTP). */
export interface ErrorShape {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
  retryable?: boolean;
  retryAfterMs?: number;
}

const HTTP_STATUS: Record<ErrorCode, number> = {
  INVALID_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  QUEUE_FULL: 429,
  UNAVAILABLE: 503,
  NOT_PAIRED: 403,
  APPROVAL_NOT_FOUND: 404,
};

/** A failure the caller should see, with a stable code. Messages never contain secrets. */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  readonly code: ErrorCode;
  readonly extra: Omit<ErrorShape, 'code' | 'message'>;

  constructor(code: ErrorCode, message: string, extra: Omit<ErrorShape, 'code' | 'message'> = {}) {
    super(message);
    this.code = code;
    this.extra = extra;
  }

  /** HTTP status for this error. */
  get status(): number {
    return HTTP_STATUS[this.code];
  }

  /** The wire shape. */
  toShape(): ErrorShape {
    return { code: this.code, message: this.message, ...this.extra };
  }
}

/** `invalid <what>: <first issue path>: <message>` from a zod error, keeping every issue in details. */
export function invalidParams(what: string, issues: readonly { path: PropertyKey[]; message: string }[]): GatewayError {
  const first = issues[0];
  const where = first && first.path.length > 0 ? `${first.path.map(String).join('.')}: ` : '';
  return new GatewayError('INVALID_REQUEST', `invalid ${what}: ${where}${first?.message ?? 'malformed'}`, {
    details: { issues: issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })) },
  });
}

/** Retryable UNAVAILABLE with a hint of when to retry. */
export function unavailable(message: string, retryAfterMs?: number): GatewayError {
  return new GatewayError('UNAVAILABLE', message, { retryable: true, ...(retryAfterMs ? { retryAfterMs } : {}) });
}
