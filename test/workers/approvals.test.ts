// Approvals on workerd: a review decision opens a request, operators with operator.approvals see it as an
// event, resolve it once over the gateway, and the waiter gets the decision; unresolved requests expire.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { TEST_TOKEN } from '../contract/constants.ts';
import { operatorClient, useWorkersHarness } from './contract-harness.ts';

const operator = (scopes: string[]) => operatorClient(TEST_TOKEN, scopes, '192.0.2.9');

const request = { kind: 'command' as const, sessionKey: 'agent:main:main', summary: 'rm -rf build/', score: 40, reasons: [{ guard: 'command', rule: 'recursive-delete', weight: 40 }] };

useWorkersHarness();

describe('approvals on workers', () => {
  it('announces a request to approvers only, resolves it once, and wakes the waiter', async () => {
    const approver = await operator(['operator.approvals']);
    const reader = await operator(['operator.read']);
    const hub = env.GATEWAY.getByName('main');
    const approval = await hub.requestApproval(request, 60_000);
    expect(approval).toMatchObject({ status: 'pending', summary: 'rm -rf build/' });
    const event = await approver.next((f) => f.event === 'exec.approval.requested');
    expect(event.payload.id).toBe(approval!.id);
    const waiting = hub.waitApproval(approval!.id, 30_000);
    const listed = await approver.req('exec.approval.list', {});
    expect(listed.payload.approvals.map((a: { id: string }) => a.id)).toContain(approval!.id);
    const resolved = await approver.req('exec.approval.resolve', { id: approval!.id, decision: 'allow-once' });
    expect(resolved.payload).toEqual({ ok: true, id: approval!.id, status: 'allowed', changed: true });
    expect(await waiting).toMatchObject({ status: 'allowed', decision: 'allow-once' });
    const twice = await approver.req('exec.approval.resolve', { id: approval!.id, decision: 'deny' });
    expect(twice.payload).toMatchObject({ status: 'allowed', changed: false });
    const denied = await reader.req('exec.approval.resolve', { id: approval!.id, decision: 'deny' });
    expect(denied.error).toMatchObject({ code: 'FORBIDDEN', details: { missingScope: 'operator.approvals' } });
    await expect(reader.next((f) => f.event === 'exec.approval.requested', 300)).rejects.toThrow(/timed out/);
    const unknown = await approver.req('exec.approval.resolve', { id: 'nope', decision: 'deny' });
    expect(unknown.error).toMatchObject({ code: 'APPROVAL_NOT_FOUND' });
  });

  it('expires an unresolved request to a deny', async () => {
    const hub = env.GATEWAY.getByName('main');
    const approval = await hub.requestApproval(request, 50);
    const final = await hub.waitApproval(approval!.id, 5_000);
    expect(final).toMatchObject({ status: 'expired' });
    expect(final!.decision).toBeUndefined();
  });
});
