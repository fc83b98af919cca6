// ApprovalStore limits: the pending cap fails closed, resolved rows are pruned oldest first, expiry denies.
import { describe, expect, it } from 'vitest';
import { ApprovalStore } from '../../../src/gateway/approvals.ts';
import { NodeSqlStorage } from '../../../node-adapter/sql-storage.ts';
import { openDatabase } from '../../../node-adapter/sqlite.ts';

const req = { kind: 'command' as const, summary: 'x', score: 40, reasons: [] };

function store(limits = { pending: 2, resolved: 3 }) {
  const s = new ApprovalStore(new NodeSqlStorage(openDatabase(':memory:')), limits);
  s.migrate();
  return s;
}

describe('approval store', () => {
  it('refuses new requests once the pending cap is reached', () => {
    const s = store();
    expect(s.create(req, 0, 1_000)).not.toBeNull();
    expect(s.create(req, 0, 1_000)).not.toBeNull();
    expect(s.create(req, 0, 1_000)).toBeNull();
  });

  it('keeps only the newest resolved approvals', () => {
    const s = store({ pending: 10, resolved: 3 });
    const ids = Array.from({ length: 5 }, (_, i) => s.create(req, i, 1_000)!.id);
    ids.forEach((id, i) => s.resolve(id, 'deny', 'op', 100 + i));
    expect(s.list({ limit: 10 }).map((a) => a.id).sort()).toEqual(ids.slice(2).sort());
  });

  it('expires pending approvals at their deadline and never resolves them afterwards', () => {
    const s = store();
    const a = s.create(req, 0, 100)!;
    expect(s.expire(99)).toEqual([]);
    expect(s.expire(100)).toEqual([a.id]);
    expect(s.resolve(a.id, 'allow-once', 'op', 101)).toMatchObject({ changed: false, approval: { status: 'expired' } });
  });
});
