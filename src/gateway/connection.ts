/**
 * One gateway WebSocket, as plain functions over a small socket port, shared by GatewayDO on workerd and
 * on the Node host: the challenge on open, the connect handshake (protocol, auth, granted scopes,
 * hello-ok), request dispatch, per-socket event seq, and slow-consumer handling.
 * Per-connection state lives in the socket attachment (≤ 16 KiB, survives hibernation).
 */
import { z } from 'zod';
import type { Env } from '../env.ts';
import { GatewayError, type ErrorShape } from '../errors.ts';
import { EDGECLAW_VERSION } from '../version.ts';
import { anyCredential, authenticate } from './credentials.ts';
import type { DeviceGate } from './device-gate.ts';
import { clientMetaOf, pairingRefusal, proveDevice } from './connect-device.ts';
import { ConnectParamsSchema, MIN_PROBE_PROTOCOL, PROTOCOL_VERSION, RequestFrameSchema, type EventFrame, type ResponseFrame } from './frames.ts';
import type { Hub, MethodContext, MethodRegistry, TwoPhase } from './registry.ts';
import { mayReceive, negotiateScopes, type OperatorScope, type Role } from './scopes.ts';

/** Largest frame accepted before the handshake completes (reference MAX_PREAUTH_PAYLOAD_BYTES). */
export const MAX_PREAUTH_PAYLOAD_BYTES = 65_536;
/** Events this gateway emits (hello-ok `features.events`). */
export const GATEWAY_EVENTS = ['connect.challenge', 'tick', 'health', 'heartbeat', 'presence', 'shutdown', 'chat', 'agent', 'sessions.changed', 'session.message', 'config.changed', 'cron', 'defender.decision', 'telegram.status', 'device.pair.requested', 'device.pair.resolved', 'device.pair.changed', 'node.pair.requested', 'node.pair.resolved'];

/** Per-connection state kept in the socket attachment. */
export interface Attachment {
  v: 1;
  connId: string;
  nonce: string;
  remote: string;
  openedAt: number;
  authed: boolean;
  seq: number;
  role?: Role;
  scopes?: OperatorScope[];
  clientId?: string;
  clientMode?: string;
  clientVersion?: string;
  platform?: string;
  instanceId?: string;
  caps?: string[];
  /** The socket came straight from loopback (set by the host at accept; never from the client). */
  local?: boolean;
  /** Verified device identity of this connection, and how it authenticated. */
  deviceId?: string;
  authMethod?: 'token' | 'password' | 'device-token';
}

/** The socket surface the protocol needs (workerd WebSocket and the Node host's socket both provide it). */
export interface GatewaySocket {
  send(text: string): void;
  close(code: number, reason: string): void;
  /** Bytes queued for sending; workerd has none to report (undefined). */
  readonly bufferedAmount?: number;
  serializeAttachment(value: unknown): void;
  deserializeAttachment(): unknown;
}

/** Limits advertised in hello-ok `policy` and enforced here. */
export interface GatewayPolicy {
  maxPayload: number;
  maxBufferedBytes: number;
  tickIntervalMs: number;
}

/** Per-remote-address limiter of failed auth attempts. */
export interface AuthLimiter {
  /** Milliseconds until `remote` may try again, or 0. */
  blockedFor(remote: string, now: number): number;
  recordFailure(remote: string, now: number): void;
  recordSuccess(remote: string): void;
}

/** Everything frame handling needs from its host. */
export interface ConnectionDeps {
  env: Env;
  hub: Hub;
  registry: MethodRegistry;
  policy: GatewayPolicy;
  limiter: AuthLimiter;
  /** Device pairing and per-device tokens (connects with a `device` block). */
  devices: Pick<DeviceGate, 'admit' | 'checkToken'>;
  /** Records that the final response of a two-phase method is owed to this socket. */
  owesFinal(runId: string, connId: string, requestId: string): Promise<void>;
  /** hello-ok snapshot (presence, health, uptime). */
  snapshot(): Promise<Record<string, unknown>>;
  /** Called after a successful handshake (presence changed). */
  onAuthenticated?(): void;
  now(): number;
}

/** Reads the attachment (throws if missing: every accepted socket gets one). Treat it as read-only: change it by serializing a new object. */
export function attachmentOf(sock: GatewaySocket): Attachment {
  return sock.deserializeAttachment() as Attachment;
}

/** Starts a connection: records its attachment and sends `connect.challenge` (no seq). */
export function openConnection(sock: GatewaySocket, remote: string, now: number, local = false): Attachment {
  const att: Attachment = { v: 1, connId: crypto.randomUUID(), nonce: crypto.randomUUID(), remote, openedAt: now, authed: false, seq: 0, ...(local ? { local } : {}) };
  sock.serializeAttachment(att);
  send(sock, { type: 'event', event: 'connect.challenge', payload: { nonce: att.nonce, ts: now } });
  return att;
}

function send(sock: GatewaySocket, frame: ResponseFrame | EventFrame): void {
  sock.send(JSON.stringify(frame));
}

/** Closes quietly: the socket may already be closed by the peer. */
export function closeQuietly(sock: GatewaySocket, code: number, reason: string): void {
  try {
    sock.close(code, reason.slice(0, 120));
  } catch {
    // already closed
  }
}

const PROTOCOL_CODES = new Set(['INVALID_REQUEST', 'FORBIDDEN', 'UNAVAILABLE', 'NOT_PAIRED', 'APPROVAL_NOT_FOUND']);

/** Maps any error to the protocol's ErrorShape (internal errors say nothing about internals). */
export function toProtocolError(err: unknown): ErrorShape {
  if (err instanceof GatewayError) {
    const shape = err.toShape();
    if (PROTOCOL_CODES.has(shape.code)) return shape;
    const code = shape.code === 'QUEUE_FULL' || shape.code === 'RATE_LIMITED' ? 'UNAVAILABLE' : shape.code === 'UNAUTHORIZED' ? 'FORBIDDEN' : 'INVALID_REQUEST';
    return { ...shape, code: code as ErrorShape['code'], details: { ...shape.details, code: shape.code } };
  }
  return { code: 'UNAVAILABLE', message: 'internal error', retryable: true };
}

/** Sends a response; a socket whose unsent backlog passes the limit is a slow consumer and is closed. */
function reply(sock: GatewaySocket, frame: ResponseFrame, policy: GatewayPolicy): void {
  send(sock, frame);
  if ((sock.bufferedAmount ?? 0) > policy.maxBufferedBytes) closeQuietly(sock, 1008, 'slow consumer');
}

function fail(sock: GatewaySocket, id: string, error: ErrorShape, close?: { code: number; reason: string }): void {
  send(sock, { type: 'res', id, ok: false, error });
  if (close) closeQuietly(sock, close.code, close.reason);
}

function byteLength(data: string): number {
  return new TextEncoder().encode(data).byteLength;
}

/**
 * Sends an event to one socket if its role and scopes allow it. Every delivered or dropped event uses a
 * seq number; a socket over `maxBufferedBytes` gets `dropIfSlow` events dropped and is closed otherwise.
 */
export function sendEvent(sock: GatewaySocket, event: string, payload: unknown, policy: GatewayPolicy, opts: { dropIfSlow?: boolean } = {}): boolean {
  const att = attachmentOf(sock);
  if (!att.authed || !mayReceive(att.role ?? 'operator', att.scopes ?? [], event)) return false;
  const seq = att.seq + 1;
  sock.serializeAttachment({ ...att, seq });
  const buffered = sock.bufferedAmount ?? 0;
  if (buffered > policy.maxBufferedBytes) {
    if (opts.dropIfSlow) return false;
    closeQuietly(sock, 1008, 'slow consumer');
    return false;
  }
  send(sock, { type: 'event', event, payload, seq });
  if ((sock.bufferedAmount ?? 0) > policy.maxBufferedBytes) closeQuietly(sock, 1008, 'slow consumer');
  return true;
}

const IdOnly = z.looseObject({ id: z.string().min(1).max(256) });

/** Handles one inbound frame. Never throws: every failure becomes an error response or a clean close. */
export async function handleFrame(sock: GatewaySocket, data: string | ArrayBuffer, deps: ConnectionDeps): Promise<void> {
  const att = attachmentOf(sock);
  if (typeof data !== 'string') return closeQuietly(sock, 1003, 'binary frames are not supported');
  const limit = att.authed ? deps.policy.maxPayload : MAX_PREAUTH_PAYLOAD_BYTES;
  if (data.length > limit || byteLength(data) > limit) return closeQuietly(sock, 1009, `frame exceeds ${limit} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return closeQuietly(sock, 1008, 'invalid frame: not JSON');
  }
  const frame = RequestFrameSchema.safeParse(json);
  if (!frame.success) {
    const id = IdOnly.safeParse(json);
    const issue = frame.error.issues[0];
    const message = `invalid frame: ${issue ? `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}` : 'malformed'}`;
    if (!id.success) return closeQuietly(sock, 1008, message);
    return fail(sock, id.data.id, { code: 'INVALID_REQUEST', message }, att.authed ? undefined : { code: 1008, reason: message });
  }
  const req = frame.data;
  if (!att.authed) return handshake(sock, att, req.id, req.method, req.params, deps);
  if (req.method === 'connect') return fail(sock, req.id, { code: 'INVALID_REQUEST', message: 'connect already completed' });
  const ctx: MethodContext = {
    env: deps.env,
    hub: deps.hub,
    now: deps.now(),
    caller: { connId: att.connId, role: att.role ?? 'operator', scopes: att.scopes ?? [], clientId: att.clientId ?? '', clientMode: att.clientMode ?? '', transport: 'ws' },
  };
  try {
    const result = await deps.registry.dispatch(ctx, req.method, req.params);
    if (isTwoPhase(result)) {
      await deps.owesFinal(result.runId, att.connId, req.id);
      reply(sock, { type: 'res', id: req.id, ok: true, payload: result.accepted }, deps.policy);
    } else {
      reply(sock, { type: 'res', id: req.id, ok: true, payload: result }, deps.policy);
    }
  } catch (err) {
    reply(sock, { type: 'res', id: req.id, ok: false, error: toProtocolError(err) }, deps.policy);
  }
}

function isTwoPhase(v: unknown): v is TwoPhase {
  return typeof v === 'object' && v !== null && (v as TwoPhase).twoPhase === true;
}

async function handshake(sock: GatewaySocket, att: Attachment, id: string, method: string, params: unknown, deps: ConnectionDeps): Promise<void> {
  const close = { code: 1008, reason: '' };
  if (method !== 'connect') {
    const message = 'invalid handshake: first request must be connect';
    return fail(sock, id, { code: 'INVALID_REQUEST', message }, { ...close, reason: message });
  }
  const parsed = ConnectParamsSchema.safeParse(params);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const message = `invalid connect params: ${issue ? `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}` : 'malformed'}`;
    return fail(sock, id, { code: 'INVALID_REQUEST', message }, { ...close, reason: message });
  }
  const p = parsed.data;
  const probeLike = p.client.mode === 'probe' || p.role === 'node';
  const accepts = p.minProtocol <= PROTOCOL_VERSION && PROTOCOL_VERSION <= p.maxProtocol;
  const acceptsProbe = probeLike && p.minProtocol <= PROTOCOL_VERSION && p.maxProtocol >= MIN_PROBE_PROTOCOL;
  if (!accepts && !acceptsProbe) {
    return fail(sock, id, {
      code: 'INVALID_REQUEST',
      message: 'protocol mismatch',
      details: { code: 'PROTOCOL_MISMATCH', clientMinProtocol: p.minProtocol, clientMaxProtocol: p.maxProtocol, expectedProtocol: PROTOCOL_VERSION, minimumProbeProtocol: MIN_PROBE_PROTOCOL },
    }, { code: 1002, reason: 'protocol mismatch' });
  }
  const now = deps.now();
  const wait = deps.limiter.blockedFor(att.remote, now);
  if (wait > 0) {
    return fail(sock, id, {
      code: 'INVALID_REQUEST',
      message: 'unauthorized: too many failed attempts; wait and retry',
      details: { code: 'AUTH_RATE_LIMITED', authReason: 'rate_limited', recommendedNextStep: 'wait_then_retry' },
      retryable: true,
      retryAfterMs: wait,
    }, { ...close, reason: 'unauthorized: rate limited' });
  }
  const role: Role = p.role === 'node' ? 'node' : 'operator';
  const proof = await proveDevice(p, role, att.nonce, now);
  if (proof && 'error' in proof) return fail(sock, id, proof.error, proof.close);
  const device = proof;
  // Without a device, a deviceToken field can only be a shared token (older clients put it there).
  const token = p.auth?.token ?? (device ? undefined : p.auth?.deviceToken);
  const deviceToken = device ? (p.auth?.deviceToken ?? p.auth?.token) : undefined;
  const password = p.auth?.password;
  const authFail = (code: string, authReason: string, message: string) => {
    deps.limiter.recordFailure(att.remote, now);
    fail(sock, id, { code: 'INVALID_REQUEST', message, details: { code, authReason, canRetryWithDeviceToken: false, recommendedNextStep: 'update_auth_credentials' } }, { ...close, reason: message });
  };
  if (!(await anyCredential(deps.env))) {
    return fail(sock, id, { code: 'INVALID_REQUEST', message: 'unauthorized: gateway auth is not configured (set EDGECLAW_GATEWAY_TOKEN)', details: { code: 'AUTH_TOKEN_NOT_CONFIGURED', authReason: 'token_not_configured', recommendedNextStep: 'review_auth_configuration' } }, { ...close, reason: 'unauthorized: auth not configured' });
  }
  if (token === undefined && password === undefined && deviceToken === undefined) return authFail('AUTH_TOKEN_MISSING', 'token_missing', 'unauthorized: gateway token missing (set gateway.remote.token or pass --token)');
  const principal = token !== undefined || password !== undefined ? await authenticate(deps.env, { ...(token !== undefined ? { token } : {}), ...(password !== undefined ? { password } : {}) }) : null;
  const grant = !principal && device && deviceToken !== undefined ? await deps.devices.checkToken(device.deviceId, role, deviceToken) : null;
  if (!principal && !grant) {
    if (device && p.auth?.deviceToken !== undefined) return authFail('AUTH_DEVICE_TOKEN_MISMATCH', 'device_token_mismatch', 'unauthorized: device token mismatch (rotate it with device.token.rotate, or pair again)');
    return password !== undefined && token === undefined
      ? authFail('AUTH_PASSWORD_MISMATCH', 'password_mismatch', 'unauthorized: gateway password mismatch')
      : authFail('AUTH_TOKEN_MISMATCH', 'token_mismatch', 'unauthorized: gateway token mismatch (set gateway.remote.token to match the gateway token)');
  }
  if (principal && role !== principal.role) return authFail('AUTH_UNAUTHORIZED', 'role_mismatch', `unauthorized: this credential is not allowed the ${role} role`);
  deps.limiter.recordSuccess(att.remote);
  const authMethod = principal ? principal.method : 'device-token';
  let scopes: OperatorScope[] = principal && role === 'operator' ? negotiateScopes(principal.granted, p.scopes) : [];
  let issued: { deviceToken: string; issuedAtMs: number } | null = null;
  if (device) {
    const admitted = await deps.devices.admit({
      device,
      role,
      authMethod,
      wanted: principal ? (p.scopes && p.scopes.length > 0 ? scopes : undefined) : p.scopes,
      credentialScopes: principal ? principal.granted : grant!.scopes,
      client: clientMetaOf(p, role, att.remote),
      directLocal: att.local === true,
      now,
    });
    if (admitted.kind !== 'ok') {
      const refusal = pairingRefusal(admitted, device.deviceId, role);
      return fail(sock, id, refusal.error, refusal.close);
    }
    scopes = admitted.scopes;
    if (admitted.deviceToken) issued = { deviceToken: admitted.deviceToken, issuedAtMs: admitted.issuedAtMs ?? now };
  }
  const authed: Attachment = Object.assign({ ...att }, {
    authed: true,
    role,
    scopes,
    clientId: p.client.id,
    clientMode: p.client.mode,
    clientVersion: p.client.version,
    platform: p.client.platform,
    ...(p.client.instanceId ? { instanceId: p.client.instanceId } : {}),
    caps: (p.caps ?? []).slice(0, 32),
    authMethod,
    ...(device ? { deviceId: device.deviceId } : {}),
  } satisfies Partial<Attachment>);
  sock.serializeAttachment(authed);
  send(sock, {
    type: 'res',
    id,
    ok: true,
    payload: {
      type: 'hello-ok',
      protocol: PROTOCOL_VERSION,
      server: { version: EDGECLAW_VERSION, connId: att.connId },
      features: { methods: deps.registry.advertised(), events: GATEWAY_EVENTS },
      snapshot: await deps.snapshot(),
      auth: { role, scopes, method: authMethod, ...(issued ?? {}) },
      policy: { maxPayload: deps.policy.maxPayload, maxBufferedBytes: deps.policy.maxBufferedBytes, tickIntervalMs: deps.policy.tickIntervalMs },
    },
  });
  deps.onAuthenticated?.();
}
