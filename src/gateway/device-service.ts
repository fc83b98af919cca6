/**
 * DeviceHub over the pairing store and the hub's sockets: approval rules (never more than the approver
 * holds), token rotation/revocation that closes the affected sockets at once, events to pairing holders,
 * and the node view (paired nodes + connected node sockets).
 */
import { attachmentOf, closeQuietly, type GatewaySocket } from './connection.ts';
import { resolvedEvents } from './device-gate.ts';
import type { Approver, DeviceHub, DeviceView, NodeView, Refusal } from './device-hub.ts';
import { missingApproverScope, type DeviceGrant, type PairedDevice, type PairingRequest, type PairingStore } from './pairing-store.ts';
import { scopeSatisfied, type OperatorScope, type Role } from './scopes.ts';

/** What the service needs from its host (GatewayDO). */
export interface DeviceServiceHost {
  /** Open sockets of the hub. */
  sockets(): GatewaySocket[];
  /** Broadcasts an event to sockets allowed to receive it. */
  announce(event: string, payload: unknown): void;
  now(): number;
}

/** Pairing operations for the gateway methods. */
export class DeviceService implements DeviceHub {
  readonly #store: PairingStore;
  readonly #host: DeviceServiceHost;

  constructor(store: PairingStore, host: DeviceServiceHost) {
    this.#store = store;
    this.#host = host;
  }

  #emit(events: { event: string; payload: unknown }[]): void {
    for (const e of events) this.#host.announce(e.event, e.payload);
  }

  /** Expires pending requests past their TTL and announces them. */
  expire(): void {
    const now = this.#host.now();
    for (const req of this.#store.expire(now)) this.#emit(resolvedEvents(req, 'expired', now));
  }

  /** Closes every socket of a device (optionally only those of one role); returns how many. */
  #disconnect(deviceId: string, role: Role | undefined, reason: string): number {
    let n = 0;
    for (const ws of this.#host.sockets()) {
      const att = attachmentOf(ws);
      if (att.deviceId !== deviceId || (role && att.role !== role)) continue;
      closeQuietly(ws, 1008, reason);
      n++;
    }
    return n;
  }

  #connected(deviceId: string): boolean {
    return this.#host.sockets().some((ws) => {
      const att = attachmentOf(ws);
      return att.authed && att.deviceId === deviceId;
    });
  }

  async pairingList(): Promise<{ pending: PairingRequest[]; paired: DeviceView[] }> {
    this.expire();
    return { pending: this.#store.listPending(this.#host.now()), paired: this.#store.listDevices().map((d) => ({ ...d, connected: this.#connected(d.deviceId) })) };
  }

  async pairingApprove(requestId: string, approver: Approver, kind: 'device' | 'node'): Promise<{ ok: true; request: PairingRequest; device: PairedDevice } | Refusal> {
    const now = this.#host.now();
    const req = this.#store.pending(requestId, now);
    if (!req || (kind === 'node' && req.role !== 'node')) return { ok: false, error: 'unknown' };
    const missing = missingApproverScope(req, approver.scopes);
    if (missing) return { ok: false, error: 'forbidden', missingScope: missing };
    const device = this.#store.approve(req, approver.by, now);
    if ('status' in device) return { ok: false, error: 'full' };
    this.#emit(resolvedEvents(req, 'approved', now));
    return { ok: true, request: req, device };
  }

  async pairingReject(requestId: string, kind: 'device' | 'node'): Promise<PairingRequest | null> {
    const now = this.#host.now();
    const req = this.#store.pending(requestId, now);
    if (!req || (kind === 'node' && req.role !== 'node')) return null;
    this.#store.dropRequest(requestId);
    this.#emit(resolvedEvents(req, 'rejected', now));
    return req;
  }

  async deviceRemove(deviceId: string, role?: Role): Promise<PairedDevice | null> {
    const removed = this.#store.remove(deviceId, role);
    if (removed) {
      this.#disconnect(deviceId, role, 'device pairing removed');
      this.#host.announce('device.pair.changed', { deviceId, removed: role ?? 'device', ts: this.#host.now() });
    }
    return removed;
  }

  async deviceRename(deviceId: string, label: string): Promise<boolean> {
    return this.#store.rename(deviceId, label);
  }

  async deviceTokenRotate(deviceId: string, role: Role, scopes: OperatorScope[] | undefined, approver: Approver): Promise<{ ok: true; token: string; grant: DeviceGrant } | Refusal> {
    const grant = this.#store.device(deviceId)?.grants.find((g) => g.role === role);
    if (!grant) return { ok: false, error: 'unknown' };
    // A node token is a node credential: only an admin may mint one by hand.
    if (role === 'node' && !scopeSatisfied(approver.scopes, 'operator.admin')) return { ok: false, error: 'forbidden', missingScope: 'operator.admin' };
    const next = scopes ? [...new Set(scopes)] : grant.scopes;
    const widening = next.find((s) => !scopeSatisfied(grant.scopes, s));
    if (widening) return { ok: false, error: 'widening', scope: widening };
    const missing = next.find((s) => !scopeSatisfied(approver.scopes, s));
    if (missing) return { ok: false, error: 'forbidden', missingScope: missing };
    const issued = await this.#store.issueToken(deviceId, role, this.#host.now(), role === 'operator' ? next : []);
    if (!issued) return { ok: false, error: 'unknown' };
    this.#disconnect(deviceId, role, 'device token rotated');
    return { ok: true, token: issued.token, grant: issued.grant };
  }

  async deviceTokenRevoke(deviceId: string, role: Role): Promise<DeviceGrant | null> {
    const grant = this.#store.revokeToken(deviceId, role, this.#host.now());
    if (grant) this.#disconnect(deviceId, role, 'device token revoked');
    return grant;
  }

  async nodes(): Promise<NodeView[]> {
    const live = new Map<string, number>();
    for (const ws of this.#host.sockets()) {
      const att = attachmentOf(ws);
      if (att.authed && att.role === 'node' && att.deviceId) live.set(att.deviceId, att.openedAt);
    }
    const out: NodeView[] = [];
    for (const d of this.#store.listDevices()) {
      const grant = d.grants.find((g) => g.role === 'node');
      if (!grant) continue;
      const c = d.client;
      const connectedAt = live.get(d.deviceId);
      out.push({
        nodeId: d.deviceId,
        ...(c.displayName ? { displayName: c.displayName } : {}),
        ...(d.label ? { label: d.label } : {}),
        ...(c.platform ? { platform: c.platform } : {}),
        ...(c.deviceFamily ? { deviceFamily: c.deviceFamily } : {}),
        ...(c.version ? { version: c.version } : {}),
        caps: c.caps ?? [],
        commands: c.commands ?? [],
        paired: true,
        connected: connectedAt !== undefined,
        ...(connectedAt !== undefined ? { connectedAtMs: connectedAt } : {}),
        ...(d.lastSeenAtMs !== undefined ? { lastSeenAtMs: d.lastSeenAtMs } : {}),
        approvedAtMs: grant.approvedAtMs,
      });
    }
    return out;
  }
}
