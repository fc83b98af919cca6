/** Pure text and planning helpers of bounded storage: drop summaries, compaction summaries, truncation. */

const encoder = new TextEncoder();

/** UTF-8 byte length of a string. */
export function byteLength(text: string): number {
  return encoder.encode(text).byteLength;
}

/** Cuts `text` to at most `maxBytes` UTF-8 bytes without splitting a character. */
export function cutToBytes(text: string, maxBytes: number): string {
  if (byteLength(text) <= maxBytes) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (byteLength(text.slice(0, mid)) <= maxBytes) lo = mid;
    else hi = mid - 1;
  }
  // Do not end on a lone high surrogate.
  const code = text.charCodeAt(lo - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? lo - 1 : lo);
}

/**
 * A tool result cut to `maxBytes` before storage, with a marker saying how much was cut.
 * @example truncateToolResult('x'.repeat(100), 40) // 'xxx…[truncated 72 bytes]'
 */
export function truncateToolResult(text: string, maxBytes: number): string {
  const total = byteLength(text);
  if (total <= maxBytes) return text;
  const marker = (n: number) => `…[truncated ${n} bytes]`;
  const keep = cutToBytes(text, Math.max(0, maxBytes - byteLength(marker(total))));
  return keep + marker(total - byteLength(keep));
}

/** Most lines kept in the pending summary of dropped messages, and the length of each. */
export const DROP_SUMMARY_LINES = 10;
export const DROP_SUMMARY_LINE_CHARS = 80;

/** Summary of messages dropped at the cap, waiting to be injected as one synthetic turn. */
export interface DropSummary {
  count: number;
  lines: string[];
}

/** One short line for a dropped message: whitespace collapsed, cut to a fixed length. */
export function summaryLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > DROP_SUMMARY_LINE_CHARS ? `${flat.slice(0, DROP_SUMMARY_LINE_CHARS - 1)}…` : flat;
}

/** Adds dropped texts to a pending summary; it keeps the newest lines and counts all of them. */
export function addToDropSummary(prev: DropSummary | null, texts: readonly string[]): DropSummary {
  const lines = [...(prev?.lines ?? []), ...texts.map(summaryLine)].slice(-DROP_SUMMARY_LINES);
  return { count: (prev?.count ?? 0) + texts.length, lines };
}

/** The synthetic turn text announcing dropped messages. */
export function dropSummaryText(s: DropSummary): string {
  const hidden = s.count - s.lines.length;
  const more = hidden > 0 ? `\n• …and ${hidden} more` : '';
  return `[${s.count} queued message${s.count === 1 ? ' was' : 's were'} dropped because the queue was full]\n${s.lines.map((l) => `• ${l}`).join('\n')}${more}`;
}

/** Smallest useful summary row; with less room the oldest rows are simply removed. */
export const MIN_SUMMARY_BYTES = 64;

/** A history row as compaction planning sees it (oldest first). */
export interface RowSize {
  bytes: number;
  /** Messages this row already stands for (a previous compaction summary counts its messages). */
  weight: number;
}

/**
 * How many of the oldest rows to fold into one summary row so the history fits `cap` rows and
 * `maxBytes` bytes (the summary itself taking at most `summaryBytes`). The newest row always stays.
 * Returns 0 when nothing needs compacting; `summary` is false when there is no room for a summary row.
 */
export function planCompaction(rows: readonly RowSize[], cap: number, maxBytes: number, summaryBytes: number): { fold: number; summary: boolean } {
  const n = rows.length;
  let total = rows.reduce((s, r) => s + r.bytes, 0);
  if (n <= cap && total <= maxBytes) return { fold: 0, summary: false };
  const summary = cap >= 2 && summaryBytes >= MIN_SUMMARY_BYTES && summaryBytes * 2 <= maxBytes;
  const reserveRows = summary ? 1 : 0;
  const reserveBytes = summary ? summaryBytes : 0;
  let fold = Math.max(0, n - (cap - reserveRows));
  for (let i = 0; i < fold; i++) total -= rows[i]!.bytes;
  while (fold < n - 1 && total + reserveBytes > maxBytes) {
    total -= rows[fold]!.bytes;
    fold++;
  }
  return { fold: Math.min(fold, n - 1), summary: summary && fold > 0 };
}

/** Summary text of folded history rows, bounded to `maxBytes`. */
export function compactionText(rows: readonly { role: string; text: string; weight: number }[], maxBytes: number): string {
  const count = rows.reduce((s, r) => s + r.weight, 0);
  const head = `[summary of ${count} earlier message${count === 1 ? '' : 's'}]`;
  // An earlier summary's lines are carried forward (its header is replaced by the new count).
  const lines = rows.flatMap((r) => (r.role === 'summary' ? r.text.split('\n').slice(1) : [`${r.role}: ${summaryLine(r.text)}`]));
  return cutToBytes([head, ...lines].join('\n'), maxBytes);
}
