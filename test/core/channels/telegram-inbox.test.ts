// The Telegram webhook inbox over real SQLite: dedupe by update_id (pending and handed off), the pending
// cap, the bounded dedupe memory, and the drain (update_id order per chat, a failed hand-off stays pending
// and keeps the rest of its chat behind it).
import { describe, expect, it } from 'vitest';
import { drainInbox, INBOX_DONE_TTL_MS, TelegramInbox, type InboxRow } from '../../../src/channels/telegram/inbox.ts';
import { NodeSqlStorage } from '../../../node-adapter/sql-storage.ts';
import { openDatabase } from '../../../node-adapter/sqlite.ts';

function setup(cap = 100) {
  const inbox = new TelegramInbox(new NodeSqlStorage(openDatabase(':memory:')), cap);
  inbox.migrate();
  return inbox;
}
const body = (id: number, chat: number) => JSON.stringify({ update_id: id, chat });
const chatOf = (row: InboxRow) => String((JSON.parse(row.body) as { chat: number }).chat);

describe('telegram inbox', () => {
  it('accepts an update once, whether it is still pending or already handed off', () => {
    const inbox = setup();
    expect(inbox.accept(7, body(7, 1), 0)).toEqual({ status: 'accepted' });
    expect(inbox.accept(7, body(7, 1), 1)).toEqual({ status: 'duplicate' });
    inbox.complete(7, 2);
    expect(inbox.accept(7, body(7, 1), 3)).toEqual({ status: 'duplicate' });
    expect(inbox.pendingCount()).toBe(0);
  });

  it('refuses a new update at the pending cap and accepts again once one is handed off', () => {
    const inbox = setup(2);
    inbox.accept(1, body(1, 1), 0);
    inbox.accept(2, body(2, 1), 0);
    expect(inbox.accept(3, body(3, 1), 0)).toEqual({ status: 'full', cap: 2 });
    expect(inbox.pending(10).map((r) => r.updateId)).toEqual([1, 2]);
    inbox.complete(1, 1);
    expect(inbox.accept(3, body(3, 1), 2)).toEqual({ status: 'accepted' });
  });

  it('remembers at most cap handed-off ids, and none past the TTL', () => {
    const inbox = setup(3);
    for (let id = 1; id <= 5; id++) {
      inbox.accept(id, body(id, 1), 0);
      inbox.complete(id, 10);
    }
    inbox.prune(10);
    expect(inbox.doneCount()).toBe(3);
    expect(inbox.accept(1, body(1, 1), 11).status).toBe('accepted');
    expect(inbox.accept(5, body(5, 1), 11).status).toBe('duplicate');
    inbox.prune(10 + INBOX_DONE_TTL_MS + 1);
    expect(inbox.doneCount()).toBe(0);
    expect(inbox.pendingCount()).toBe(1);
  });

  it('prunes now and then: after a tenth of cap hand-offs, or a minute', () => {
    const inbox = setup(20);
    inbox.prune(0);
    for (let id = 1; id <= 23; id++) {
      inbox.accept(id, body(id, 1), 0);
      inbox.complete(id, 0);
    }
    inbox.maybePrune(1);
    expect(inbox.doneCount()).toBe(20);
    inbox.accept(24, body(24, 1), 0);
    inbox.complete(24, 0);
    inbox.maybePrune(2);
    expect(inbox.doneCount()).toBe(21);
    inbox.maybePrune(60_001);
    expect(inbox.doneCount()).toBe(20);
  });

  it('drains every chat in update_id order and leaves the inbox empty', async () => {
    const inbox = setup();
    for (const [id, chat] of [[5, 1], [3, 2], [4, 1], [1, 1], [2, 2]] as const) inbox.accept(id, body(id, chat), 0);
    const seen: { chat: string; id: number }[] = [];
    const result = await drainInbox(inbox, async (row) => void seen.push({ chat: chatOf(row), id: row.updateId }), chatOf, { batch: 2 });
    expect(result).toEqual({ handled: 5, failed: 0, setAside: 0 });
    expect(seen.filter((s) => s.chat === '1').map((s) => s.id)).toEqual([1, 4, 5]);
    expect(seen.filter((s) => s.chat === '2').map((s) => s.id)).toEqual([2, 3]);
    expect(inbox.pendingCount()).toBe(0);
  });

  it('keeps a failed update and the rest of its chat pending, hands off other chats, and resumes in order', async () => {
    const inbox = setup();
    for (const [id, chat] of [[1, 1], [2, 2], [3, 1], [4, 2]] as const) inbox.accept(id, body(id, chat), 0);
    let down = true;
    const seen: number[] = [];
    const handle = async (row: InboxRow) => {
      if (row.updateId === 1 && down) throw new Error('session unavailable');
      seen.push(row.updateId);
    };
    expect(await drainInbox(inbox, handle, chatOf)).toEqual({ handled: 2, failed: 1, setAside: 0 });
    expect(seen).toEqual([2, 4]);
    expect(inbox.pending(10)).toEqual([
      { updateId: 1, body: body(1, 1), attempts: 1 },
      { updateId: 3, body: body(3, 1), attempts: 0 },
    ]);
    down = false;
    expect(await drainInbox(inbox, handle, chatOf)).toEqual({ handled: 2, failed: 0, setAside: 0 });
    expect(seen).toEqual([2, 4, 1, 3]);
  });

  it('sets aside an update that keeps failing while others go through, so its chat moves on; an outage sets nothing aside', async () => {
    const inbox = setup();
    inbox.accept(1, body(1, 1), 0);
    inbox.accept(2, body(2, 1), 0);
    const seen: number[] = [];
    const setAside: number[] = [];
    const handle = async (row: InboxRow) => {
      if (row.updateId === 1 || outage) throw new Error('cannot hand off');
      seen.push(row.updateId);
    };
    const drain = () => drainInbox(inbox, handle, chatOf, { maxAttempts: 3, onSetAside: (row) => setAside.push(row.updateId) });
    // An outage: every hand-off fails, so nothing counts against update 1.
    let outage = true;
    for (let i = 0; i < 5; i++) expect(await drain()).toEqual({ handled: 0, failed: 1, setAside: 0 });
    expect(inbox.pending(10).map((r) => r.attempts)).toEqual([0, 0]);
    // Other chats go through while update 1 fails: it is set aside on its third such failure.
    outage = false;
    let next = 100;
    for (let i = 0; i < 2; i++) {
      inbox.accept(next, body(next, 2), 0);
      expect(await drain()).toEqual({ handled: 1, failed: 1, setAside: 0 });
      next++;
    }
    inbox.accept(next, body(next, 2), 0);
    expect(await drain()).toEqual({ handled: 2, failed: 0, setAside: 1 });
    expect(setAside).toEqual([1]);
    // Its chat moved on in order, and it is still remembered as handed off (a redelivery is a duplicate).
    expect(seen).toEqual([100, 101, 102, 2]);
    expect(inbox.pendingCount()).toBe(0);
    expect(inbox.accept(1, body(1, 1), 0)).toEqual({ status: 'duplicate' });
  });
});
