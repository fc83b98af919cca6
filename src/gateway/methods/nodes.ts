/**
 * Node methods: node.pair.list/approve/reject/remove (operator.pairing; approving a node that declares
 * commands also needs write, or admin for `system.run`) and node.list/node.describe (operator.read):
 * paired nodes with the caps and commands they declared at connect, and whether they are connected.
 */
import { z } from 'zod';
import { GatewayError } from '../../errors.ts';
import type { PairingRequest } from '../pairing-store.ts';
import { defineMethod } from '../registry.ts';
import { approverOf, refusalError } from './devices.ts';

const RequestId = z.string().trim().min(1).max(128);
const NodeId = z.string().trim().regex(/^[0-9a-f]{64}$/, 'expected a node id (64 lowercase hex digits)');

function pendingNode(r: PairingRequest) {
  const c = r.client;
  return { requestId: r.requestId, nodeId: r.deviceId, displayName: c.displayName, platform: c.platform, version: c.version, caps: c.caps ?? [], commands: c.commands ?? [], reason: r.reason, ts: r.ts, expiresAtMs: r.expiresAtMs };
}

/** `node.pair.list`: pending node requests and paired nodes. */
export const nodePairList = defineMethod({
  name: 'node.pair.list',
  scope: 'operator.pairing',
  params: z.strictObject({}),
  async handler(ctx) {
    const [list, nodes] = await Promise.all([ctx.hub.pairingList(), ctx.hub.nodes()]);
    return { pending: list.pending.filter((r) => r.role === 'node').map(pendingNode), paired: nodes };
  },
});

/** `node.pair.approve`: approves a pending node request. */
export const nodePairApprove = defineMethod({
  name: 'node.pair.approve',
  scope: 'operator.pairing',
  params: z.strictObject({ requestId: RequestId }),
  async handler(ctx, p) {
    const r = await ctx.hub.pairingApprove(p.requestId, approverOf(ctx), 'node');
    if (!r.ok) throw refusalError(r, 'requestId');
    return { requestId: p.requestId, node: pendingNode(r.request) };
  },
});

/** `node.pair.reject`: drops a pending node request. */
export const nodePairReject = defineMethod({
  name: 'node.pair.reject',
  scope: 'operator.pairing',
  params: z.strictObject({ requestId: RequestId }),
  async handler(ctx, p) {
    const r = await ctx.hub.pairingReject(p.requestId, 'node');
    if (!r) throw new GatewayError('INVALID_REQUEST', 'unknown requestId');
    return { requestId: r.requestId, nodeId: r.deviceId, decision: 'rejected' };
  },
});

/** `node.pair.remove`: removes the node role of a device (and disconnects it as a node). */
export const nodePairRemove = defineMethod({
  name: 'node.pair.remove',
  scope: 'operator.pairing',
  params: z.strictObject({ nodeId: NodeId }),
  async handler(ctx, p) {
    const r = await ctx.hub.deviceRemove(p.nodeId, 'node');
    if (!r) throw new GatewayError('INVALID_REQUEST', 'unknown nodeId');
    await ctx.hub.broadcast('node.pair.resolved', { requestId: '', nodeId: p.nodeId, decision: 'removed', ts: ctx.now });
    return { nodeId: p.nodeId, removed: true };
  },
});

/** `node.list`: paired nodes with presence. */
export const nodeList = defineMethod({
  name: 'node.list',
  scope: 'operator.read',
  params: z.strictObject({}),
  async handler(ctx) {
    return { ts: ctx.now, nodes: await ctx.hub.nodes() };
  },
});

/** `node.describe`: one node. */
export const nodeDescribe = defineMethod({
  name: 'node.describe',
  scope: 'operator.read',
  params: z.strictObject({ nodeId: NodeId }),
  async handler(ctx, p) {
    const node = (await ctx.hub.nodes()).find((n) => n.nodeId === p.nodeId);
    if (!node) throw new GatewayError('INVALID_REQUEST', 'unknown nodeId');
    return { ts: ctx.now, ...node };
  },
});

/** Every node method, for the registry. */
export const NODE_METHODS = [nodePairList, nodePairApprove, nodePairReject, nodePairRemove, nodeList, nodeDescribe];
