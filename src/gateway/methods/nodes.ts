/**
 * Node methods: node.pair.list/approve/reject/remove (operator.pairing; approving a node that declares
 * commands also needs write, or admin for `system.run`) and node.list/node.describe (operator.read):
 * paired nodes with the caps and commands they declared at connect, and whether they are connected.
 */
import { z } from 'zod';
import { GatewayError } from '../../errors.ts';
import type { PairingRequest } from '../pairing-store.ts';
import { defineMethod } from '../registry.ts';
import { pairedIdSchema, pairingMethods } from './pairing-factory.ts';

const NodeId = pairedIdSchema('node');

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

const pair = pairingMethods('node', 'nodeId', {
  approved: (r, requestId) => ({ requestId, node: pendingNode(r.request) }),
  rejected: (r) => ({ requestId: r.requestId, nodeId: r.deviceId, decision: 'rejected' }),
  removeRole: 'node',
  afterRemove: (ctx, nodeId) => ctx.hub.broadcast('node.pair.resolved', { requestId: '', nodeId, decision: 'removed', ts: ctx.now }),
});

/** `node.pair.approve`: approves a pending node request. */
export const nodePairApprove = pair.approve;

/** `node.pair.reject`: drops a pending node request. */
export const nodePairReject = pair.reject;

/** `node.pair.remove`: removes the node role of a device (and disconnects it as a node). */
export const nodePairRemove = pair.remove;

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
