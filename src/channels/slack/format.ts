/**
 * Reply text for Slack: Markdown → Slack mrkdwn (https://api.slack.com/reference/surfaces/formatting),
 * and the plain-text splitter that cuts a rendered reply at a channel's length limit (seed-system §6.3
 * "length" mode: last newline, else last space, else hard), never inside an HTML entity or a surrogate pair.
 */

/** Slack's three control characters, escaped as its formatting guide requires. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Markdown (what models write) → mrkdwn: bold, strike, links and headings converted; code kept verbatim.
 * @example markdownToSlack('**hi** [docs](https://x.y)') === '*hi* <https://x.y|docs>'
 */
export function markdownToSlack(markdown: string): string {
  return markdown
    .split(/(```[\s\S]*?```|`[^`\n]*`)/g)
    .map((part, i) => {
      if (i % 2 === 1) return escapeSlack(part);
      return escapeSlack(part)
        .replace(/\[([^\]\n]+)\]\((https?:\/\/[^)\s|]+)\)/g, (_m, label: string, url: string) => `<${url}|${label}>`)
        .replace(/\*\*([^*\n]+)\*\*/g, '*$1*')
        .replace(/__([^_\n]+)__/g, '*$1*')
        .replace(/~~([^~\n]+)~~/g, '~$1~')
        .replace(/^#{1,6}\s+(.+)$/gm, '*$1*');
    })
    .join('');
}

/** Index ≤ `at` that does not cut an `&…;` entity or a surrogate pair. */
function safeCut(text: string, at: number): number {
  let cut = at;
  const amp = text.lastIndexOf('&', cut - 1);
  if (amp >= 0 && cut - amp < 12) {
    const m = /^&(#\d+|#x[0-9a-f]+|[a-z]+);/i.exec(text.slice(amp, amp + 12));
    if (m && amp + m[0].length > cut) cut = amp;
  }
  const c = text.charCodeAt(cut - 1);
  if (c >= 0xd800 && c <= 0xdbff) cut--;
  return cut > 0 ? cut : at;
}

/**
 * Splits `text` into chunks of at most `limit` UTF-16 units, preferring line breaks, then spaces.
 * @example splitText('aaa bbb', 4) → ['aaa', 'bbb']
 */
export function splitText(text: string, limit: number): string[] {
  const chunks: string[] = [];
  let rest = text.trim();
  while (rest.length > limit) {
    const window = rest.slice(0, limit + 1);
    let cut = window.lastIndexOf('\n');
    if (cut <= 0) cut = Math.max(window.lastIndexOf(' '), window.lastIndexOf('\t'));
    if (cut <= 0) cut = safeCut(rest, limit);
    const chunk = rest.slice(0, cut).trimEnd();
    if (chunk) chunks.push(chunk);
    rest = rest.slice(cut).trimStart();
  }
  if (rest) chunks.push(rest);
  return chunks;
}
