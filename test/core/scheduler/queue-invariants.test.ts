// Property tests: random interleavings of enqueue / turn start / steer / finish / abort / crash under every
// queue mode and drop policy, over the real SessionQueue on an in-memory SQLite, checking its invariants.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NodeSqlStorage } from '../../../node-adapter/sql-storage.ts';
import { openDatabase } from '../../../node-adapter/sqlite.ts';
import type { GlobalQueueSettings } from '../../../src/scheduler/decide.ts';
import { SessionQueue } from '../../../src/scheduler/session-queue.ts';
import { DROP_POLICIES, QUEUE_MODES, TERMINAL_STATES, type QueueMode } from '../../../src/scheduler/types.ts';

type Action =
  | { t: 'enqueue'; key: number | null; mode: QueueMode | null; thread: number }
  | { t: 'start' }
  | { t: 'steer' }
  | { t: 'finish'; state: 'done' | 'aborted' | 'failed' }
  | { t: 'abort'; which: 'all' | 'active' | 'queued' }
  | { t: 'crash' }
  | { t: 'tick'; ms: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant('enqueue' as const), key: fc.option(fc.integer({ min: 0, max: 12 })), mode: fc.option(fc.constantFrom(...QUEUE_MODES), { freq: 2 }), thread: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 3, arbitrary: fc.constant({ t: 'start' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'steer' as const }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('finish' as const), state: fc.constantFrom('done' as const, 'aborted' as const, 'failed' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('abort' as const), which: fc.constantFrom('all' as const, 'active' as const, 'queued' as const) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'crash' as const }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 800 }) }) },
);

function fresh(): SessionQueue {
  const q = new SessionQueue(new NodeSqlStorage(openDatabase(':memory:')), {
    queueCap: 20, historyCap: 100_000, historyMaxBytes: 1 << 30, toolResultMaxBytes: 1_000, idempotencyCap: 1_000, idempotencyTtlMs: 86_400_000,
  });
  q.migrate();
  return q;
}

/** Runs `actions` and checks the invariants after every step and after a final drain. */
function check(mode: QueueMode, drop: (typeof DROP_POLICIES)[number], cap: number, actions: Action[]): void {
  const q = fresh();
  const settings: GlobalQueueSettings = { mode, cap, drop, debounceMs: 500, byChannel: {} };
  let now = 1_000;
  let resumedExtra = 0;
  const accepted: number[] = [];
  const keyToSeq = new Map<number, number>();
  const reportedDrops = new Set<number>();
  const reportedAborts = new Set<number>();
  for (const a of actions) {
    now += 1;
    switch (a.t) {
      case 'enqueue': {
        const r = q.enqueueWith({ text: `m${now}`, ...(a.key !== null ? { key: `k${a.key}` } : {}), ...(a.mode ? { queueMode: a.mode } : {}), thread: `t${a.thread}` }, settings, now);
        if (r.status === 'duplicate') expect(r.seq).toBe(keyToSeq.get(a.key!));
        if (r.status === 'rejected') expect(drop === 'new' && q.pending(1000).length >= cap).toBe(true);
        if (r.status === 'queued') {
          expect(a.key === null || !keyToSeq.has(a.key)).toBe(true);
          accepted.push(r.seq);
          if (a.key !== null) keyToSeq.set(a.key, r.seq);
          for (const d of r.dropped ?? []) reportedDrops.add(d.seq);
          for (const d of r.aborted ?? []) reportedAborts.add(d.seq);
        }
        break;
      }
      case 'start': {
        const d = q.nextTurn(now, settings.debounceMs);
        if (d.kind === 'start') q.startTurn(d.seqs, now);
        break;
      }
      case 'steer':
        q.steer(now);
        break;
      case 'finish': {
        const active = q.view().active;
        if (active) q.finishTurn(active.runId, { state: a.state }, now);
        break;
      }
      case 'abort': {
        const view = q.view();
        const runId = a.which === 'active' ? view.active?.runId : a.which === 'queued' && view.items[0] ? `run-${view.items[0].seq}` : undefined;
        const r = q.abort(now, runId);
        for (const d of r.aborted) reportedAborts.add(d.seq);
        if (r.abortActive) q.finishTurn(r.abortActive, { state: 'aborted' }, now);
        break;
      }
      case 'crash':
        // Resumed items were accepted before: they may briefly sit on top of a full queue.
        // (Accumulated: a second crash that resumes nothing does not take the first one's items out of the queue.)
        resumedExtra += q.recoverInterrupted(now).resumedItems;
        break;
      case 'tick':
        now += a.ms;
        break;
    }
    // At most one active run; the queue never exceeds its cap.
    expect(q.runs(100_000).filter((r) => r.state === 'running').length).toBeLessThanOrEqual(1);
    expect(q.pending(1000).length).toBeLessThanOrEqual(cap + resumedExtra);
  }
  // Drain to the end: every remaining item gets its turn.
  for (let guard = 0; guard < 10_000; guard++) {
    const active = q.view().active;
    if (active) q.finishTurn(active.runId, { state: 'done' }, now);
    const d = q.nextTurn(now, 0);
    if (d.kind !== 'start') break;
    q.startTurn(d.seqs, now);
  }
  expect(q.pending(1000)).toEqual([]);
  const runs = new Map(q.runs(100_000).map((r) => [r.seq, r]));
  const processed = q.historyPage(1000).entries.filter((h) => h.role === 'user').map((h) => h.seq!);
  // Order and no duplicates: processed items appear once each, in acceptance order.
  expect(processed).toEqual(accepted.filter((s) => processed.includes(s)));
  expect(new Set(processed).size).toBe(processed.length);
  for (const seq of accepted) {
    const run = runs.get(seq)!;
    // Every item ends in exactly one terminal state.
    expect(TERMINAL_STATES).toContain(run.state);
    // Every drop was reported to a producer, and only drops are 'dropped'.
    expect(run.state === 'dropped').toBe(reportedDrops.has(seq));
    // An item never processed was dropped or aborted while queued, and that was reported.
    if (!processed.includes(seq)) expect(reportedDrops.has(seq) || reportedAborts.has(seq)).toBe(true);
  }
  if (drop === 'new') expect(reportedDrops.size).toBe(0);
}

describe('scheduler invariants under random interleavings', () => {
  for (const mode of QUEUE_MODES) {
    for (const drop of DROP_POLICIES) {
      it(`keeps order, one active run, the cap, one terminal state per item and reported drops (${mode}, ${drop})`, () => {
        fc.assert(
          fc.property(fc.integer({ min: 1, max: 5 }), fc.array(action, { maxLength: 80 }), (cap, actions) => check(mode, drop, cap, actions)),
          { numRuns: 60 },
        );
      });
    }
  }
});
