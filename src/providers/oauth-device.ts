// OAuth 2.0 Device Authorization Grant (RFC 8628) for providers that log in that way (Qwen Portal, or any
// IdP configured under a provider's `oauth`): start (device + user code, optional PKCE S256), one poll
// step at a time (authorization_pending, slow_down +5 s, access_denied, expired_token), and refresh.
// Runtime-neutral: fetch and WebCrypto only; responses are read bounded and validated with zod.
import { z } from 'zod';
import type { OAuthDeviceConfig } from './oauth-config.ts';

export { OAuthDeviceConfigSchema, type OAuthDeviceConfig } from './oauth-config.ts';

/** A started login: what the user needs, and what the poller keeps (device code and verifier are secrets). */
export interface DeviceLogin {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete?: string;
  expiresAt: number;
  intervalMs: number;
  codeVerifier?: string;
}

/** Tokens as stored. */
export interface OAuthTokens {
  accessToken: string;
  refreshToken?: string;
  /** ms since epoch; absent = the IdP gave no lifetime. */
  expiresAt?: number;
  /** Some IdPs name the API host to use with the token (Qwen: `resource_url`). */
  resourceUrl?: string;
}

/** One poll step's outcome. */
export type PollOutcome =
  | { status: 'pending'; intervalMs: number }
  | { status: 'ok'; tokens: OAuthTokens }
  | { status: 'denied' | 'expired' | 'error'; message: string };

/** A fetch port (Workers: a service binding; tests: the fake). */
export type OAuthFetch = (url: string, init: RequestInit) => Promise<Response>;

const MAX_BODY = 64 * 1024;
const MIN_INTERVAL_MS = 1_000;
const DEFAULT_INTERVAL_MS = 5_000;

const DeviceResponse = z.looseObject({
  device_code: z.string().min(1).max(4096),
  user_code: z.string().min(1).max(128),
  verification_uri: z.string().min(1).max(2048).optional(),
  verification_url: z.string().min(1).max(2048).optional(),
  verification_uri_complete: z.string().max(4096).optional(),
  expires_in: z.number().positive().max(86_400),
  interval: z.number().positive().max(600).optional(),
});

const TokenResponse = z.looseObject({
  access_token: z.string().min(1).max(16_384),
  refresh_token: z.string().min(1).max(16_384).optional(),
  expires_in: z.number().positive().optional(),
  resource_url: z.string().max(512).optional(),
});

const ErrorResponse = z.looseObject({ error: z.string().max(200), error_description: z.string().max(1000).optional() });

function b64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text();
  if (text.length > MAX_BODY) throw new Error(`IdP answer too large (${text.length} bytes)`);
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`IdP answered ${res.status} with a body that is not JSON`);
  }
}

const form = (fields: Record<string, string | undefined>) => {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) body.set(k, v);
  return { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: body.toString() };
};

/**
 * Starts a device login.
 * @example const login = await startDeviceLogin(cfg, fetch); show(login.userCode, login.verificationUri)
 */
export async function startDeviceLogin(cfg: OAuthDeviceConfig, doFetch: OAuthFetch, now = Date.now()): Promise<DeviceLogin> {
  let codeVerifier: string | undefined;
  let challenge: string | undefined;
  if (cfg.pkce) {
    codeVerifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
    challenge = b64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(codeVerifier))));
  }
  const res = await doFetch(cfg.deviceAuthorizationUrl, { ...form({ client_id: cfg.clientId, scope: cfg.scope, code_challenge: challenge, code_challenge_method: challenge ? 'S256' : undefined }), signal: AbortSignal.timeout(15_000) });
  const body = await readJson(res);
  if (!res.ok) {
    const e = ErrorResponse.safeParse(body);
    throw new Error(`device authorization refused (${res.status}${e.success ? `: ${e.data.error}${e.data.error_description ? ` - ${e.data.error_description}` : ''}` : ''})`);
  }
  const d = DeviceResponse.safeParse(body);
  if (!d.success) throw new Error(`device authorization answer is malformed: ${d.error.issues[0]?.path.join('.')}: ${d.error.issues[0]?.message}`);
  const uri = d.data.verification_uri ?? d.data.verification_url;
  if (!uri) throw new Error('device authorization answer has no verification_uri');
  return {
    deviceCode: d.data.device_code,
    userCode: d.data.user_code,
    verificationUri: uri,
    ...(d.data.verification_uri_complete ? { verificationUriComplete: d.data.verification_uri_complete } : {}),
    expiresAt: now + d.data.expires_in * 1000,
    intervalMs: Math.max(MIN_INTERVAL_MS, (d.data.interval ?? DEFAULT_INTERVAL_MS / 1000) * 1000),
    ...(codeVerifier ? { codeVerifier } : {}),
  };
}

function tokensOf(body: z.output<typeof TokenResponse>, now: number, previousRefresh?: string): OAuthTokens {
  const refresh = body.refresh_token ?? previousRefresh;
  return {
    accessToken: body.access_token,
    ...(refresh ? { refreshToken: refresh } : {}),
    ...(body.expires_in ? { expiresAt: now + body.expires_in * 1000 } : {}),
    ...(body.resource_url ? { resourceUrl: body.resource_url } : {}),
  };
}

/**
 * One poll of the token endpoint (the caller waits `intervalMs` between polls).
 * @example const r = await pollDeviceLogin(cfg, login, fetch); if (r.status === 'ok') store(r.tokens)
 */
export async function pollDeviceLogin(cfg: OAuthDeviceConfig, login: Pick<DeviceLogin, 'deviceCode' | 'codeVerifier' | 'expiresAt' | 'intervalMs'>, doFetch: OAuthFetch, now = Date.now()): Promise<PollOutcome> {
  if (now >= login.expiresAt) return { status: 'expired', message: 'the login code expired; start again' };
  let res: Response;
  try {
    res = await doFetch(cfg.tokenUrl, {
      ...form({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: login.deviceCode, client_id: cfg.clientId, code_verifier: login.codeVerifier }),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    // A network failure is not the user's answer: keep polling at the same pace.
    return { status: 'pending', intervalMs: login.intervalMs };
  }
  let body: unknown;
  try {
    body = await readJson(res);
  } catch (err) {
    return res.status >= 500 ? { status: 'pending', intervalMs: login.intervalMs } : { status: 'error', message: (err as Error).message };
  }
  if (res.ok) {
    const t = TokenResponse.safeParse(body);
    return t.success ? { status: 'ok', tokens: tokensOf(t.data, now) } : { status: 'error', message: 'token answer has no access_token' };
  }
  if (res.status >= 500) return { status: 'pending', intervalMs: login.intervalMs };
  const e = ErrorResponse.safeParse(body);
  const code = e.success ? e.data.error : '';
  if (code === 'authorization_pending') return { status: 'pending', intervalMs: login.intervalMs };
  if (code === 'slow_down') return { status: 'pending', intervalMs: login.intervalMs + 5_000 };
  if (code === 'access_denied') return { status: 'denied', message: 'the login was declined' };
  if (code === 'expired_token') return { status: 'expired', message: 'the login code expired; start again' };
  return { status: 'error', message: `token endpoint answered ${res.status}${code ? ` (${code})` : ''}` };
}

/**
 * Exchanges a refresh token for new tokens (the old refresh token is kept when the IdP sends none).
 * @example const fresh = await refreshTokens(cfg, stored.refreshToken, fetch)
 */
export async function refreshTokens(cfg: Pick<OAuthDeviceConfig, 'tokenUrl' | 'clientId'>, refreshToken: string, doFetch: OAuthFetch, now = Date.now()): Promise<OAuthTokens> {
  const res = await doFetch(cfg.tokenUrl, { ...form({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: cfg.clientId }), signal: AbortSignal.timeout(15_000) });
  const body = await readJson(res);
  if (!res.ok) {
    const e = ErrorResponse.safeParse(body);
    throw new Error(`token refresh refused (${res.status}${e.success ? `: ${e.data.error}` : ''}); log in again with auth.oauth.start`);
  }
  const t = TokenResponse.safeParse(body);
  if (!t.success) throw new Error('token refresh answer has no access_token');
  return tokensOf(t.data, now, refreshToken);
}
