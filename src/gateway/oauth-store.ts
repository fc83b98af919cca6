/**
 * OAuth device logins and provider tokens, in the GatewayDO's SQLite (both runtimes): logins are durable
 * (a restart mid-login keeps polling the same code), bounded (OAUTH_MAX_PENDING in flight; finished and
 * expired ones are purged), and tokens are one row per provider. Device codes, verifiers and tokens never
 * leave this object except the access token handed to the provider client.
 */
import type { DeviceLogin, OAuthTokens } from '../providers/oauth-device.ts';
import type { SqlPort } from '../scheduler/session-queue.ts';

type Row = Record<string, SqlStorageValue>;

/** Logins in flight at once; one more is refused until one finishes or expires. */
export const OAUTH_MAX_PENDING = 16;
/** Finished logins kept for `auth.oauth.wait` to read their outcome. */
const KEEP_FINISHED_MS = 10 * 60_000;

/** What callers see of a login (no device code, no verifier). */
export interface LoginView {
  loginId: string;
  provider: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete?: string;
  expiresAt: number;
  intervalMs: number;
  status: 'pending' | 'ok' | 'denied' | 'expired' | 'error';
  message?: string;
}

/** A login as the poller needs it. */
export interface StoredLogin extends LoginView {
  deviceCode: string;
  codeVerifier?: string;
  tokenUrl: string;
  clientId: string;
  nextPollAt: number;
}

/** A provider's tokens plus how to refresh them. */
export interface StoredTokens extends OAuthTokens {
  provider: string;
  tokenUrl: string;
  clientId: string;
  updatedAt: number;
}

const s = (v: SqlStorageValue | undefined) => (v === null || v === undefined ? undefined : String(v));

export class OAuthStore {
  readonly #sql: SqlPort;
  constructor(sql: SqlPort) {
    this.#sql = sql;
  }

  migrate(): void {
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS oauth_logins (id TEXT PRIMARY KEY, provider TEXT NOT NULL, device_code TEXT NOT NULL,
      code_verifier TEXT, user_code TEXT NOT NULL, verification_uri TEXT NOT NULL, verification_uri_complete TEXT,
      expires_at INTEGER NOT NULL, interval_ms INTEGER NOT NULL, next_poll_at INTEGER NOT NULL, status TEXT NOT NULL,
      message TEXT, token_url TEXT NOT NULL, client_id TEXT NOT NULL, updated_at INTEGER NOT NULL)`);
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS oauth_tokens (provider TEXT PRIMARY KEY, access_token TEXT NOT NULL, refresh_token TEXT,
      expires_at INTEGER, resource_url TEXT, token_url TEXT NOT NULL, client_id TEXT NOT NULL, updated_at INTEGER NOT NULL)`);
  }

  /** Drops finished logins past KEEP_FINISHED_MS and pending ones past expiry (+ the same grace). */
  purge(now: number): void {
    this.#sql.exec(`DELETE FROM oauth_logins WHERE (status <> 'pending' AND updated_at < ?) OR expires_at < ?`, now - KEEP_FINISHED_MS, now - KEEP_FINISHED_MS);
  }

  pendingCount(now: number): number {
    return Number(this.#sql.exec<Row>(`SELECT COUNT(*) AS n FROM oauth_logins WHERE status = 'pending' AND expires_at > ?`, now).one().n);
  }

  insert(id: string, provider: string, login: DeviceLogin, idp: { tokenUrl: string; clientId: string }, now: number): void {
    this.#sql.exec(
      `INSERT INTO oauth_logins (id, provider, device_code, code_verifier, user_code, verification_uri, verification_uri_complete, expires_at,
        interval_ms, next_poll_at, status, token_url, client_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
      id, provider, login.deviceCode, login.codeVerifier ?? null, login.userCode, login.verificationUri, login.verificationUriComplete ?? null,
      login.expiresAt, login.intervalMs, now + login.intervalMs, idp.tokenUrl, idp.clientId, now,
    );
  }

  get(id: string): StoredLogin | null {
    const r = this.#sql.exec<Row>('SELECT * FROM oauth_logins WHERE id = ?', id).toArray()[0];
    if (!r) return null;
    const complete = s(r.verification_uri_complete);
    const verifier = s(r.code_verifier);
    const message = s(r.message);
    return {
      loginId: String(r.id), provider: String(r.provider), userCode: String(r.user_code), verificationUri: String(r.verification_uri),
      ...(complete ? { verificationUriComplete: complete } : {}),
      expiresAt: Number(r.expires_at), intervalMs: Number(r.interval_ms), status: String(r.status) as LoginView['status'],
      ...(message ? { message } : {}),
      deviceCode: String(r.device_code), ...(verifier ? { codeVerifier: verifier } : {}),
      tokenUrl: String(r.token_url), clientId: String(r.client_id), nextPollAt: Number(r.next_poll_at),
    };
  }

  /** Records a poll: the next allowed poll time (slow_down widens the interval), or the final status. */
  update(id: string, change: { status: LoginView['status']; intervalMs?: number; message?: string }, now: number): void {
    const cur = this.get(id);
    if (!cur) return;
    const interval = change.intervalMs ?? cur.intervalMs;
    this.#sql.exec(
      'UPDATE oauth_logins SET status = ?, interval_ms = ?, next_poll_at = ?, message = ?, updated_at = ? WHERE id = ?',
      change.status, interval, now + interval, change.message ?? null, now, id,
    );
    // A finished login no longer needs its secrets.
    if (change.status !== 'pending') this.#sql.exec(`UPDATE oauth_logins SET device_code = '', code_verifier = NULL WHERE id = ?`, id);
  }

  saveTokens(t: StoredTokens): void {
    this.#sql.exec(
      `INSERT INTO oauth_tokens (provider, access_token, refresh_token, expires_at, resource_url, token_url, client_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (provider) DO UPDATE SET access_token = excluded.access_token, refresh_token = excluded.refresh_token, expires_at = excluded.expires_at,
       resource_url = excluded.resource_url, token_url = excluded.token_url, client_id = excluded.client_id, updated_at = excluded.updated_at`,
      t.provider, t.accessToken, t.refreshToken ?? null, t.expiresAt ?? null, t.resourceUrl ?? null, t.tokenUrl, t.clientId, t.updatedAt,
    );
  }

  tokens(provider: string): StoredTokens | null {
    const r = this.#sql.exec<Row>('SELECT * FROM oauth_tokens WHERE provider = ?', provider).toArray()[0];
    if (!r) return null;
    const refresh = s(r.refresh_token);
    const resource = s(r.resource_url);
    return {
      provider: String(r.provider), accessToken: String(r.access_token), ...(refresh ? { refreshToken: refresh } : {}),
      ...(r.expires_at !== null && r.expires_at !== undefined ? { expiresAt: Number(r.expires_at) } : {}),
      ...(resource ? { resourceUrl: resource } : {}), tokenUrl: String(r.token_url), clientId: String(r.client_id), updatedAt: Number(r.updated_at),
    };
  }

  /** Logged-in providers without secrets. */
  list(): Array<{ provider: string; expiresAt: number | null; refreshable: boolean; updatedAt: number }> {
    return this.#sql
      .exec<Row>('SELECT provider, expires_at, refresh_token IS NOT NULL AS r, updated_at FROM oauth_tokens ORDER BY provider LIMIT 256')
      .toArray()
      .map((r) => ({ provider: String(r.provider), expiresAt: r.expires_at === null ? null : Number(r.expires_at), refreshable: Number(r.r) === 1, updatedAt: Number(r.updated_at) }));
  }

  deleteTokens(provider: string): boolean {
    const had = this.tokens(provider) !== null;
    this.#sql.exec('DELETE FROM oauth_tokens WHERE provider = ?', provider);
    return had;
  }
}
