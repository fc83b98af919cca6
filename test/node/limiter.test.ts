// LimiterDO, the global limits, as the real class in the Node Durable Object host on real SQLite files:
// concurrency leases granted to waiters the moment a slot frees (FIFO, no polling), lease expiry and
// renewal, the global queue bound's admission, and both surviving a host restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LimiterDO } from '../../durable/limiter-do.ts';
import { DurableObjectHost, type NodeDurableObjectNamespace } from '../../node-adapter/do-host.ts';
import { createLogger } from '../../src/log.ts';

let dir: string;
let host: DurableObjectHost;
let ns: NodeDurableObjectNamespace<LimiterDO>;

function open(): void {
  host = new DurableObjectHost({ dataDir: dir, maxActive: 16, idleEvictMs: 60_000, log: createLogger('error') });
  ns = host.namespace('LIMITER', LimiterDO, () => ({}));
  host.start();
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgeclaw-limiter-'));
  open();
});

afterEach(async () => {
  await host.close(1_000);
  rmSync(dir, { recursive: true, force: true });
});

describe('LimiterDO concurrency leases', () => {
  it('refuses beyond max, then grants waiters in arrival order as holders release', async () => {
    const lim = ns.getByName('global');
    expect(await lim.acquire('a', 2, 60_000)).toMatchObject({ granted: true, active: 1 });
    expect(await lim.acquire('b', 2, 60_000)).toMatchObject({ granted: true, active: 2 });
    expect(await lim.acquire('c', 2, 60_000)).toMatchObject({ granted: false, retryAfterMs: 1_000 });
    const order: string[] = [];
    const c = lim.acquire('c', 2, 60_000, 30_000).then((r) => (order.push('c'), r));
    const d = lim.acquire('d', 2, 60_000, 30_000).then((r) => (order.push('d'), r));
    await new Promise((r) => setImmediate(r));
    expect(await lim.waiting()).toBe(2);
    // The freed slot goes to the first waiter, not to a newcomer asking right after.
    await lim.release('a');
    expect(await lim.acquire('e', 2, 60_000)).toMatchObject({ granted: false });
    expect(await c).toMatchObject({ granted: true, waited: true });
    await lim.release('b');
    expect(await d).toMatchObject({ granted: true, waited: true });
    expect(order).toEqual(['c', 'd']);
    expect(await lim.active()).toBe(2);
  });

  it('renews a holder without taking a second slot', async () => {
    const lim = ns.getByName('global');
    expect(await lim.acquire('a', 1, 60_000)).toMatchObject({ granted: true });
    expect(await lim.acquire('a', 1, 60_000)).toMatchObject({ granted: true, active: 1 });
    expect(await lim.renew('a', 60_000)).toBe(true);
    expect(await lim.renew('nobody', 60_000)).toBe(false);
  });

  it('frees the slot of a holder that died (never released) once its lease expires, granting the waiter', async () => {
    const lim = ns.getByName('global');
    expect(await lim.acquire('dead', 1, 50)).toMatchObject({ granted: true });
    // Answered by the expiry timer, not by a release or a poll; a timeout would answer granted: false.
    expect(await lim.acquire('alive', 1, 60_000, 30_000)).toMatchObject({ granted: true, waited: true });
    expect(await lim.renew('dead', 60_000)).toBe(false);
  });

  it('answers granted: false when the wait times out', async () => {
    const lim = ns.getByName('global');
    await lim.acquire('a', 1, 60_000);
    expect(await lim.acquire('b', 1, 60_000, 20)).toEqual({ granted: false, retryAfterMs: 0, waited: true, active: 1 });
    expect(await lim.waiting()).toBe(0);
  });

  it('keeps leases across a host restart (a crashed process does not reset the count)', async () => {
    await ns.getByName('global').acquire('a', 1, 60_000);
    await host.close(1_000);
    open();
    expect(await ns.getByName('global').acquire('b', 1, 60_000)).toMatchObject({ granted: false });
    await ns.getByName('global').release('a');
    expect(await ns.getByName('global').acquire('b', 1, 60_000)).toMatchObject({ granted: true });
  });
});

describe('LimiterDO global queue bound', () => {
  it('admits session counts up to the cap, refuses growth beyond it, and admits again after a drain', async () => {
    const q = ns.getByName('queue');
    expect(await q.admit('s1', 2, 3)).toEqual({ admitted: true, total: 2 });
    expect(await q.admit('s2', 1, 3)).toEqual({ admitted: true, total: 3 });
    expect(await q.admit('s2', 2, 3)).toEqual({ admitted: false, total: 3, retryAfterMs: 1_000 });
    expect(await q.admit('s1', 0, 3)).toEqual({ admitted: true, total: 1 });
    expect(await q.admit('s2', 2, 3)).toEqual({ admitted: true, total: 2 });
    expect(await q.queuedTotal()).toBe(2);
  });

  it('keeps counts across a restart, and a session corrects a stale count by reporting its real one', async () => {
    await ns.getByName('queue').admit('crashed', 3, 3);
    await host.close(1_000);
    open();
    const q = ns.getByName('queue');
    expect(await q.admit('other', 1, 3)).toMatchObject({ admitted: false });
    expect(await q.admit('crashed', 1, 3)).toEqual({ admitted: true, total: 1 });
    expect(await q.admit('other', 2, 3)).toEqual({ admitted: true, total: 3 });
  });
});
