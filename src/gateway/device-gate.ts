/**
 * The pairing decision of a `connect` that carried a verified device identity (openclaw-protocol.md §2.4):
 * a paired device within its grant is admitted (and gets its token in hello-ok the first time); anything
 * else becomes a pending pairing request (`not-paired`, `role-upgrade`, `scope-upgrade`) announced to
 * `operator.pairing` holders, unless a direct-loopback connect with valid shared auth may auto-approve.
 */
import type { VerifiedDevice } from './device-identity.ts';
import type { ClientMeta, DeviceGrant, PairingReason, PairingRequest, PairingStore } from './pairing-store.ts';
import { isOperatorScope, scopeSatisfied, type OperatorScope, type Role } from './scopes.ts';

/** What the handshake knows when it asks the gate. */
export interface AdmitInput {
  device: VerifiedDevice;
  role: Role;
  /** token/password: shared credential; device-token: the device's own token. */
  authMethod: 'token' | 'password' | 'device-token';
  /**
   * The scopes asked for (shared auth: already negotiated against the credential), or undefined when the
   * client named none: then a paired device gets its grant (within the credential), a new one the credential's.
   */
  wanted: readonly string[] | undefined;
  /** Shared auth: the credential's granted scopes. Device token: the grant's scopes. */
  credentialScopes: readonly OperatorScope[];
  client: ClientMeta;
  /** The socket came straight from loopback (no proxy in between). */
  directLocal: boolean;
  now: number;
}

/** The gate's answer. */
export type AdmitResult =
  | { kind: 'ok'; scopes: OperatorScope[]; deviceToken?: string; issuedAtMs?: number }
  | { kind: 'pairing-required'; reason: PairingReason; request: PairingRequest; approvedScopes: OperatorScope[] }
  | { kind: 'full'; what: 'pending' | 'paired'; retryAfterMs: number };

/** What the gate needs from the host besides the store. */
export interface GateOptions {
  autoApproveLocal: boolean;
  /** Broadcasts an event to sockets allowed to receive it. */
  announce(event: string, payload: unknown): void;
}

function union(a: readonly OperatorScope[], b: readonly OperatorScope[]): OperatorScope[] {
  return [...new Set([...a, ...b])];
}

/**
 * Event payloads of a new pairing request: `device.pair.requested`, plus `node.pair.requested` for a node.
 * @example for (const e of requestedEvents(req)) hub.broadcast(e.event, e.payload)
 */
export function requestedEvents(req: PairingRequest): { event: string; payload: unknown }[] {
  const out: { event: string; payload: unknown }[] = [
    { event: 'device.pair.requested', payload: { ...req, clientId: req.client.clientId, clientMode: req.client.clientMode, displayName: req.client.displayName, platform: req.client.platform } },
  ];
  if (req.role === 'node') {
    const { client } = req;
    out.push({ event: 'node.pair.requested', payload: { requestId: req.requestId, nodeId: req.deviceId, displayName: client.displayName, platform: client.platform, version: client.version, caps: client.caps ?? [], commands: client.commands ?? [], reason: req.reason, ts: req.ts } });
  }
  return out;
}

/**
 * `device.pair.resolved` (and `node.pair.resolved` for a node) for a request's outcome.
 * @example resolvedEvents(req, 'approved', Date.now())
 */
export function resolvedEvents(req: Pick<PairingRequest, 'requestId' | 'deviceId' | 'role'>, decision: 'approved' | 'rejected' | 'expired', ts: number): { event: string; payload: unknown }[] {
  const out: { event: string; payload: unknown }[] = [{ event: 'device.pair.resolved', payload: { requestId: req.requestId, deviceId: req.deviceId, role: req.role, decision, ts } }];
  if (req.role === 'node') out.push({ event: 'node.pair.resolved', payload: { requestId: req.requestId, nodeId: req.deviceId, decision, ts } });
  return out;
}

/** Pairing decisions over the store. */
export class DeviceGate {
  readonly #store: PairingStore;
  readonly #opts: GateOptions;

  constructor(store: PairingStore, opts: GateOptions) {
    this.#store = store;
    this.#opts = opts;
  }

  /** The grant a presented device token belongs to, or null. */
  checkToken(deviceId: string, role: Role, token: string): Promise<DeviceGrant | null> {
    return this.#store.checkToken(deviceId, role, token);
  }

  #announce(events: { event: string; payload: unknown }[]): void {
    for (const e of events) this.#opts.announce(e.event, e.payload);
  }

  /** Decides whether a device with a verified identity may connect with the role and scopes it asks for. */
  async admit(input: AdmitInput): Promise<AdmitResult> {
    const { device, role, now } = input;
    const paired = this.#store.device(device.deviceId);
    const samekey = paired?.publicKey === device.publicKey;
    const grant = samekey ? paired?.grants.find((g) => g.role === role) : undefined;
    const asked =
      role !== 'operator' ? [] : input.wanted && input.wanted.length > 0 ? input.wanted.filter(isOperatorScope)
      : grant ? grant.scopes.filter((s) => scopeSatisfied(input.credentialScopes, s))
      : input.credentialScopes;
    const wanted = [...new Set(asked)];
    if (grant && wanted.every((s) => scopeSatisfied(grant.scopes, s))) {
      this.#store.touch(device.deviceId, input.client, now);
      if (input.authMethod !== 'device-token' && grant.token.state === 'none') {
        const issued = await this.#store.issueToken(device.deviceId, role, now);
        if (issued) return { kind: 'ok', scopes: wanted, deviceToken: issued.token, issuedAtMs: now };
      }
      return { kind: 'ok', scopes: wanted };
    }
    const reason: PairingReason = grant ? 'scope-upgrade' : samekey && paired && paired.roles.length > 0 ? 'role-upgrade' : 'not-paired';
    const scopes = role === 'operator' ? union(grant?.scopes ?? [], wanted) : [];
    const base = { deviceId: device.deviceId, publicKey: device.publicKey, role, scopes, reason, client: input.client };
    const shared = input.authMethod !== 'device-token';
    const approverScopes = union(input.credentialScopes, grant?.scopes ?? []);
    if (this.#opts.autoApproveLocal && shared && input.directLocal && scopes.every((s) => scopeSatisfied(approverScopes, s))) {
      // A request this device left pending is resolved under its id, so watchers can match the outcome.
      const stale = this.#store.listPending(now).find((r) => r.deviceId === device.deviceId && r.role === role);
      const req: PairingRequest = { ...base, requestId: stale?.requestId ?? crypto.randomUUID(), ts: now, expiresAtMs: now };
      const approved = this.#store.approve(req, 'auto:local', now);
      if ('status' in approved) return { kind: 'full', what: 'paired', retryAfterMs: 60_000 };
      this.#announce(resolvedEvents(req, 'approved', now));
      return this.admit({ ...input, wanted });
    }
    const outcome = this.#store.request(base, now);
    if (outcome.status === 'full') return { kind: 'full', what: 'pending', retryAfterMs: outcome.retryAfterMs };
    if (outcome.superseded) this.#announce(resolvedEvents(outcome.superseded, 'rejected', now));
    if (outcome.status === 'created') this.#announce(requestedEvents(outcome.request));
    return { kind: 'pairing-required', reason, request: outcome.request, approvedScopes: grant?.scopes ?? [] };
  }
}
