/**
 * Inbound files for the model: text-like documents are downloaded through getFile and the file
 * endpoint (`<apiRoot>/file/bot<token>/<file_path>`) under the account's size cap, and their text is
 * given to the model (itself capped); other kinds stay descriptions. The Bot API serves files up to
 * 20 MB. https://core.telegram.org/bots/api#getfile
 */
import { formatBytes, isTextLike, type Attachment } from '../attachments.ts';
import { describeError, type BotApi, type FetchLike } from './api.ts';
import type { TelegramAccount } from './config.ts';

/** Most characters of one document given to the model. */
export const DOCUMENT_TEXT_MAX = 32_000;
/** Documents read per turn at most (the rest stay descriptions). */
export const MAX_DOCUMENTS_PER_TURN = 4;

const DEFAULT_ROOT = 'https://api.telegram.org';

/** What reading one attachment gave. */
export type MediaRead = { readonly ok: true; readonly text: string; readonly truncated: boolean } | { readonly ok: false; readonly reason: string };

/**
 * Reads the body of `res` up to `max` bytes; null when it is longer (the download is cancelled).
 * @example await readCapped(res, 1024)
 */
export async function readCapped(res: Response, max: number): Promise<Uint8Array | null> {
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    parts.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/**
 * Downloads a text-like document and decodes it as UTF-8 (invalid bytes replaced), refusing files over
 * `account.mediaMaxBytes` before and during the download.
 * @example await readDocument(account, api, attachment)
 */
export async function readDocument(account: Pick<TelegramAccount, 'token' | 'apiRoot' | 'mediaMaxBytes'>, api: BotApi, a: Attachment, fetchImpl: FetchLike = (u, i) => fetch(u, i)): Promise<MediaRead> {
  const cap = account.mediaMaxBytes;
  if (!isTextLike(a)) return { ok: false, reason: 'not a text document' };
  if (a.size !== undefined && a.size > cap) return { ok: false, reason: `too large (${formatBytes(a.size)}; the limit is ${formatBytes(cap)})` };
  let path: string | undefined;
  try {
    const file = await api.getFile(a.fileId);
    if (file.file_size !== undefined && file.file_size > cap) return { ok: false, reason: `too large (${formatBytes(file.file_size)}; the limit is ${formatBytes(cap)})` };
    path = file.file_path;
  } catch (err) {
    return { ok: false, reason: `getFile failed (${describeError(err)})` };
  }
  if (!path) return { ok: false, reason: 'Telegram gave no download path' };
  let res: Response;
  try {
    res = await fetchImpl(`${account.apiRoot ?? DEFAULT_ROOT}/file/bot${account.token}/${path.split('/').map(encodeURIComponent).join('/')}`);
  } catch {
    // The URL holds the token: never put the error (which may quote it) in the reason.
    return { ok: false, reason: 'download failed (network)' };
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    return { ok: false, reason: `download failed (HTTP ${res.status})` };
  }
  const bytes = await readCapped(res, cap).catch(() => undefined);
  if (bytes === undefined) return { ok: false, reason: 'download failed (read error)' };
  if (bytes === null) return { ok: false, reason: `too large (over ${formatBytes(cap)})` };
  const text = new TextDecoder().decode(bytes);
  const truncated = text.length > DOCUMENT_TEXT_MAX;
  return { ok: true, text: truncated ? text.slice(0, DOCUMENT_TEXT_MAX) : text, truncated };
}

/**
 * The text the model gets for the readable documents among `attachments`: one block per document with
 * its content, or a line saying why it could not be read.
 * @example await documentContext(account, api, [doc]) // '[document "notes.md" content]\n...'
 */
export async function documentContext(account: Pick<TelegramAccount, 'token' | 'apiRoot' | 'mediaMaxBytes'>, api: BotApi, attachments: readonly Attachment[], fetchImpl?: FetchLike): Promise<string> {
  const blocks: string[] = [];
  for (const a of attachments.filter(isTextLike).slice(0, MAX_DOCUMENTS_PER_TURN)) {
    const name = JSON.stringify((a.name ?? 'document').slice(0, 128));
    const r = await readDocument(account, api, a, fetchImpl);
    if (r.ok) blocks.push(`[document ${name} content${r.truncated ? ` (first ${DOCUMENT_TEXT_MAX} characters)` : ''}]\n${r.text}\n[end of document ${name}]`);
    else blocks.push(`[document ${name} could not be read: ${r.reason}]`);
  }
  return blocks.join('\n\n');
}
