/** Approval methods: exec.approval.list and exec.approval.resolve (scope operator.approvals). */
import { z } from 'zod';
import { GatewayError } from '../../errors.ts';
import { ApprovalDecisionSchema } from '../approvals.ts';
import { defineMethod } from '../registry.ts';

/** `exec.approval.list`: approval requests, newest first. */
export const execApprovalList = defineMethod({
  name: 'exec.approval.list',
  scope: 'operator.approvals',
  params: z.strictObject({ pendingOnly: z.boolean().optional(), limit: z.number().int().min(1).max(1000).optional() }),
  async handler(ctx, p) {
    return { approvals: await ctx.hub.listApprovals({ pendingOnly: p.pendingOnly ?? true, limit: p.limit ?? 100 }) };
  },
});

/** `exec.approval.resolve`: allow or deny a pending request, once. */
export const execApprovalResolve = defineMethod({
  name: 'exec.approval.resolve',
  scope: 'operator.approvals',
  params: z.strictObject({ id: z.string().min(1).max(64), decision: ApprovalDecisionSchema }),
  async handler(ctx, p) {
    const result = await ctx.hub.resolveApproval(p.id, p.decision, `${ctx.caller.clientId || 'operator'}:${ctx.caller.connId}`);
    if (!result) throw new GatewayError('APPROVAL_NOT_FOUND', `approval not found: ${p.id}`);
    return { ok: true, id: p.id, status: result.approval.status, changed: result.changed };
  },
});
