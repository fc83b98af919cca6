// The inbound path: update → envelope → activation → commands → session hand-off.
import { describe, expect, it } from 'vitest';
import type { DeliverResult, InboundSink, RoutedMessage, SessionControl } from '../../../src/channels/envelope.ts';
import { formatReplyTarget, parseReplyTarget } from '../../../src/channels/envelope.ts';
import { parseCommand } from '../../../src/channels/telegram/commands.ts';
import { resolveTelegramAccounts, type TelegramVars } from '../../../src/channels/telegram/config.ts';
import { handleUpdate } from '../../../src/channels/telegram/inbound.ts';
import { normalizeUpdate, TelegramUpdateSchema } from '../../../src/channels/telegram/update.ts';
import { dm, groupMessage } from '../../fakes/telegram.ts';

const TOKEN = '777:AAHfakeTokenForTestsOnly_0123456789';
const bot = { id: '777', username: 'edge_bot' };

/** A sink that records deliveries and dedupes by idempotency key like the session does. */
function memorySink(fail = false): InboundSink & { got: RoutedMessage[] } {
  const seen = new Map<string, string>();
  const got: RoutedMessage[] = [];
  return {
    got,
    async deliver(m): Promise<DeliverResult> {
      if (fail) throw new Error('session unavailable');
      const prior = seen.get(m.idempotencyKey);
      if (prior) return { status: 'duplicate', runId: prior };
      got.push(m);
      seen.set(m.idempotencyKey, `run-${got.length}`);
      return { status: 'queued', runId: `run-${got.length}` };
    },
  };
}

function control(): SessionControl & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    status: async () => ({ state: 'idle', queued: 2, queueMode: 'collect' }),
    reset: async (k) => void log.push(`reset ${k}`),
    abort: async (k) => (log.push(`abort ${k}`), { cancelled: 1, activeAborted: true }),
    setQueueMode: async (k, m) => void log.push(`queue ${k} ${m}`),
  };
}

function deps(vars: TelegramVars, sink = memorySink(), ctl = control()) {
  const [account] = resolveTelegramAccounts({ TELEGRAM_BOT_TOKEN: TOKEN, ...vars });
  return { account: account!, identity: bot, sink, control: ctl };
}
const update = (id: number, body: Record<string, unknown>) => TelegramUpdateSchema.parse({ update_id: id, ...body });

describe('normalizeUpdate', () => {
  it('maps a forum topic message to a thread with its topic id', () => {
    const n = normalizeUpdate(update(1, groupMessage(-100, 5, 'hi @Edge_Bot', { is_topic_message: true, message_thread_id: 9 })), 'default', bot);
    expect(n.ok && n.envelope.chat).toEqual({ kind: 'thread', id: '-100', threadId: '9', title: 'Group' });
    expect(n.ok && n.envelope.mentionsSelf).toBe(true);
  });

  it('detects a mention entity and a reply to the bot, and skips edits and own messages', () => {
    const n = normalizeUpdate(update(1, groupMessage(-100, 5, 'x @edge_bot', { entities: [{ type: 'mention', offset: 2, length: 9 }], reply_to_message: { message_id: 3, from: { id: 777, is_bot: true } } })), 'default', bot);
    expect(n.ok && [n.envelope.mentionsSelf, n.envelope.replyTo?.fromSelf]).toEqual([true, true]);
    expect(normalizeUpdate(update(2, { edited_message: (dm(5, 'x') as { message: object }).message }), 'default', bot).ok).toBe(false);
    expect(normalizeUpdate(update(3, dm(777, 'echo', { from: { id: 777, is_bot: true } })), 'default', bot).ok).toBe(false);
  });

  it('does not count a longer handle as a mention', () => {
    const n = normalizeUpdate(update(1, groupMessage(-100, 5, 'hi @edge_bot2')), 'default', bot);
    expect(n.ok && n.envelope.mentionsSelf).toBe(false);
  });
});

describe('handleUpdate', () => {
  it('queues an allowed DM under the per-account session key with an update-id idempotency key', async () => {
    const d = deps({ TELEGRAM_ALLOW_FROM: '42' });
    const out = await handleUpdate(update(500, dm(42, 'hello')), d);
    expect(out).toMatchObject({ status: 'queued', sessionKey: 'agent:main:telegram:default:direct:42' });
    expect((d.sink as ReturnType<typeof memorySink>).got[0]).toMatchObject({ idempotencyKey: 'telegram:default:500', text: 'hello', target: { chatId: '42' } });
  });

  it('enqueues an update delivered twice only once', async () => {
    const d = deps({ TELEGRAM_ALLOW_FROM: '42' });
    const u = update(501, dm(42, 'hello'));
    expect((await handleUpdate(u, d)).status).toBe('queued');
    expect((await handleUpdate(u, d)).status).toBe('duplicate');
    expect((d.sink as ReturnType<typeof memorySink>).got.length).toBe(1);
  });

  it('answers an unknown DM sender with their id and queues nothing', async () => {
    const d = deps({});
    const out = await handleUpdate(update(1, dm(99, 'let me in')), d);
    expect(out).toMatchObject({ status: 'answered', reason: 'pairing' });
    expect(out.replies[0]!.text).toContain('99');
    expect((d.sink as ReturnType<typeof memorySink>).got.length).toBe(0);
  });

  it('ignores a group message without a mention and queues one with it, quoting it in a topic', async () => {
    const d = deps({ TELEGRAM_GROUPS: '-100' });
    expect((await handleUpdate(update(1, groupMessage(-100, 5, 'chatter')), d)).status).toBe('ignored');
    const out = await handleUpdate(update(2, groupMessage(-100, 5, '@edge_bot help me', { message_id: 77, is_topic_message: true, message_thread_id: 9 })), d);
    expect(out).toMatchObject({ status: 'queued', sessionKey: 'agent:main:telegram:default:group:-100:topic:9' });
    expect((d.sink as ReturnType<typeof memorySink>).got[0]!.target).toEqual({ channel: 'telegram', account: 'default', chatId: '-100', threadId: '9', replyToMessageId: '77' });
  });

  it('runs local commands without queueing and routes /reset, /stop and /queue to the session', async () => {
    const ctl = control();
    const d = deps({ TELEGRAM_ALLOW_FROM: '42' }, memorySink(), ctl);
    const key = 'agent:main:telegram:default:direct:42';
    expect((await handleUpdate(update(1, dm(42, '/help')), d)).replies[0]!.text).toContain('/status');
    expect((await handleUpdate(update(2, dm(42, '/status')), d)).replies[0]!.text).toContain('Queued: 2');
    expect((await handleUpdate(update(3, dm(42, '/whoami')), d)).replies[0]!.text).toContain(`Session: ${key}`);
    await handleUpdate(update(4, dm(42, '/new')), d);
    await handleUpdate(update(5, dm(42, '/stop')), d);
    await handleUpdate(update(6, dm(42, '/queue@edge_bot followup')), d);
    expect((await handleUpdate(update(7, dm(42, '/queue sideways')), d)).replies[0]!.text).toContain('Unknown queue mode');
    await handleUpdate(update(8, dm(42, '/queue default')), d);
    expect(ctl.log).toEqual([`reset ${key}`, `abort ${key}`, `queue ${key} followup`, `queue ${key} null`]);
    expect((d.sink as ReturnType<typeof memorySink>).got.length).toBe(0);
  });

  it('forwards unknown commands to the session and ignores commands for other bots', async () => {
    const d = deps({ TELEGRAM_ALLOW_FROM: '42' });
    expect((await handleUpdate(update(1, dm(42, '/compact now')), d)).status).toBe('queued');
    // Model and settings commands are local (a key in `/set api key` must never reach the session).
    expect(await handleUpdate(update(3, dm(42, '/set api key openai sk-0123456789')), d)).toMatchObject({ status: 'answered', reason: 'command', replies: [{ text: 'Settings commands are not available here.' }] });
    expect(d.sink.got.map((m) => m.text)).toEqual(['/compact now']);
    expect((await handleUpdate(update(2, dm(42, '/help@other_bot')), d)).status).toBe('ignored');
  });

  it('propagates a failed hand-off so the transport does not acknowledge', async () => {
    await expect(handleUpdate(update(1, dm(42, 'x')), deps({ TELEGRAM_ALLOW_FROM: '42' }, memorySink(true)))).rejects.toThrow('session unavailable');
  });

  it('answers a kind it cannot read (a sticker) instead of dropping it silently', async () => {
    const out = await handleUpdate(update(1, dm(42, '', { text: undefined, sticker: { file_id: 's', file_unique_id: 'u', type: 'regular' } })), deps({ TELEGRAM_ALLOW_FROM: '42' }));
    expect(out).toMatchObject({ status: 'answered', reason: 'unsupported', replies: [{ text: expect.stringMatching(/^I can't read sticker messages/) }] });
  });
});

describe('commands and targets', () => {
  it('parses commands with and without the bot suffix', () => {
    expect(parseCommand('/Queue@Edge_Bot  collect now', 'edge_bot')).toEqual({ name: 'queue', args: 'collect now', forOther: false, explicit: true });
    expect(parseCommand('/start', null)).toEqual({ name: 'start', args: '', forOther: false, explicit: false });
    expect(parseCommand('not /a command', null)).toBeNull();
  });

  it('round-trips reply targets through their text form', () => {
    const t = { channel: 'telegram', account: 'work', chatId: '-1001', threadId: '4', replyToMessageId: '9' };
    expect(parseReplyTarget(formatReplyTarget(t))).toEqual(t);
  });
});
