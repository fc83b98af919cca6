// The live side of a Telegram turn (typing, streaming draft, final/notice/abort) against the fake Bot API,
// with the reply ledger and outbox on a real SQLite file and time driven by a manual clock.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeSqlStorage } from '../../node-adapter/sql-storage.ts';
import { openDatabase } from '../../node-adapter/sqlite.ts';
import { SqlOutboxStore } from '../../src/channels/outbox.ts';
import { ReplyLedger } from '../../src/channels/reply-ledger.ts';
import { createBotApi } from '../../src/channels/telegram/api.ts';
import { resolveTelegramAccounts } from '../../src/channels/telegram/config.ts';
import { createTelegramOutbox } from '../../src/channels/telegram/delivery.ts';
import { createLiveReply, type LiveReplyEvent, type LiveTimers } from '../../src/channels/telegram/live-reply.ts';
import { createFakeTelegram, type FakeTelegram } from '../fakes/telegram.ts';

/** A manual clock: timers fire only when the test advances time. */
function manualTimers(): LiveTimers & { advance(ms: number): Promise<void> } {
  let now = 0;
  let nextId = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const idle = async () => {
    for (let i = 0; i < 30; i++) await new Promise((r) => setImmediate(r));
  };
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = nextId++;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout(h) {
      timers.delete(h as number);
    },
    async advance(ms) {
      const end = now + ms;
      await idle();
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
        await idle();
      }
      now = end;
      await idle();
    },
  };
}

let fake: FakeTelegram;
let token: string;
let dir: string;
let sql: NodeSqlStorage;
let runSeq = 0;

beforeEach(() => {
  fake = createFakeTelegram();
  token = fake.addBot(5151, 'live_bot');
  dir = mkdtempSync(join(tmpdir(), 'edgeclaw-live-'));
  sql = new NodeSqlStorage(openDatabase(join(dir, 'session.sqlite')));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function setup(opts: { streaming?: boolean; chatId?: string; threadId?: string; runId?: string } = {}) {
  const [account] = resolveTelegramAccounts({ TELEGRAM_BOT_TOKEN: token, TELEGRAM_API_ROOT: 'https://bot-api.fake' });
  const api = createBotApi(account!, { fetch: fake.fetch });
  const clock = { sleep: async () => undefined, random: () => 0.5 };
  const outbox = createTelegramOutbox({ account: () => account!, api: () => api, store: new SqlOutboxStore(sql), clock });
  const ledger = new ReplyLedger(sql);
  const timers = manualTimers();
  const events: LiveReplyEvent[] = [];
  const runId = opts.runId ?? `r${++runSeq}`;
  const target = { channel: 'telegram', account: 'default', chatId: opts.chatId ?? '77', ...(opts.threadId ? { threadId: opts.threadId } : {}) };
  ledger.open(`s#${runId}`, `run-${runId}`, 'telegram:default:77', 0);
  const live = createLiveReply({ api, outbox, ledger, sessionKey: 's', runId, target, streaming: opts.streaming ?? true, timers, onEvent: (e) => events.push(e) });
  return { live, ledger, timers, events, replyKey: `s#${runId}` };
}

const sent = (chatId = '77') => fake.sent(token).filter((m) => m.chat_id === chatId);

describe('telegram typing indicator', () => {
  it('repeats typing about every 4.5 s in the right topic and stops at the end', async () => {
    const { live, timers } = setup({ streaming: false, chatId: '-1009', threadId: '12' });
    live.start();
    await timers.advance(0);
    expect(fake.actions(token)).toMatchObject([{ chat_id: '-1009', action: 'typing', message_thread_id: 12 }]);
    await timers.advance(4_500);
    await timers.advance(4_500);
    expect(fake.actions(token)).toHaveLength(3);
    await live.finish('done');
    await timers.advance(20_000);
    expect(fake.actions(token)).toHaveLength(3);
    expect(sent('-1009')).toMatchObject([{ text: 'done', message_thread_id: 12 }]);
  });

  it('pauses typing for retry_after on a 429 and counts the failure', async () => {
    fake.cue('sendChatAction', { kind: 'rate_limit', retryAfter: 10 });
    const { live, timers, events } = setup({ streaming: false });
    live.start();
    await timers.advance(4_500); // the first call failed (429 for 10 s): this tick is skipped
    expect(fake.actions(token)).toHaveLength(0);
    expect(events).toEqual(['typing_failed']);
    await timers.advance(4_500); // t = 9 s: still inside retry_after
    expect(fake.actions(token)).toHaveLength(0);
    await timers.advance(4_500); // t = 13.5 s
    expect(fake.actions(token)).toHaveLength(1);
    live.stop();
  });
});

describe('telegram streaming draft', () => {
  it('drafts after the edit interval, edits at most once per interval with the newest text, and the final replaces the draft', async () => {
    const { live, ledger, timers, replyKey } = setup();
    live.update('Hello');
    await timers.advance(999);
    expect(sent()).toHaveLength(0);
    await timers.advance(1);
    expect(sent()).toMatchObject([{ text: 'Hello …', parse_mode: null }]);
    const draftId = String(sent()[0]!.message_id);
    expect(ledger.get(replyKey)?.draftId).toBe(draftId);
    live.update('Hello wor');
    live.update('Hello world');
    await timers.advance(500);
    expect(sent()[0]!.edits).toBe(0);
    await timers.advance(500);
    expect(sent()[0]).toMatchObject({ text: 'Hello world …', edits: 1 });
    const report = await live.finish('**Hello** world, final.');
    expect(report).toMatchObject({ status: 'sent', messageIds: [draftId] });
    expect(sent()).toMatchObject([{ text: 'Hello world, final.', parse_mode: 'HTML', edits: 2 }]);
    expect(ledger.get(replyKey)?.state).toBe('closed');
  });

  it('edits the draft with the first chunk of a long final and sends the rest, in order', async () => {
    const { live, timers } = setup();
    live.update('Start');
    await timers.advance(1_000);
    const text = Array.from({ length: 400 }, (_, i) => `Line ${i} of the answer.`).join('\n').padEnd(10_000, '.');
    const report = await live.finish(text);
    const msgs = sent();
    expect(report.status).toBe('sent');
    expect(msgs.length).toBe(report.chunks);
    expect(msgs.length).toBeGreaterThanOrEqual(3);
    expect(msgs[0]!.edits).toBe(1);
    expect(msgs.every((m) => m.text.length <= 4096)).toBe(true);
    expect(msgs.map((m) => m.text).join('').replace(/\s+/g, '')).toBe(text.replace(/\s+/g, ''));
  });

  it('waits retry_after before the next edit when an edit is rate-limited', async () => {
    const { live, timers, events } = setup();
    live.update('one');
    await timers.advance(1_000);
    fake.cue('editMessageText', { kind: 'rate_limit', retryAfter: 7 });
    live.update('one two');
    await timers.advance(1_000); // the edit answers 429 retry_after 7
    expect(events).toContain('draft_failed');
    live.update('one two three');
    await timers.advance(6_000); // t = 8 s: still inside retry_after (until 9 s)
    expect(sent()[0]).toMatchObject({ text: 'one …', edits: 0 });
    await timers.advance(1_000);
    expect(sent()[0]).toMatchObject({ text: 'one two three …', edits: 1 });
    await live.finish('one two three');
  });

  it('deletes the draft when the run is aborted', async () => {
    const { live, ledger, timers, replyKey } = setup();
    live.update('partial');
    await timers.advance(1_000);
    await live.abort();
    expect(sent()).toMatchObject([{ deleted: true }]);
    expect(ledger.get(replyKey)?.state).toBe('closed');
  });

  it('replaces the draft with the failure notice exactly once, even when failed again', async () => {
    const first = setup({ runId: 'same' });
    first.live.update('partial');
    await first.timers.advance(1_000);
    await first.live.fail('Sorry, it failed.');
    const again = setup({ runId: 'same' });
    await again.live.fail('Sorry, it failed.');
    expect(sent()).toMatchObject([{ text: 'Sorry, it failed.', edits: 1 }]);
  });

  it('sends no second draft when a rerun finds its reply already delivered', async () => {
    const first = setup({ runId: 'rerun' });
    first.live.update('partial');
    await first.timers.advance(1_000);
    await first.live.finish('final');
    const rerun = setup({ runId: 'rerun' });
    rerun.live.update('partial again');
    await rerun.timers.advance(5_000);
    await rerun.live.finish('final');
    expect(sent()).toMatchObject([{ text: 'final', edits: 1, deleted: false }]);
  });

  it('sends a plain reply without a draft when streaming is off', async () => {
    const { live, timers } = setup({ streaming: false });
    live.update('partial');
    await timers.advance(5_000);
    expect(sent()).toHaveLength(0);
    await live.finish('final');
    expect(sent()).toMatchObject([{ text: 'final', edits: 0 }]);
  });
});
