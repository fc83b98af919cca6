// SessionDriver, the runtime-neutral drain loop, over a real SessionQueue: steering, aborts, interrupts,
// the global limiter and restart recovery, ordered with gates instead of sleeps.
import { describe, expect, it } from 'vitest';
import { NodeSqlStorage } from '../../../node-adapter/sql-storage.ts';
import { openDatabase } from '../../../node-adapter/sqlite.ts';
import type { GlobalQueueSettings } from '../../../src/scheduler/decide.ts';
import { SessionDriver, type LimiterPort, type QueueBoundPort } from '../../../src/scheduler/session-driver.ts';
import { SessionQueue } from '../../../src/scheduler/session-queue.ts';
import type { TurnInput, TurnRunner } from '../../../src/scheduler/turn-runner.ts';

const SETTINGS: GlobalQueueSettings = { mode: 'steer', cap: 20, drop: 'summarize', debounceMs: 0, byChannel: {} };

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A runner that parks each turn until released (or aborted), recording what it saw. */
function gatedRunner() {
  const turns: { input: TurnInput; release: (reply?: string) => void; steered: string[] }[] = [];
  const started: ((n: number) => void)[] = [];
  const runner: TurnRunner = async (input) => {
    const gate = deferred<string | undefined>();
    const turn = { input, release: (reply?: string) => gate.resolve(reply), steered: [] as string[] };
    turns.push(turn);
    started.splice(0).forEach((f) => f(turns.length));
    const onAbort = new Promise<never>((_, reject) => input.signal.addEventListener('abort', () => reject(input.signal.reason)));
    const reply = await Promise.race([gate.promise, onAbort]);
    turn.steered = (await input.steering()).map((i) => i.text);
    return { messages: reply ? [{ role: 'assistant', text: reply }] : [], usage: { inputTokens: 3, outputTokens: 2, costUsd: 0.001 } };
  };
  const nthStart = (n: number) => new Promise<void>((r) => (turns.length >= n ? r() : started.push((k) => k >= n && r())));
  return { runner, turns, nthStart };
}

function setup(opts: { runner?: TurnRunner; limiter?: LimiterPort; queueBound?: QueueBoundPort; settings?: Partial<GlobalQueueSettings>; db?: ReturnType<typeof openDatabase> } = {}) {
  const db = opts.db ?? openDatabase(':memory:');
  const queue = new SessionQueue(new NodeSqlStorage(db), { queueCap: 20, historyCap: 1000, historyMaxBytes: 1 << 20, toolResultMaxBytes: 64, idempotencyCap: 100, idempotencyTtlMs: 86_400_000 });
  queue.migrate();
  const driver = new SessionDriver({
    queue,
    transaction: (fn) => fn(),
    settings: { ...SETTINGS, ...opts.settings },
    ...(opts.runner ? { runner: opts.runner } : {}),
    ...(opts.limiter ? { limiter: opts.limiter } : {}),
    ...(opts.queueBound ? { queueBound: opts.queueBound } : {}),
  });
  return { db, queue, driver, roles: () => queue.historyPage(1000).entries.map((h) => `${h.role}:${h.text}`) };
}

describe('SessionDriver', () => {
  it('records user turns with the default runner and answers nothing', async () => {
    const { driver, roles, queue } = setup();
    driver.enqueue('agent:main:main', { text: 'hi' });
    expect(await driver.drain()).toBeNull();
    expect(roles()).toEqual(['user:hi']);
    expect(queue.run('run-1')).toMatchObject({ state: 'done' });
  });

  it('hands steer messages that arrive during a run to the runner, in order, exactly once', async () => {
    const g = gatedRunner();
    const { driver, roles, queue } = setup({ runner: g.runner });
    driver.enqueue('s', { text: 'first' });
    const draining = driver.drain();
    await g.nthStart(1);
    driver.enqueue('s', { text: 'steer a' });
    driver.enqueue('s', { text: 'steer b' });
    g.turns[0]!.release('answer');
    expect(await draining).toBeNull();
    expect(g.turns).toHaveLength(1);
    expect(g.turns[0]!.steered).toEqual(['steer a', 'steer b']);
    expect(roles()).toEqual(['user:first', 'user:steer a', 'user:steer b', 'assistant:answer']);
    expect(queue.run('run-2')).toMatchObject({ state: 'done', mergedInto: 'run-1' });
    expect(queue.usage()).toEqual({ inputTokens: 3, outputTokens: 2, costUsd: 0.001, runs: 1 });
  });

  it('runs followup messages that arrive during a run as their own later turns', async () => {
    const g = gatedRunner();
    const { driver } = setup({ runner: g.runner, settings: { mode: 'followup' } });
    driver.enqueue('s', { text: 'first' });
    const draining = driver.drain();
    await g.nthStart(1);
    driver.enqueue('s', { text: 'second' });
    g.turns[0]!.release();
    await g.nthStart(2);
    expect(g.turns[1]!.input.items.map((i) => i.text)).toEqual(['second']);
    g.turns[1]!.release();
    await draining;
    expect(g.turns[0]!.steered).toEqual([]);
  });

  it('aborts queued turns first, then the active run through its signal', async () => {
    const g = gatedRunner();
    const { driver, queue, roles } = setup({ runner: g.runner, settings: { mode: 'followup' } });
    driver.enqueue('s', { text: 'running' });
    const draining = driver.drain();
    await g.nthStart(1);
    driver.enqueue('s', { text: 'queued' });
    expect(driver.abort()).toEqual({ aborted: [{ seq: 2, runId: 'run-2', key: null }], activeAborted: 'run-1' });
    await draining;
    expect(g.turns).toHaveLength(1);
    expect(queue.run('run-1')).toMatchObject({ state: 'aborted' });
    expect(queue.run('run-2')).toMatchObject({ state: 'aborted', reason: 'aborted by request' });
    expect(roles()).toEqual(['user:running', 'system:[run run-1 aborted]']);
  });

  it('interrupt aborts the active run and older queued turns, then runs the newest message', async () => {
    const g = gatedRunner();
    const { driver, queue } = setup({ runner: g.runner, settings: { mode: 'followup' } });
    driver.enqueue('s', { text: 'long task' });
    const draining = driver.drain();
    await g.nthStart(1);
    driver.enqueue('s', { text: 'older' });
    const r = await driver.enqueue('s', { text: 'stop, do this', queueMode: 'interrupt' });
    expect(r).toMatchObject({ status: 'queued', seq: 3, aborted: [{ seq: 2 }] });
    await g.nthStart(2);
    expect(g.turns[1]!.input.items.map((i) => i.text)).toEqual(['stop, do this']);
    g.turns[1]!.release();
    await draining;
    expect([1, 2, 3].map((s) => queue.run(`run-${s}`)!.state)).toEqual(['aborted', 'aborted', 'done']);
  });

  it('ends a run failed when the runner throws, and keeps draining', async () => {
    let calls = 0;
    const { driver, queue } = setup({ runner: async () => { if (calls++ === 0) throw new Error('provider down'); return { messages: [] }; } });
    driver.enqueue('s', { text: 'a' });
    driver.enqueue('s', { text: 'b', queueMode: 'followup' });
    await driver.drain();
    expect(queue.run('run-1')).toMatchObject({ state: 'failed', reason: 'provider down' });
    expect(queue.run('run-2')).toMatchObject({ state: 'done' });
  });

  it('truncates tool results before storing them', async () => {
    const { driver, roles } = setup({ runner: async () => ({ messages: [{ role: 'tool', text: 'x'.repeat(500) }] }) });
    driver.enqueue('s', { text: 'go' });
    await driver.drain();
    const tool = roles()[1]!;
    expect(new TextEncoder().encode(tool.slice('tool:'.length)).byteLength).toBeLessThanOrEqual(64);
    expect(tool).toMatch(/…\[truncated \d+ bytes\]$/);
  });

  it('waits for a global slot when the limiter refuses, reports busy to producers meanwhile, and runs once granted', async () => {
    const slot = deferred<{ granted: boolean }>();
    const calls: number[] = [];
    const released: string[] = [];
    const limiter: LimiterPort = {
      acquire: async (_h, waitMs) => {
        calls.push(waitMs);
        return waitMs === 0 ? { granted: false, retryAfterMs: 300 } : slot.promise;
      },
      release: async (h) => void released.push(h),
    };
    const { driver, queue } = setup({ limiter });
    await driver.enqueue('s', { text: 'a' });
    const draining = driver.drain();
    await new Promise((r) => setImmediate(r));
    // The first ask answers now; the second waits for the limiter to grant (no polling in between).
    expect(calls).toEqual([0, 60_000]);
    expect(queue.pending(10)).toHaveLength(1);
    expect(await driver.enqueue('s', { text: 'b' })).toMatchObject({ status: 'queued', deferred: { reason: 'busy', retryAfterMs: 300 } });
    expect(driver.snapshot().deferred).toMatchObject({ reason: 'busy' });
    slot.resolve({ granted: true });
    expect(await draining).toBeNull();
    expect(queue.pending(10)).toHaveLength(0);
    expect(driver.snapshot().deferred).toBeNull();
    expect(released).toEqual(['s', 's']);
  });

  it('wakes again right away when a wait for a slot times out, and backs off when the limiter fails', async () => {
    let fail = false;
    const limiter: LimiterPort = { acquire: async () => { if (fail) throw new Error('limiter reset'); return { granted: false, retryAfterMs: 0 }; }, release: async () => undefined };
    const { driver } = setup({ limiter });
    await driver.enqueue('s', { text: 'a' });
    const before = Date.now();
    expect(await driver.drain()).toBeLessThan(before + 50);
    fail = true;
    expect(await driver.drain()).toBeGreaterThanOrEqual(before + 250);
  });

  it('rejects an enqueue the global queue bound refuses (global_queue_full), and answers duplicates without asking', async () => {
    const asked: number[] = [];
    let room = 1;
    const queueBound = { cap: 1, admit: async (_h: string, desired: number) => { asked.push(desired); return desired <= room ? { admitted: true } : { admitted: false, retryAfterMs: 1_000 }; } };
    const { driver, queue } = setup({ queueBound });
    expect(await driver.enqueue('s', { text: 'a', key: 'k1' })).toMatchObject({ status: 'queued', seq: 1 });
    expect(await driver.enqueue('s', { text: 'b', key: 'k2' })).toEqual({ status: 'rejected', reason: 'global_queue_full', cap: 1, retryAfterMs: 1_000 });
    expect(await driver.enqueue('s', { text: 'a again', key: 'k1' })).toMatchObject({ status: 'duplicate', seq: 1 });
    expect(asked).toEqual([1, 2]);
    expect(queue.pending(10).map((p) => p.text)).toEqual(['a']);
    room = 0;
    await driver.drain();
    // Items that left the queue are reported, so the session's count drops back to 0.
    await new Promise((r) => setImmediate(r));
    expect(asked.at(-1)).toBe(0);
  });

  it('fails closed with limiter_unavailable when the global queue bound cannot be asked', async () => {
    const queueBound = { cap: 5, admit: async () => { throw new Error('unreachable'); } };
    const { driver, queue } = setup({ queueBound });
    expect(await driver.enqueue('s', { text: 'a' })).toMatchObject({ status: 'rejected', reason: 'limiter_unavailable' });
    expect(queue.pending(10)).toHaveLength(0);
  });

  it('resumes a run left running by a dead process once, in order, and frees its lease', async () => {
    const db = openDatabase(':memory:');
    const first = setup({ db });
    first.driver.enqueue('s', { text: 'in flight' });
    first.driver.enqueue('s', { text: 'next', queueMode: 'followup' });
    first.queue.startTurn([1], Date.now()); // the process dies here, mid-run
    const released: string[] = [];
    const second = setup({ db, limiter: { acquire: async () => ({ granted: true }), release: async (h) => void released.push(h) } });
    expect(await second.driver.recover()).toEqual(['run-1']);
    expect(released).toEqual(['s']);
    expect(second.queue.run('run-1')).toMatchObject({ state: 'queued' });
    expect(second.queue.pending(10).map((p) => p.text)).toEqual(['in flight', 'next']);
    await second.driver.drain();
    expect(second.roles()).toEqual(['user:in flight', 'user:next']);
    expect(second.queue.run('run-1')).toMatchObject({ state: 'done' });
  });

  it('marks a run interrupted when it dies again after its resume, and reports it', async () => {
    const db = openDatabase(':memory:');
    const first = setup({ db });
    first.driver.enqueue('s', { text: 'poison' });
    first.driver.enqueue('s', { text: 'next', queueMode: 'followup' });
    first.queue.startTurn([1], Date.now());
    const second = setup({ db });
    await second.driver.recover();
    second.queue.startTurn([1], Date.now()); // dies again while running the resumed turn
    const third = setup({ db });
    expect(await third.driver.recover()).toEqual(['run-1']);
    expect(third.queue.run('run-1')).toMatchObject({ state: 'interrupted' });
    await third.driver.drain();
    expect(third.roles()).toEqual([
      'user:poison',
      'system:[run run-1 was interrupted by a restart before it finished; its messages were not answered]',
      'user:next',
    ]);
  });

  it('merges collect messages for one thread into one turn but never across threads', async () => {
    const g = gatedRunner();
    const { driver } = setup({ runner: g.runner, settings: { mode: 'collect' } });
    for (const [text, thread] of [['a1', 'A'], ['a2', 'A'], ['b1', 'B'], ['a3', 'A']] as const) driver.enqueue('s', { text, thread });
    const draining = driver.drain();
    for (let n = 1; n <= 3; n++) {
      await g.nthStart(n);
      g.turns[n - 1]!.release();
    }
    await draining;
    expect(g.turns.map((t) => t.input.items.map((i) => i.text))).toEqual([['a1', 'a2'], ['b1'], ['a3']]);
  });
});
