/**
 * Device and node pairing kept in GatewayDO's SQLite (both runtimes): pending pairing requests (bounded
 * count, TTL; at the cap new requests are refused, fail closed), paired devices with one grant per role
 * (role + approved scopes), and per-device tokens stored only as SHA-256 digests.
 */
import { constantTimeEqual, sha256Hex } from '../auth.ts';
import type { SqlPort } from '../scheduler/session-queue.ts';
import { scopeSatisfied, type OperatorScope, type Role } from './scopes.ts';

/** Why a device must be (re)approved (reference PAIRING_REQUIRED reasons). */
export type PairingReason = 'not-paired' | 'role-upgrade' | 'scope-upgrade';

/** What a client declared in `connect` (kept with requests and devices; all bounded by the frame schema). */
export interface ClientMeta {
  clientId: string;
  clientMode: string;
  displayName?: string;
  platform?: string;
  deviceFamily?: string;
  version?: string;
  /** Node capability categories (`caps`) and invoke allowlist (`commands`). */
  caps?: string[];
  commands?: string[];
  remote?: string;
}

/** A pending pairing request. */
export interface PairingRequest {
  requestId: string;
  deviceId: string;
  publicKey: string;
  role: Role;
  scopes: OperatorScope[];
  reason: PairingReason;
  client: ClientMeta;
  ts: number;
  expiresAtMs: number;
}

/** A device's approval for one role. The token itself is never stored, only its digest. */
export interface DeviceGrant {
  role: Role;
  scopes: OperatorScope[];
  token: { state: 'none' | 'active' | 'revoked'; issuedAtMs?: number; revokedAtMs?: number };
  approvedAtMs: number;
  approvedBy: string;
}

/** A paired device. */
export interface PairedDevice {
  deviceId: string;
  publicKey: string;
  label?: string;
  client: ClientMeta;
  createdAtMs: number;
  lastSeenAtMs?: number;
  roles: Role[];
  grants: DeviceGrant[];
}

/** Caps of the pairing tables. */
export interface PairingLimits {
  /** Pending requests at most; beyond it a new request is refused (retry after the oldest expires). */
  maxPending: number;
  /** A pending request is dropped this long after it was made. */
  pendingTtlMs: number;
  /** Paired devices at most; approving one more is refused. */
  maxPaired: number;
}

/** Result of asking for pairing. */
export type RequestOutcome =
  | { status: 'created' | 'existing'; request: PairingRequest; superseded?: PairingRequest }
  | { status: 'full'; retryAfterMs: number };

type Row = Record<string, string | number | null | ArrayBuffer>;

/** Prefix of device tokens (recognisable in logs and secret scanners). */
export const DEVICE_TOKEN_PREFIX = 'ecdt_';

/**
 * The approver scope a request needs beyond `operator.pairing`, which the method itself requires:
 * every requested operator scope; for a node, write when it declares commands and admin for `system.run`.
 * @example missingApproverScope(req, ['operator.pairing', 'operator.read']) // 'operator.admin' for an admin request
 */
export function missingApproverScope(req: Pick<PairingRequest, 'role' | 'scopes' | 'client'>, approver: readonly string[]): OperatorScope | null {
  const needs: OperatorScope[] = [...req.scopes];
  const commands = req.client.commands ?? [];
  if (req.role === 'node' && commands.length > 0) needs.push(commands.includes('system.run') ? 'operator.admin' : 'operator.write');
  return needs.find((s) => !scopeSatisfied(approver, s)) ?? null;
}

/** The pairing tables. */
export class PairingStore {
  readonly #sql: SqlPort;
  readonly #limits: PairingLimits;

  constructor(sql: SqlPort, limits: PairingLimits) {
    this.#sql = sql;
    this.#limits = limits;
  }

  /** Creates the tables (idempotent). */
  migrate(): void {
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS pairing_requests (request_id TEXT PRIMARY KEY, device_id TEXT NOT NULL, public_key TEXT NOT NULL,
      role TEXT NOT NULL, scopes TEXT NOT NULL, reason TEXT NOT NULL, client TEXT NOT NULL, created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL, UNIQUE (device_id, role))`);
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS paired_devices (device_id TEXT PRIMARY KEY, public_key TEXT NOT NULL, label TEXT,
      client TEXT NOT NULL, created_at INTEGER NOT NULL, last_seen_at INTEGER)`);
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS device_grants (device_id TEXT NOT NULL, role TEXT NOT NULL, scopes TEXT NOT NULL,
      token_state TEXT NOT NULL DEFAULT 'none', token_hash TEXT, token_issued_at INTEGER, token_revoked_at INTEGER,
      approved_at INTEGER NOT NULL, approved_by TEXT NOT NULL, PRIMARY KEY (device_id, role))`);
  }

  /** Drops requests past their TTL and returns them (the caller announces them as expired). */
  expire(now: number): PairingRequest[] {
    return this.#sql.exec<Row>(`DELETE FROM pairing_requests WHERE expires_at <= ? RETURNING *`, now).toArray().map(toRequest);
  }

  /**
   * Records that a device asks for `role`/`scopes`. The same device+role reuses its pending request when
   * nothing changed, and replaces it (superseded) when it did. At the cap a new request is refused.
   */
  request(input: Omit<PairingRequest, 'requestId' | 'ts' | 'expiresAtMs'>, now: number): RequestOutcome {
    this.expire(now);
    const existing = this.#sql.exec<Row>(`SELECT * FROM pairing_requests WHERE device_id = ? AND role = ?`, input.deviceId, input.role).toArray()[0];
    const old = existing ? toRequest(existing) : undefined;
    if (old && old.publicKey === input.publicKey && old.reason === input.reason && sameSet(old.scopes, input.scopes)) {
      return { status: 'existing', request: old };
    }
    if (old) this.#sql.exec(`DELETE FROM pairing_requests WHERE request_id = ?`, old.requestId);
    else {
      const pending = Number(this.#sql.exec<Row>(`SELECT COUNT(*) AS n FROM pairing_requests`).one().n);
      if (pending >= this.#limits.maxPending) {
        const oldest = Number(this.#sql.exec<Row>(`SELECT MIN(expires_at) AS t FROM pairing_requests`).one().t);
        return { status: 'full', retryAfterMs: Math.max(1, oldest - now) };
      }
    }
    const request: PairingRequest = { ...input, requestId: crypto.randomUUID(), ts: now, expiresAtMs: now + this.#limits.pendingTtlMs };
    this.#sql.exec(
      `INSERT INTO pairing_requests (request_id, device_id, public_key, role, scopes, reason, client, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      request.requestId, request.deviceId, request.publicKey, request.role, JSON.stringify(request.scopes), request.reason, JSON.stringify(request.client), now, request.expiresAtMs,
    );
    return { status: 'created', request, ...(old ? { superseded: old } : {}) };
  }

  /** A pending (unexpired) request. */
  pending(requestId: string, now: number): PairingRequest | null {
    const r = this.#sql.exec<Row>(`SELECT * FROM pairing_requests WHERE request_id = ? AND expires_at > ?`, requestId, now).toArray()[0];
    return r ? toRequest(r) : null;
  }

  /** Pending requests, oldest first (at most maxPending exist). */
  listPending(now: number): PairingRequest[] {
    return this.#sql.exec<Row>(`SELECT * FROM pairing_requests WHERE expires_at > ? ORDER BY created_at`, now).toArray().map(toRequest);
  }

  /** Removes a pending request (reject); null when unknown. */
  dropRequest(requestId: string): PairingRequest | null {
    const r = this.#sql.exec<Row>(`DELETE FROM pairing_requests WHERE request_id = ? RETURNING *`, requestId).toArray()[0];
    return r ? toRequest(r) : null;
  }

  /**
   * Approves a request: the device is recorded (or updated) and its grant for the role set to the
   * requested scopes; an active token stays valid (its scopes are the grant's). Refused when full.
   */
  approve(req: PairingRequest, approvedBy: string, now: number): PairedDevice | { status: 'full' } {
    const known = this.device(req.deviceId);
    if (!known && Number(this.#sql.exec<Row>(`SELECT COUNT(*) AS n FROM paired_devices`).one().n) >= this.#limits.maxPaired) return { status: 'full' };
    this.#sql.exec(
      `INSERT INTO paired_devices (device_id, public_key, client, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (device_id) DO UPDATE SET public_key = excluded.public_key, client = excluded.client`,
      req.deviceId, req.publicKey, JSON.stringify(req.client), now, now,
    );
    this.#sql.exec(
      `INSERT INTO device_grants (device_id, role, scopes, approved_at, approved_by) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (device_id, role) DO UPDATE SET scopes = excluded.scopes, approved_at = excluded.approved_at, approved_by = excluded.approved_by`,
      req.deviceId, req.role, JSON.stringify(req.scopes), now, approvedBy,
    );
    this.dropRequest(req.requestId);
    return this.device(req.deviceId)!;
  }

  /** A paired device with its grants. */
  device(deviceId: string): PairedDevice | null {
    const r = this.#sql.exec<Row>(`SELECT * FROM paired_devices WHERE device_id = ?`, deviceId).toArray()[0];
    if (!r) return null;
    const grants = this.#sql.exec<Row>(`SELECT * FROM device_grants WHERE device_id = ? ORDER BY role`, deviceId).toArray().map(toGrant);
    return {
      deviceId,
      publicKey: String(r.public_key),
      ...(r.label !== null ? { label: String(r.label) } : {}),
      client: JSON.parse(String(r.client)) as ClientMeta,
      createdAtMs: Number(r.created_at),
      ...(r.last_seen_at !== null ? { lastSeenAtMs: Number(r.last_seen_at) } : {}),
      roles: grants.map((g) => g.role),
      grants,
    };
  }

  /** Every paired device (at most maxPaired), newest first. */
  listDevices(): PairedDevice[] {
    const ids = this.#sql.exec<Row>(`SELECT device_id FROM paired_devices ORDER BY created_at DESC`).toArray();
    return ids.map((r) => this.device(String(r.device_id))!).filter(Boolean);
  }

  /** Forgets a device (every role) or only one of its roles (the device goes when no role is left). */
  remove(deviceId: string, role?: Role): PairedDevice | null {
    const before = this.device(deviceId);
    if (!before || (role && !before.roles.includes(role))) return null;
    if (role) this.#sql.exec(`DELETE FROM device_grants WHERE device_id = ? AND role = ?`, deviceId, role);
    else this.#sql.exec(`DELETE FROM device_grants WHERE device_id = ?`, deviceId);
    if (Number(this.#sql.exec<Row>(`SELECT COUNT(*) AS n FROM device_grants WHERE device_id = ?`, deviceId).one().n) === 0) {
      this.#sql.exec(`DELETE FROM paired_devices WHERE device_id = ?`, deviceId);
    }
    return before;
  }

  /** Sets the operator's label of a device; false when unknown. */
  rename(deviceId: string, label: string): boolean {
    return this.#sql.exec<Row>(`UPDATE paired_devices SET label = ? WHERE device_id = ? RETURNING device_id`, label, deviceId).toArray().length > 0;
  }

  /** Records a connect of a paired device (last seen, latest declared client metadata). */
  touch(deviceId: string, client: ClientMeta, now: number): void {
    const r = this.#sql.exec<Row>(`SELECT client FROM paired_devices WHERE device_id = ?`, deviceId).toArray()[0];
    // An operator connect declares no caps/commands; keep what the device last declared as a node.
    const merged = r ? { ...(JSON.parse(String(r.client)) as ClientMeta), ...client } : client;
    this.#sql.exec(`UPDATE paired_devices SET last_seen_at = ?, client = ? WHERE device_id = ?`, now, JSON.stringify(merged), deviceId);
  }

  /**
   * Mints a new token for a grant (replacing any previous one, which stops working at once), optionally
   * narrowing the grant's scopes. Returns the token: this is the only time it exists in clear.
   */
  async issueToken(deviceId: string, role: Role, now: number, scopes?: OperatorScope[]): Promise<{ token: string; grant: DeviceGrant } | null> {
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    let b = '';
    for (const x of bytes) b += String.fromCharCode(x);
    const token = DEVICE_TOKEN_PREFIX + btoa(b).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    const row = this.#sql.exec<Row>(
      `UPDATE device_grants SET token_state = 'active', token_hash = ?, token_issued_at = ?, token_revoked_at = NULL, scopes = COALESCE(?, scopes)
       WHERE device_id = ? AND role = ? RETURNING *`,
      await sha256Hex(token), now, scopes ? JSON.stringify(scopes) : null, deviceId, role,
    ).toArray()[0];
    return row ? { token, grant: toGrant(row) } : null;
  }

  /** Revokes a grant's token (the grant stays; a new token needs `device.token.rotate`). */
  revokeToken(deviceId: string, role: Role, now: number): DeviceGrant | null {
    const row = this.#sql.exec<Row>(
      `UPDATE device_grants SET token_state = 'revoked', token_hash = NULL, token_revoked_at = ? WHERE device_id = ? AND role = ? RETURNING *`,
      now, deviceId, role,
    ).toArray()[0];
    return row ? toGrant(row) : null;
  }

  /** The grant a presented device token belongs to (constant-time digest comparison), or null. */
  async checkToken(deviceId: string, role: Role, presented: string): Promise<DeviceGrant | null> {
    const row = this.#sql.exec<Row>(`SELECT * FROM device_grants WHERE device_id = ? AND role = ?`, deviceId, role).toArray()[0];
    const digest = await sha256Hex(presented);
    const stored = row && row.token_state === 'active' && typeof row.token_hash === 'string' ? row.token_hash : '0'.repeat(64);
    return constantTimeEqual(digest, stored) && row && row.token_state === 'active' ? toGrant(row) : null;
  }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

function toRequest(r: Row): PairingRequest {
  return {
    requestId: String(r.request_id),
    deviceId: String(r.device_id),
    publicKey: String(r.public_key),
    role: String(r.role) as Role,
    scopes: JSON.parse(String(r.scopes)) as OperatorScope[],
    reason: String(r.reason) as PairingReason,
    client: JSON.parse(String(r.client)) as ClientMeta,
    ts: Number(r.created_at),
    expiresAtMs: Number(r.expires_at),
  };
}

function toGrant(r: Row): DeviceGrant {
  return {
    role: String(r.role) as Role,
    scopes: JSON.parse(String(r.scopes)) as OperatorScope[],
    token: {
      state: String(r.token_state) as DeviceGrant['token']['state'],
      ...(r.token_issued_at !== null ? { issuedAtMs: Number(r.token_issued_at) } : {}),
      ...(r.token_revoked_at !== null ? { revokedAtMs: Number(r.token_revoked_at) } : {}),
    },
    approvedAtMs: Number(r.approved_at),
    approvedBy: String(r.approved_by),
  };
}
