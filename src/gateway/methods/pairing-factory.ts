/**
 * What `device.pair.*` and `node.pair.*` share (openclaw-protocol.md §4.2): approve, reject and remove are the
 * same hub calls with the same checks for both kinds; only the method prefix, the id field (`deviceId` or
 * `nodeId`) and the result shapes differ, so each kind passes its result builders to {@link pairingMethods}.
 */
import { z } from 'zod';
import { GatewayError } from '../../errors.ts';
import type { Approver, Refusal } from '../device-hub.ts';
import type { PairedDevice, PairingRequest } from '../pairing-store.ts';
import { defineMethod, type MethodContext, type MethodDef } from '../registry.ts';
import type { Role } from '../scopes.ts';

/** A pending request's id as the methods accept it. */
export const RequestId = z.string().trim().min(1).max(128);

/**
 * The id of a paired device or node (64 lowercase hex digits), with an error naming the kind.
 * @example z.strictObject({ nodeId: pairedIdSchema('node') })
 */
export function pairedIdSchema(kind: 'device' | 'node') {
  return z.string().trim().regex(/^[0-9a-f]{64}$/, `expected a ${kind} id (64 lowercase hex digits)`);
}

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

/** How one kind shapes its results and what `remove` does beyond the hub call. */
export interface PairingResults {
  /** The `approve` result for an approved request. */
  approved(approved: { request: PairingRequest; device: PairedDevice }, requestId: string): object;
  /** The `reject` result for a rejected request. */
  rejected(request: PairingRequest): object;
  /** The role `remove` takes away; omitted: the whole device. */
  removeRole?: Role;
  /** Runs after a successful `remove` (e.g. an announcement). */
  afterRemove?(ctx: MethodContext, id: string): Promise<void>;
}

/**
 * `<kind>.pair.approve`, `<kind>.pair.reject` and `<kind>.pair.remove` (scope operator.pairing), the last
 * taking `{ [idField]: id }` and answering `{ [idField]: id, removed: true }`.
 * @example const { approve, reject, remove } = pairingMethods('node', 'nodeId', { approved: ..., rejected: ... })
 */
export function pairingMethods(kind: 'device' | 'node', idField: 'deviceId' | 'nodeId', results: PairingResults): { approve: MethodDef; reject: MethodDef; remove: MethodDef } {
  const approve = defineMethod({
    name: `${kind}.pair.approve`,
    scope: 'operator.pairing',
    params: z.strictObject({ requestId: RequestId }),
    async handler(ctx, p) {
      const r = await ctx.hub.pairingApprove(p.requestId, approverOf(ctx), kind);
      if (!r.ok) throw refusalError(r, 'requestId');
      return results.approved(r, p.requestId);
    },
  });
  const reject = defineMethod({
    name: `${kind}.pair.reject`,
    scope: 'operator.pairing',
    params: z.strictObject({ requestId: RequestId }),
    async handler(ctx, p) {
      const r = await ctx.hub.pairingReject(p.requestId, kind);
      if (!r) throw new GatewayError('INVALID_REQUEST', 'unknown requestId');
      return results.rejected(r);
    },
  });
  const Id = pairedIdSchema(kind);
  const remove = defineMethod({
    name: `${kind}.pair.remove`,
    scope: 'operator.pairing',
    params: z.strictObject({ [idField]: Id } as Record<typeof idField, typeof Id>),
    async handler(ctx, p) {
      const id = p[idField];
      if (!(await ctx.hub.deviceRemove(id, results.removeRole))) throw new GatewayError('INVALID_REQUEST', `unknown ${idField}`);
      await results.afterRemove?.(ctx, id);
      return { [idField]: id, removed: true };
    },
  });
  return { approve, reject, remove };
}
