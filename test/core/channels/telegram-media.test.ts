// Media in: Telegram files become attachments on the envelope and item metadata, described to the model;
// text documents are read through getFile under the size cap (fake Bot API, no socket).
import { describe, expect, it } from 'vitest';
import { composeText, describeAttachment, encodeItemMeta, isTextLike, parseItemMeta, type Attachment } from '../../../src/channels/attachments.ts';
import type { DeliverResult, InboundSink, RoutedMessage } from '../../../src/channels/envelope.ts';
import { createBotApi } from '../../../src/channels/telegram/api.ts';
import { resolveTelegramAccounts } from '../../../src/channels/telegram/config.ts';
import { handleUpdate } from '../../../src/channels/telegram/inbound.ts';
import { documentContext, readDocument } from '../../../src/channels/telegram/media.ts';
import { normalizeUpdate, TelegramUpdateSchema } from '../../../src/channels/telegram/update.ts';
import { createFakeTelegram, dm, groupMessage } from '../../fakes/telegram.ts';

const fake = createFakeTelegram();
const TOKEN = fake.addBot(777, 'edge_bot');
const bot = { id: '777', username: 'edge_bot' };
const update = (id: number, body: Record<string, unknown>) => TelegramUpdateSchema.parse({ update_id: id, ...body });
const account = (vars: Record<string, string> = {}) => resolveTelegramAccounts({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: 'https://bot-api.fake', ...vars })[0]!;

describe('telegram attachments', () => {
  it('keeps the largest photo size and the metadata of documents, voice, audio and video', () => {
    const n = normalizeUpdate(
      update(1, dm(5, '', {
        text: undefined,
        caption: 'look',
        photo: [{ file_id: 'a', file_unique_id: 'ua', width: 90, height: 90, file_size: 900 }, { file_id: 'b', file_unique_id: 'ub', width: 1280, height: 720, file_size: 87_040 }],
      })),
      'default',
      bot,
    );
    expect(n.ok && n.envelope.attachments).toEqual([{ kind: 'photo', fileId: 'b', fileUniqueId: 'ub', size: 87_040, width: 1280, height: 720, mime: 'image/jpeg' }]);
    expect(n.ok && n.envelope.text).toBe('look');
    const voice = normalizeUpdate(update(2, dm(5, '', { text: undefined, voice: { file_id: 'v', file_unique_id: 'uv', duration: 7, mime_type: 'audio/ogg', file_size: 12_000 } })), 'default', bot);
    expect(voice.ok && voice.envelope.attachments?.map(describeAttachment)).toEqual(['[voice message: 7 s, audio/ogg, 12 KB]']);
    const sticker = normalizeUpdate(update(3, dm(5, '', { text: undefined, poll: { id: 'p', question: 'q' } })), 'default', bot);
    expect(sticker.ok && [sticker.hasMedia, sticker.unsupported]).toEqual([false, 'poll']);
  });

  it('queues media with its description in the text and its ids in the item metadata', async () => {
    const got: RoutedMessage[] = [];
    const sink: InboundSink = { deliver: async (m): Promise<DeliverResult> => (got.push(m), { status: 'queued', runId: 'r1' }) };
    const control = { status: async () => ({ state: 'idle', queued: 0 }), reset: async () => undefined, abort: async () => ({ cancelled: 0, activeAborted: false }), setQueueMode: async () => undefined };
    const doc = { file_id: 'd1', file_unique_id: 'ud1', file_name: 'notes.md', mime_type: 'text/markdown', file_size: 2_048 };
    const out = await handleUpdate(update(9, groupMessage(-100, 5, '', { text: undefined, caption: '@edge_bot read', document: doc, message_id: 31 })), {
      account: account({ TELEGRAM_GROUPS: '-100' }),
      identity: bot,
      sink,
      control,
    });
    expect(out.status).toBe('queued');
    const env = got[0]!.envelope;
    expect(env.attachments).toEqual([{ kind: 'document', fileId: 'd1', fileUniqueId: 'ud1', size: 2_048, mime: 'text/markdown', name: 'notes.md' }]);
    expect(composeText(env.text, env.attachments)).toBe('@edge_bot read\n[document: "notes.md", text/markdown, 2 KB]');
    const meta = encodeItemMeta({ r: got[0]!.target.replyToMessageId, a: [...env.attachments!] });
    expect(parseItemMeta(meta)).toEqual({ r: '31', a: env.attachments });
    expect(parseItemMeta('{"a":[{"kind":"sticker"}]}')).toEqual({});
  });

  it('treats text/*, JSON and source files as readable, images and binaries as not', () => {
    const doc = (mime: string | undefined, name?: string): Attachment => ({ kind: 'document', fileId: 'x', ...(mime ? { mime } : {}), ...(name ? { name } : {}) });
    expect([doc('text/plain'), doc('application/json'), doc('application/octet-stream', 'a.py'), doc(undefined, 'notes.md')].map(isTextLike)).toEqual([true, true, true, true]);
    expect([doc('application/pdf', 'a.pdf'), doc('image/png'), { kind: 'photo', fileId: 'p' } as Attachment].map(isTextLike)).toEqual([false, false, false]);
  });
});

describe('reading documents', () => {
  const api = createBotApi(account(), { fetch: fake.fetch });

  it('downloads a text document through getFile and the file endpoint', async () => {
    const id = fake.addFile(TOKEN, 'hello from a file', 'documents/a.txt');
    const r = await readDocument(account(), api, { kind: 'document', fileId: id, mime: 'text/plain', name: 'a.txt' }, fake.fetch);
    expect(r).toEqual({ ok: true, text: 'hello from a file', truncated: false });
  });

  it('stops a download that grows past the cap even when no size was announced', async () => {
    const id = fake.addFile(TOKEN, 'y'.repeat(5_000), 'documents/b.txt');
    const small = account({ TELEGRAM_MEDIA_MAX_BYTES: '2048' });
    // getFile without file_size (it is optional in the Bot API): only the streaming cap can stop it.
    const lying = async (url: string, init?: RequestInit) =>
      url.includes('/getFile') ? Response.json({ ok: true, result: { file_id: id, file_unique_id: 'u', file_path: 'documents/b.txt' } }) : fake.fetch(url, init);
    const r = await readDocument(small, createBotApi(small, { fetch: lying }), { kind: 'document', fileId: id, mime: 'text/plain' }, lying);
    expect(r).toEqual({ ok: false, reason: 'too large (over 2 KB)' });
  });

  it('says why a document could not be read, without the token', async () => {
    const text = await documentContext(account(), api, [{ kind: 'document', fileId: 'missing', mime: 'text/plain', name: 'gone.txt' }], fake.fetch);
    expect(text).toMatch(/^\[document "gone.txt" could not be read: getFile failed \(400: Bad Request: invalid file_id\)\]$/);
    expect(text).not.toContain(TOKEN);
  });

  it('refuses a bad TELEGRAM_MEDIA_MAX_BYTES naming the key', () => {
    expect(() => resolveTelegramAccounts({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_MEDIA_MAX_BYTES: '50000000' })).toThrow(/telegram\.accounts\.0\.mediaMaxBytes/);
    expect(() => resolveTelegramAccounts({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_STREAMING: 'maybe' })).toThrow(/telegram\.accounts\.0\.streaming/);
  });
});
