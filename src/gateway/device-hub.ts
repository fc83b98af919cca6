/**
 * The pairing side of the gateway hub (implemented by GatewayDO, reached over RPC from HTTP): listing and
 * resolving pairing requests, managing paired devices and their tokens, and the node view. Values only,
 * so the same calls work across the DO RPC boundary. Rules that need the caller's scopes live here too.
 */
import type { DeviceGrant, PairedDevice, PairingRequest } from './pairing-store.ts';
import type { OperatorScope, Role } from './scopes.ts';

/** Who resolves a request or rotates a token: the caller's live scopes and a label for the audit trail. */
export interface Approver {
  scopes: OperatorScope[];
  by: string;
}

/** A paired device as listed (grants carry token state only; token digests never leave the store). */
export interface DeviceView extends PairedDevice {
  connected: boolean;
}

/** A node (a device paired for the `node` role) with what it declared at its latest connect. */
export interface NodeView {
  nodeId: string;
  displayName?: string;
  label?: string;
  platform?: string;
  deviceFamily?: string;
  version?: string;
  caps: string[];
  commands: string[];
  paired: true;
  connected: boolean;
  connectedAtMs?: number;
  lastSeenAtMs?: number;
  approvedAtMs: number;
}

/** Why an operation was refused. */
export type Refusal =
  | { ok: false; error: 'unknown' }
  | { ok: false; error: 'forbidden'; missingScope: OperatorScope }
  | { ok: false; error: 'full' }
  | { ok: false; error: 'widening'; scope: string };

/** Pairing operations of the hub. */
export interface DeviceHub {
  /** Pending requests and paired devices. */
  pairingList(): Promise<{ pending: PairingRequest[]; paired: DeviceView[] }>;
  /** Approves a pending request (only node requests when `kind` is node). */
  pairingApprove(requestId: string, approver: Approver, kind: 'device' | 'node'): Promise<{ ok: true; request: PairingRequest; device: PairedDevice } | Refusal>;
  /** Rejects a pending request; null when unknown. */
  pairingReject(requestId: string, kind: 'device' | 'node'): Promise<PairingRequest | null>;
  /** Forgets a device (or one role of it) and closes its sockets; null when unknown. */
  deviceRemove(deviceId: string, role?: Role): Promise<PairedDevice | null>;
  /** Sets a device's label; false when unknown. */
  deviceRename(deviceId: string, label: string): Promise<boolean>;
  /** Mints a new token (the old one stops working, sockets of that device+role are closed). */
  deviceTokenRotate(deviceId: string, role: Role, scopes: OperatorScope[] | undefined, approver: Approver): Promise<{ ok: true; token: string; grant: DeviceGrant } | Refusal>;
  /** Revokes a device token (sockets of that device+role are closed); null when unknown. */
  deviceTokenRevoke(deviceId: string, role: Role): Promise<DeviceGrant | null>;
  /** Paired nodes with presence. */
  nodes(): Promise<NodeView[]>;
}

/**
 * DeviceHub over an RPC stub of GatewayDO (for methods dispatched over HTTP).
 * @example const hub = { ...otherHubMethods, ...deviceHubOf(() => env.GATEWAY.getByName('main')) }
 */
export function deviceHubOf(stub: () => DeviceHub): DeviceHub {
  return {
    pairingList: () => stub().pairingList(),
    pairingApprove: (requestId, approver, kind) => stub().pairingApprove(requestId, approver, kind),
    pairingReject: (requestId, kind) => stub().pairingReject(requestId, kind),
    deviceRemove: (deviceId, role) => stub().deviceRemove(deviceId, role),
    deviceRename: (deviceId, label) => stub().deviceRename(deviceId, label),
    deviceTokenRotate: (deviceId, role, scopes, approver) => stub().deviceTokenRotate(deviceId, role, scopes, approver),
    deviceTokenRevoke: (deviceId, role) => stub().deviceTokenRevoke(deviceId, role),
    nodes: () => stub().nodes(),
  };
}
