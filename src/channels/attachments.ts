/**
 * Inbound attachments, channel-neutral: what a driver records about a file (ids and metadata, never the
 * bytes), how it is described to the model (`[photo: 1280x720, 85 KB]`), and the item metadata a channel
 * message carries through the session queue (the triggering message id and the attachments).
 */
import { z } from 'zod';

/** Attachment kinds the channels accept. */
export const ATTACHMENT_KINDS = ['photo', 'document', 'voice', 'audio', 'video', 'video_note', 'animation'] as const;

/** One inbound file, as metadata (the bytes stay with the channel until a run asks for them). */
export const AttachmentSchema = z.strictObject({
  kind: z.enum(ATTACHMENT_KINDS),
  fileId: z.string().min(1).max(512),
  fileUniqueId: z.string().max(256).optional(),
  mime: z.string().max(128).optional(),
  size: z.number().int().min(0).optional(),
  name: z.string().max(256).optional(),
  width: z.number().int().min(0).optional(),
  height: z.number().int().min(0).optional(),
  duration: z.number().int().min(0).optional(),
});
/** An inbound attachment. */
export type Attachment = z.output<typeof AttachmentSchema>;

/** Most attachments kept per message (Telegram sends one; albums arrive as separate messages). */
export const MAX_ATTACHMENTS = 10;

/** Channel metadata of a queued item: `r` the message to quote, `a` the attachments. */
export const ItemMetaSchema = z.strictObject({
  r: z.string().regex(/^\d{1,20}$/).optional(),
  a: z.array(AttachmentSchema).max(MAX_ATTACHMENTS).optional(),
});
/** Parsed item metadata. */
export type ItemMeta = z.output<typeof ItemMetaSchema>;

/**
 * Serialises item metadata; undefined when there is nothing to carry.
 * @example encodeItemMeta({ r: '55' }) === '{"r":"55"}'
 */
export function encodeItemMeta(meta: ItemMeta): string | undefined {
  const out: ItemMeta = { ...(meta.r ? { r: meta.r } : {}), ...(meta.a && meta.a.length > 0 ? { a: meta.a.slice(0, MAX_ATTACHMENTS) } : {}) };
  return Object.keys(out).length > 0 ? JSON.stringify(out) : undefined;
}

/** Parses item metadata; an absent or unreadable value is `{}` (metadata never blocks a turn). */
export function parseItemMeta(text: string | null | undefined): ItemMeta {
  if (!text) return {};
  try {
    const parsed = ItemMetaSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

/**
 * Human size: bytes, KB or MB (1024-based, as file managers show them).
 * @example formatBytes(87_040) === '85 KB'
 */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MB`;
}

const LABEL: Record<Attachment['kind'], string> = {
  photo: 'photo',
  document: 'document',
  voice: 'voice message',
  audio: 'audio',
  video: 'video',
  video_note: 'video message',
  animation: 'animation',
};

/**
 * How an attachment is shown to the model.
 * @example describeAttachment({ kind: 'photo', fileId: 'x', width: 1280, height: 720, size: 87_040 }) === '[photo: 1280x720, 85 KB]'
 */
export function describeAttachment(a: Attachment): string {
  const parts: string[] = [];
  if (a.name) parts.push(JSON.stringify(a.name.slice(0, 128)));
  if (a.width && a.height) parts.push(`${a.width}x${a.height}`);
  if (a.duration !== undefined) parts.push(`${a.duration} s`);
  if (a.mime && a.kind !== 'photo') parts.push(a.mime);
  if (a.size !== undefined) parts.push(formatBytes(a.size));
  return `[${LABEL[a.kind]}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}]`;
}

/**
 * The text a message contributes to the conversation: its text or caption, then one line per attachment.
 * @example composeText('look', [{ kind: 'photo', fileId: 'x', width: 10, height: 10 }]) === 'look\n[photo: 10x10]'
 */
export function composeText(text: string, attachments: readonly Attachment[] | undefined): string {
  const lines = (attachments ?? []).map(describeAttachment);
  return [text.trim() === '' ? '' : text, ...lines].filter((l) => l !== '').join('\n');
}

const TEXT_EXT = /\.(txt|md|markdown|json|csv|tsv|ya?ml|toml|ini|log|xml|html?|css|js|mjs|ts|py|rb|go|rs|java|c|h|cpp|sh|sql)$/i;

/** True for documents whose content is text the model can read (text/*, JSON, Markdown, common source files). */
export function isTextLike(a: Attachment): boolean {
  if (a.kind !== 'document') return false;
  const mime = (a.mime ?? '').toLowerCase();
  if (mime.startsWith('text/') || /^application\/(json|ld\+json|xml|x-yaml|yaml|toml|x-sh|javascript|sql)$/.test(mime) || mime.endsWith('+json') || mime.endsWith('+xml')) return true;
  return (mime === '' || mime === 'application/octet-stream') && TEXT_EXT.test(a.name ?? '');
}
