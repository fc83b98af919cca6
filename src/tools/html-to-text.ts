// Turns HTML into readable plain text for the model: drops scripts/styles/comments, keeps block breaks
// and link targets, decodes entities. Linear regex passes over input the caller has already size-capped.

const NAMED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', mdash: '—', ndash: '–', hellip: '…', copy: '©', reg: '®', laquo: '«', raquo: '»' };

/** Decodes named (common) and numeric character references. */
export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,8});/gi, (m, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : m;
    }
    return NAMED[ref.toLowerCase()] ?? m;
  });
}

const DROPPED = /<(script|style|noscript|template|svg|head)\b|<!--/gi;

/** Removes comments and script-like elements in one forward pass (an unclosed one drops the rest). */
function dropElements(html: string): string {
  const out: string[] = [];
  const lower = html.toLowerCase();
  let at = 0;
  DROPPED.lastIndex = 0;
  for (let m = DROPPED.exec(html); m; m = DROPPED.exec(html)) {
    if (m.index < at) continue;
    out.push(html.slice(at, m.index));
    const close = m[1] ? lower.indexOf(`</${m[1].toLowerCase()}`, m.index) : html.indexOf('-->', m.index + 4);
    if (close === -1) return out.join('');
    const end = html.indexOf('>', close);
    at = end === -1 ? html.length : end + 1;
    DROPPED.lastIndex = at;
  }
  out.push(html.slice(at));
  return out.join('');
}

/**
 * Extracts text from an HTML document.
 * @example htmlToText('<p>a<br>b</p><script>x()</script>') // 'a\nb'
 */
export function htmlToText(html: string): string {
  const links: string[] = [];
  const title = /<title[^>]{0,200}>([^<]{0,500})<\/title>/i.exec(html)?.[1]?.trim();
  let s = dropElements(html)
    .replace(/<a\b([^>]{0,2000})>|<\/a\s*>/gi, (_tag: string, attrs: string | undefined) => {
      // Link targets are kept next to their text; a stack pairs opening and closing tags in one pass.
      if (attrs === undefined) return links.length ? ` (${links.pop()})` : '';
      links.push(/href\s*=\s*["']([^"']{1,2000})["']/i.exec(attrs)?.[1] ?? '');
      return '';
    })
    .replace(/ \(\)/g, '')
    .replace(/<(br|hr)\b[^>]{0,2000}>/gi, '\n')
    .replace(/<li\b[^>]{0,2000}>/gi, '\n- ')
    .replace(/<\/?(p|div|section|article|header|footer|nav|main|aside|h[1-6]|ul|ol|table|tr|blockquote|pre|form|dl|dt|dd|figure)\b[^>]{0,2000}>/gi, '\n')
    .replace(/<\/?(td|th)\b[^>]{0,2000}>/gi, '\t')
    .replace(/<[^>]{0,4000}>/g, '');
  s = decodeEntities(s)
    .replace(/[ \t\f\v\u00a0]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return title && !s.startsWith(title) ? `${decodeEntities(title)}\n\n${s}` : s;
}
