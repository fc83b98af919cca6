/**
 * Device pairing methods (scope operator.pairing): device.pair.list/approve/reject/remove/rename and
 * device.token.rotate/revoke (openclaw-protocol.md §4.2). An approver never grants more than it holds.
 */
import { z } from 'zod';
import { GatewayError } from '../../errors.ts';
import type { Approver, Refusal } from '../device-hub.ts';
import { defineMethod, type MethodContext } from '../registry.ts';
import { OPERATOR_SCOPES } from '../scopes.ts';

const RequestId = z.string().trim().min(1).max(128);
const DeviceId = z.string().trim().regex(/^[0-9a-f]{64}$/, 'expected a device id (64 lowercase hex digits)');
const RoleSchema = z.enum(['operator', 'node']);

/**
 * The caller as an approver (its live scopes bound what it may grant).
 * @example await ctx.hub.pairingApprove(requestId, approverOf(ctx), 'device')
 */
export function approverOf(ctx: MethodContext): Approver {
  return { scopes: ctx.caller.scopes, by: `${ctx.caller.clientId || 'operator'}:${ctx.caller.connId}` };
}

/**
 * Turns a hub refusal into the protocol error.
 * @example if (!r.ok) throw refusalError(r, 'requestId')
 */
export function refusalError(r: Refusal, what: string): GatewayError {
  switch (r.error) {
    case 'unknown':
      return new GatewayError('INVALID_REQUEST', `unknown ${what}`);
    case 'forbidden':
      return new GatewayError('FORBIDDEN', `missing scope: ${r.missingScope}`, {
        details: { code: 'MISSING_SCOPE', missingScope: r.missingScope, requiredScopes: ['operator.pairing', r.missingScope] },
      });
    case 'full':
      return new GatewayError('UNAVAILABLE', 'too many paired devices (gateway.nodes.pairing.maxPaired); remove one first', { retryable: false });
    case 'widening':
      return new GatewayError('INVALID_REQUEST', `invalid device.token.rotate params: scopes: ${r.scope} is not approved for this device; widen scopes through pairing`);
  }
}

/** `device.pair.list`: pending requests and paired devices (tokens never included). */
export const devicePairList = defineMethod({
  name: 'device.pair.list',
  scope: 'operator.pairing',
  params: z.strictObject({}),
  handler: (ctx) => ctx.hub.pairingList(),
});

/** `device.pair.approve`: grants the request's role and scopes; the device gets its token on its next connect. */
export const devicePairApprove = defineMethod({
  name: 'device.pair.approve',
  scope: 'operator.pairing',
  params: z.strictObject({ requestId: RequestId }),
  async handler(ctx, p) {
    const r = await ctx.hub.pairingApprove(p.requestId, approverOf(ctx), 'device');
    if (!r.ok) throw refusalError(r, 'requestId');
    return { requestId: p.requestId, device: r.device, tokenDelivery: 'hello-ok' };
  },
});

/** `device.pair.reject`: drops a pending request. */
export const devicePairReject = defineMethod({
  name: 'device.pair.reject',
  scope: 'operator.pairing',
  params: z.strictObject({ requestId: RequestId }),
  async handler(ctx, p) {
    const r = await ctx.hub.pairingReject(p.requestId, 'device');
    if (!r) throw new GatewayError('INVALID_REQUEST', 'unknown requestId');
    return { requestId: r.requestId, deviceId: r.deviceId, role: r.role, decision: 'rejected' };
  },
});

/** `device.pair.remove`: forgets a device and disconnects it. */
export const devicePairRemove = defineMethod({
  name: 'device.pair.remove',
  scope: 'operator.pairing',
  params: z.strictObject({ deviceId: DeviceId }),
  async handler(ctx, p) {
    const r = await ctx.hub.deviceRemove(p.deviceId);
    if (!r) throw new GatewayError('INVALID_REQUEST', 'unknown deviceId');
    return { deviceId: r.deviceId, removed: true };
  },
});

/** `device.pair.rename`: the operator's label for a device. */
export const devicePairRename = defineMethod({
  name: 'device.pair.rename',
  scope: 'operator.pairing',
  params: z.strictObject({ deviceId: DeviceId, label: z.string().trim().min(1, 'label required').max(64) }),
  async handler(ctx, p) {
    if (!(await ctx.hub.deviceRename(p.deviceId, p.label))) throw new GatewayError('INVALID_REQUEST', 'unknown deviceId');
    await ctx.hub.broadcast('device.pair.changed', { deviceId: p.deviceId, ts: ctx.now });
    return { deviceId: p.deviceId, label: p.label };
  },
});

/** `device.token.rotate`: a new token (shown once here), optionally narrower; the old one stops working at once. */
export const deviceTokenRotate = defineMethod({
  name: 'device.token.rotate',
  scope: 'operator.pairing',
  params: z.strictObject({ deviceId: DeviceId, role: RoleSchema, scopes: z.array(z.enum(OPERATOR_SCOPES)).max(16).optional() }),
  async handler(ctx, p) {
    const r = await ctx.hub.deviceTokenRotate(p.deviceId, p.role, p.scopes, approverOf(ctx));
    if (!r.ok) throw refusalError(r, 'deviceId/role');
    return { deviceId: p.deviceId, role: p.role, token: r.token, scopes: r.grant.scopes, rotatedAtMs: r.grant.token.issuedAtMs ?? ctx.now, tokenDelivery: 'in-band' };
  },
});

/** `device.token.revoke`: the token stops working at once and its sockets are closed. */
export const deviceTokenRevoke = defineMethod({
  name: 'device.token.revoke',
  scope: 'operator.pairing',
  params: z.strictObject({ deviceId: DeviceId, role: RoleSchema }),
  async handler(ctx, p) {
    const r = await ctx.hub.deviceTokenRevoke(p.deviceId, p.role);
    if (!r) throw new GatewayError('INVALID_REQUEST', 'unknown deviceId/role');
    return { deviceId: p.deviceId, role: p.role, revokedAtMs: r.token.revokedAtMs ?? ctx.now };
  },
});

/** Every device method, for the registry. */
export const DEVICE_METHODS = [devicePairList, devicePairApprove, devicePairReject, devicePairRemove, devicePairRename, deviceTokenRotate, deviceTokenRevoke];
