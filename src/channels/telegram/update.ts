/**
 * Telegram updates: a zod schema of the fields we read (unknown fields pass), and the mapping of an
 * update to the channel-neutral InboundEnvelope. https://core.telegram.org/bots/api#update
 */
import { z } from 'zod';
import type { Attachment } from '../attachments.ts';
import type { ChatKind, InboundEnvelope } from '../envelope.ts';

const User = z.looseObject({ id: z.number().int(), is_bot: z.boolean(), first_name: z.string().optional(), last_name: z.string().optional(), username: z.string().optional() });
const Entity = z.looseObject({ type: z.string(), offset: z.number().int().min(0), length: z.number().int().min(0), user: User.optional() });
const FileBase = { file_id: z.string().min(1).max(512), file_unique_id: z.string().max(256).optional(), file_size: z.number().int().min(0).optional() };
const PhotoSize = z.looseObject({ ...FileBase, width: z.number().int(), height: z.number().int() });
const MediaFile = z.looseObject({
  ...FileBase,
  file_name: z.string().max(1024).optional(),
  mime_type: z.string().max(256).optional(),
  width: z.number().int().optional(),
  height: z.number().int().optional(),
  duration: z.number().int().optional(),
});
const Chat = z.looseObject({ id: z.number().int(), type: z.enum(['private', 'group', 'supergroup', 'channel']), title: z.string().optional(), is_forum: z.boolean().optional() });

const Message = z.looseObject({
  message_id: z.number().int(),
  date: z.number().int(),
  chat: Chat,
  from: User.optional(),
  sender_chat: z.looseObject({ id: z.number().int() }).optional(),
  text: z.string().max(65_536).optional(),
  caption: z.string().max(65_536).optional(),
  entities: z.array(Entity).max(10_000).optional(),
  caption_entities: z.array(Entity).max(10_000).optional(),
  message_thread_id: z.number().int().optional(),
  is_topic_message: z.boolean().optional(),
  reply_to_message: z.looseObject({ message_id: z.number().int(), from: User.optional() }).optional(),
  photo: z.array(PhotoSize).max(64).optional(),
  document: MediaFile.optional(),
  voice: MediaFile.optional(),
  audio: MediaFile.optional(),
  video: MediaFile.optional(),
  video_note: MediaFile.optional(),
  animation: MediaFile.optional(),
});

/** Message kinds we do not read: they get a clear answer instead of silence. */
const UNSUPPORTED_KINDS = ['sticker', 'poll', 'location', 'venue', 'contact', 'dice', 'game', 'story', 'invoice', 'paid_media'] as const;

/** A Telegram Update as far as we read it. */
export const TelegramUpdateSchema = z.looseObject({
  update_id: z.number().int().min(0),
  message: Message.optional(),
  edited_message: Message.optional(),
  channel_post: Message.optional(),
});
/** A validated update. */
export type TelegramUpdate = z.output<typeof TelegramUpdateSchema>;
/** A validated message. */
export type TelegramMessage = z.output<typeof Message>;

/** Who we are, for mention and reply detection. */
export interface BotIdentity {
  readonly id: string;
  /** Without `@`; null when unknown (then only text mentions by id and replies count). */
  readonly username: string | null;
}

/** Result of mapping an update. */
export type Normalized =
  | {
      readonly ok: true;
      readonly envelope: InboundEnvelope;
      readonly message: TelegramMessage;
      readonly hasMedia: boolean;
      /** The kind of a message we cannot read (`sticker`, `poll`, `location`...), else null. */
      readonly unsupported: string | null;
    }
  | { readonly ok: false; readonly reason: string };

function chatKind(m: TelegramMessage): { kind: ChatKind; threadId?: string } {
  switch (m.chat.type) {
    case 'private':
      return { kind: 'dm' };
    case 'channel':
      return { kind: 'channel' };
    default:
      // Forum topics are their own conversations; message_thread_id on a non-topic message is a reply thread.
      return m.is_topic_message && m.message_thread_id !== undefined ? { kind: 'thread', threadId: String(m.message_thread_id) } : { kind: 'group' };
  }
}

/** The files of a message as attachments (the largest photo size; one entry per media field). */
export function telegramAttachments(m: TelegramMessage): Attachment[] {
  const out: Attachment[] = [];
  const base = (f: { file_id: string; file_unique_id?: string | undefined; file_size?: number | undefined }) => ({
    fileId: f.file_id,
    ...(f.file_unique_id ? { fileUniqueId: f.file_unique_id } : {}),
    ...(f.file_size !== undefined ? { size: f.file_size } : {}),
  });
  const photo = m.photo?.reduce((a, b) => (b.width * b.height >= a.width * a.height ? b : a));
  if (photo) out.push({ kind: 'photo', ...base(photo), width: photo.width, height: photo.height, mime: 'image/jpeg' });
  for (const kind of ['animation', 'video', 'video_note', 'document', 'voice', 'audio'] as const) {
    const f = m[kind];
    if (!f) continue;
    // An animation also arrives as `document`; keep one entry for it.
    if (kind === 'document' && m.animation) continue;
    out.push({
      kind,
      ...base(f),
      ...(f.mime_type ? { mime: f.mime_type.slice(0, 128) } : {}),
      ...(f.file_name ? { name: f.file_name.slice(0, 256) } : {}),
      ...(f.width !== undefined && f.height !== undefined ? { width: f.width, height: f.height } : {}),
      ...(f.duration !== undefined ? { duration: f.duration } : {}),
    });
  }
  return out;
}

/** True when `entities` (or the text itself) mention the bot. */
function mentions(text: string, entities: TelegramMessage['entities'], bot: BotIdentity): boolean {
  const handle = bot.username ? `@${bot.username.toLowerCase()}` : null;
  for (const e of entities ?? []) {
    if (e.type === 'text_mention' && e.user && String(e.user.id) === bot.id) return true;
    // Offsets are UTF-16 units, which is exactly how JS strings index.
    if (e.type === 'mention' && handle && text.slice(e.offset, e.offset + e.length).toLowerCase() === handle) return true;
  }
  if (!handle) return false;
  const at = text.toLowerCase().indexOf(handle);
  return at >= 0 && !/[A-Za-z0-9_]/.test(text[at + handle.length] ?? '');
}

/**
 * Maps a Telegram update to an envelope; `ok: false` with a reason for updates we do not handle.
 * @example normalizeUpdate(update, 'default', { id: '42', username: 'edge_bot' })
 */
export function normalizeUpdate(update: TelegramUpdate, account: string, bot: BotIdentity): Normalized {
  if (update.edited_message) return { ok: false, reason: 'edited messages are not turns' };
  const m = update.message ?? update.channel_post;
  if (!m) return { ok: false, reason: 'unsupported update kind' };
  const from = m.from;
  if (from && String(from.id) === bot.id) return { ok: false, reason: 'own message' };
  const text = m.text ?? m.caption ?? '';
  const entities = m.text !== undefined ? m.entities : m.caption_entities;
  const { kind, threadId } = chatKind(m);
  const sender = from
    ? {
        id: String(from.id),
        isBot: from.is_bot,
        ...(from.username ? { username: from.username } : {}),
        displayName: [from.first_name, from.last_name].filter(Boolean).join(' ') || (from.username ?? String(from.id)),
      }
    : { id: String(m.sender_chat?.id ?? m.chat.id), isBot: false, displayName: m.chat.title ?? String(m.chat.id) };
  const reply = m.reply_to_message;
  const attachments = telegramAttachments(m);
  const envelope: InboundEnvelope = {
    channel: 'telegram',
    account,
    transportId: String(update.update_id),
    messageId: String(m.message_id),
    sender,
    chat: { kind, id: String(m.chat.id), ...(threadId ? { threadId } : {}), ...(m.chat.title ? { title: m.chat.title } : {}) },
    text,
    ...(attachments.length > 0 ? { attachments } : {}),
    ...(reply
      ? { replyTo: { messageId: String(reply.message_id), ...(reply.from ? { senderId: String(reply.from.id) } : {}), fromSelf: reply.from !== undefined && String(reply.from.id) === bot.id } }
      : {}),
    mentionsSelf: mentions(text, entities, bot),
    sentAt: m.date * 1000,
  };
  const raw = m as Record<string, unknown>;
  const unsupported = attachments.length > 0 ? null : (UNSUPPORTED_KINDS.find((k) => raw[k] !== undefined) ?? null);
  return { ok: true, envelope, message: m, hasMedia: attachments.length > 0, unsupported };
}
