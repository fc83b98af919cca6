// Outbound delivery against the fake Bot API on a real socket: chunks, exactly-once, 429, 5xx, fallbacks.
import { describe, expect, it } from 'vitest';
import { MemoryOutboxStore } from '../../src/channels/outbox.ts';
import type { RetryClock } from '../../src/channels/retry.ts';
import { createBotApi } from '../../src/channels/telegram/api.ts';
import { resolveTelegramAccounts } from '../../src/channels/telegram/config.ts';
import { createTelegramOutbox, MAX_REPLY_CHARS } from '../../src/channels/telegram/delivery.ts';
import { createFakeTelegram } from '../fakes/telegram.ts';
import { useServedFake } from '../fakes/serve-node.ts';

const fake = createFakeTelegram();
const token = fake.addBot(4242, 'edge_bot');
const served = useServedFake(fake.app, () => fake.releaseAll());

function clock(): RetryClock & { slept: number[] } {
  const slept: number[] = [];
  return { slept, sleep: async (ms) => void slept.push(ms), random: () => 0.5 };
}

function outbox(store = new MemoryOutboxStore(), c = clock()) {
  const [account] = resolveTelegramAccounts({ TELEGRAM_BOT_TOKEN: token, TELEGRAM_API_ROOT: served.url });
  return createTelegramOutbox({ account: (id) => (id === 'default' ? account! : null), api: (a) => createBotApi(a), store, clock: c });
}

const target = (chatId: string) => ({ channel: 'telegram', account: 'default', chatId });
const sentTo = (chatId: string) => fake.sent(token).filter((m) => m.chat_id === chatId);
const paragraphs = (n: number) => Array.from({ length: n }, (_, i) => `Paragraph ${i} with **bold** & <tags> and \`code\`.`).join('\n\n');

describe('telegram delivery', () => {
  it('delivers a long reply as N chunks of at most 4096 characters, in order', async () => {
    const text = paragraphs(300); // ~12,000 characters
    const report = await outbox().deliver({ sessionKey: 's', runId: 'r-long', text, target: target('1') });
    const msgs = sentTo('1');
    expect(report).toMatchObject({ status: 'sent', chunks: msgs.length, sentNow: msgs.length });
    expect(msgs.length).toBeGreaterThanOrEqual(3);
    expect(msgs.every((m) => m.text.length <= 4096 && m.parse_mode === 'HTML')).toBe(true);
    const numbers = msgs.flatMap((m) => [...m.text.matchAll(/Paragraph (\d+)/g)].map((x) => Number(x[1])));
    expect(numbers).toEqual([...Array(300).keys()]);
  });

  it('sends each chunk exactly once when one sendMessage fails with a 500 and is retried', async () => {
    fake.cue('sendMessage', { kind: 'server_error', status: 500 }, 1, 1);
    const c = clock();
    const report = await outbox(new MemoryOutboxStore(), c).deliver({ sessionKey: 's', runId: 'r-500', text: paragraphs(300), target: target('2') });
    const msgs = sentTo('2');
    expect(report.status).toBe('sent');
    expect(msgs.length).toBe(report.chunks);
    expect(new Set(msgs.map((m) => m.text)).size).toBe(msgs.length);
    expect(c.slept.length).toBe(1);
  });

  it('honours retry_after through a 429 storm and still delivers every chunk once', async () => {
    fake.cue('sendMessage', { kind: 'rate_limit', retryAfter: 3 }, 4);
    const c = clock();
    const report = await outbox(new MemoryOutboxStore(), c).deliver({ sessionKey: 's', runId: 'r-429', text: paragraphs(200), target: target('3') });
    expect(report.status).toBe('sent');
    expect(c.slept).toEqual([3000, 3000, 3000, 3000]);
    expect(sentTo('3').length).toBe(report.chunks);
  });

  it('does not resend chunks when the same reply is delivered again', async () => {
    const store = new MemoryOutboxStore();
    const box = outbox(store);
    const reply = { sessionKey: 's', runId: 'r-again', text: paragraphs(150), target: target('4') };
    const first = await box.deliver(reply);
    const second = await box.deliver(reply);
    expect(second).toMatchObject({ status: 'sent', sentNow: 0, alreadySent: first.chunks });
    expect(sentTo('4').length).toBe(first.chunks);
  });

  it('resumes a partly failed reply from the failed chunk without duplicates', async () => {
    fake.cue('sendMessage', { kind: 'server_error', status: 502 }, 5, 1);
    const store = new MemoryOutboxStore();
    const reply = { sessionKey: 's', runId: 'r-resume', text: paragraphs(150), target: target('5') };
    const first = await outbox(store).deliver(reply);
    expect(first).toMatchObject({ status: 'partial', sentNow: 1 });
    expect(first.error).toMatch(/transient: 502/);
    const second = await outbox(store).deliver(reply);
    expect(second).toMatchObject({ status: 'sent', alreadySent: 1 });
    expect(sentTo('5').length).toBe(second.chunks);
  });

  it('falls back to plain text when Telegram rejects the entities', async () => {
    fake.cue('sendMessage', { kind: 'parse_error' });
    const report = await outbox().deliver({ sessionKey: 's', runId: 'r-plain', text: 'a **bold** claim', target: target('6') });
    expect(report.status).toBe('sent');
    expect(sentTo('6')).toMatchObject([{ text: 'a bold claim', parse_mode: null }]);
  });

  it('treats a malformed (non-JSON) answer as transient and retries it', async () => {
    fake.cue('sendMessage', { kind: 'malformed' });
    const report = await outbox().deliver({ sessionKey: 's', runId: 'r-mal', text: 'hi', target: target('7') });
    expect(report.status).toBe('sent');
    expect(sentTo('7').length).toBe(1);
  });

  it('fails finally on a 4xx without retrying', async () => {
    fake.cue('sendMessage', { kind: 'server_error', status: 403 });
    const c = clock();
    const report = await outbox(new MemoryOutboxStore(), c).deliver({ sessionKey: 's', runId: 'r-403', text: 'hi', target: target('8') });
    expect(report).toMatchObject({ status: 'failed', sentNow: 0, error: expect.stringContaining('final: 403') });
    expect(c.slept).toEqual([]);
    expect(sentTo('8')).toEqual([]);
  });

  it('fails a reply for an unknown account without calling Telegram', async () => {
    const report = await outbox().deliver({ sessionKey: 's', runId: 'r-none', text: 'hi', target: { ...target('8'), account: 'nope' } });
    expect(report).toMatchObject({ status: 'failed', error: expect.stringContaining('unknown telegram account') });
  });

  it('posts into the topic and quotes the trigger on the first chunk only', async () => {
    await outbox().deliver({ sessionKey: 's', runId: 'r-topic', text: paragraphs(150), target: { ...target('-100'), threadId: '9', replyToMessageId: '55' } });
    const msgs = sentTo('-100');
    expect(msgs.length).toBeGreaterThan(1);
    expect(msgs.map((m) => m.message_thread_id)).toEqual(msgs.map(() => 9));
    expect(msgs.map((m) => m.reply_to)).toEqual([55, ...msgs.slice(1).map(() => null)]);
  });

  it('bounds a huge reply and says how much was left out', async () => {
    const report = await outbox().deliver({ sessionKey: 's', runId: 'r-huge', text: 'x '.repeat(MAX_REPLY_CHARS), target: target('9') });
    const msgs = sentTo('9');
    expect(report.status).toBe('sent');
    expect(msgs.length).toBe(report.chunks);
    expect(msgs.length).toBeLessThanOrEqual(Math.ceil(MAX_REPLY_CHARS / 4096) + 2);
    expect(msgs.at(-1)!.text).toMatch(/reply truncated: \d+ more characters/);
  });
});
