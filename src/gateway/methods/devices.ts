/**
 * Device pairing methods (scope operator.pairing): device.pair.list/approve/reject/remove/rename and
 * device.token.rotate/revoke (openclaw-protocol.md §4.2). An approver never grants more than it holds.
 */
import { z } from 'zod';
import { GatewayError } from '../../errors.ts';
import { defineMethod } from '../registry.ts';
import { OPERATOR_SCOPES } from '../scopes.ts';
import { approverOf, pairedIdSchema, pairingMethods, refusalError } from './pairing-factory.ts';

const DeviceId = pairedIdSchema('device');
const RoleSchema = z.enum(['operator', 'node']);

/** `device.pair.list`: pending requests and paired devices (tokens never included). */
export const devicePairList = defineMethod({
  name: 'device.pair.list',
  scope: 'operator.pairing',
  params: z.strictObject({}),
  handler: (ctx) => ctx.hub.pairingList(),
});

const pair = pairingMethods('device', 'deviceId', {
  approved: (r, requestId) => ({ requestId, device: r.device, tokenDelivery: 'hello-ok' }),
  rejected: (r) => ({ requestId: r.requestId, deviceId: r.deviceId, role: r.role, decision: 'rejected' }),
});

/** `device.pair.approve`: grants the request's role and scopes; the device gets its token on its next connect. */
export const devicePairApprove = pair.approve;

/** `device.pair.reject`: drops a pending request. */
export const devicePairReject = pair.reject;

/** `device.pair.remove`: forgets a device and disconnects it. */
export const devicePairRemove = pair.remove;

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
