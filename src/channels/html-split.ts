/**
 * Splits rendered Telegram HTML into messages of at most `limit` UTF-16 units of *visible* text (the Bot
 * API counts 1-4096 characters after entity parsing, so tags do not count and `&amp;` counts as one).
 * Cuts prefer paragraph, then line, then word boundaries; never inside a tag, an HTML entity or a
 * surrogate pair. Tags open at a cut are closed at the end of the chunk and reopened in the next one.
 */

/** Telegram's message text limit in UTF-16 code units. */
export const TELEGRAM_TEXT_LIMIT = 4096;

type Tok =
  | { readonly k: 'open'; readonly tag: string; readonly raw: string }
  | { readonly k: 'close'; readonly tag: string; readonly raw: string }
  | { readonly k: 'atom'; readonly raw: string; readonly len: number; readonly ch: string };

const MARKUP = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^>]*)?)>|&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);/g;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"' };

function decodeEntity(name: string): string {
  if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
  if (name.startsWith('#')) return String.fromCodePoint(Number.parseInt(name.slice(1), 10));
  return NAMED[name.toLowerCase()] ?? `&${name};`;
}

function pushText(out: Tok[], text: string): void {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    const raw = pair ? text.slice(i, i + 2) : text[i]!;
    out.push({ k: 'atom', raw, len: raw.length, ch: raw });
    if (pair) i++;
  }
}

function tokenize(html: string): Tok[] {
  const out: Tok[] = [];
  let last = 0;
  for (const m of html.matchAll(MARKUP)) {
    pushText(out, html.slice(last, m.index));
    if (m[2] !== undefined) {
      const tag = m[2].toLowerCase();
      out.push(m[1] ? { k: 'close', tag, raw: m[0] } : { k: 'open', tag, raw: m[0] });
    } else {
      const ch = decodeEntity(m[4]!);
      out.push({ k: 'atom', raw: m[0], len: ch.length, ch });
    }
    last = m.index + m[0].length;
  }
  pushText(out, html.slice(last));
  return out;
}

/** Visible length (UTF-16 units after entity parsing) of a Telegram HTML string. */
export function visibleLength(html: string): number {
  let n = 0;
  for (const t of tokenize(html)) if (t.k === 'atom') n += t.len;
  return n;
}

/** The text Telegram would show for `html`, without formatting (the plain-text fallback). */
export function htmlToPlain(html: string): string {
  return tokenize(html)
    .map((t) => (t.k === 'atom' ? t.ch : ''))
    .join('');
}

type OpenTok = Extract<Tok, { k: 'open' }>;
interface Cut {
  readonly idx: number;
  readonly len: number;
  readonly stack: readonly OpenTok[];
}

function popTag(stack: OpenTok[], tag: string): void {
  for (let j = stack.length - 1; j >= 0; j--) {
    if (stack[j]!.tag === tag) {
      stack.splice(j, 1);
      return;
    }
  }
}

const closeAll = (stack: readonly OpenTok[]) => stack.map((t) => `</${t.tag}>`).reverse().join('');

/**
 * Splits `html` into chunks of at most `limit` visible UTF-16 units, each well-formed on its own.
 * @example splitTelegramHtml('<b>' + 'a'.repeat(5000) + '</b>').length === 2
 */
export function splitTelegramHtml(html: string, limit: number = TELEGRAM_TEXT_LIMIT): string[] {
  if (limit < 2) throw new Error('splitTelegramHtml: limit must be at least 2 (a surrogate pair)');
  const toks = tokenize(html);
  const chunks: string[] = [];
  let start = 0;
  let carry: OpenTok[] = [];
  while (start < toks.length) {
    // Left-trim after a cut: closing tags of reopened elements that are now empty, then blank lines.
    if (chunks.length > 0) {
      while (start < toks.length) {
        const t = toks[start]!;
        if (t.k === 'close') popTag(carry, t.tag);
        else if (!(t.k === 'atom' && t.ch === '\n')) break;
        start++;
      }
      if (start >= toks.length) break;
    }
    const stack = carry.slice();
    let len = 0;
    let i = start;
    let para: Cut | null = null;
    let line: Cut | null = null;
    let space: Cut | null = null;
    let prevNewline = false;
    for (; i < toks.length; i++) {
      const t = toks[i]!;
      if (t.k === 'open') stack.push(t);
      else if (t.k === 'close') popTag(stack, t.tag);
      else {
        if (len + t.len > limit) break;
        if (t.ch === '\n') {
          const cut = { idx: i, len, stack: stack.slice() };
          if (prevNewline) para = cut;
          line = cut;
          prevNewline = true;
        } else {
          if (t.ch === ' ' || t.ch === '\t') space = { idx: i, len, stack: stack.slice() };
          prevNewline = false;
        }
        len += t.len;
      }
    }
    if (i >= toks.length) {
      emit(chunks, carry, toks, start, toks.length, stack, len);
      break;
    }
    const floor = limit / 2;
    const best = [para, line, space].find((c): c is Cut => c !== null && c.len >= floor) ?? null;
    if (best) {
      emit(chunks, carry, toks, start, best.idx, best.stack.slice(), best.len);
      start = best.idx + 1;
      carry = best.stack.slice();
    } else {
      emit(chunks, carry, toks, start, i, stack.slice(), len);
      start = i;
      carry = stack;
    }
  }
  return chunks;
}

/** Appends toks[from, to) as one chunk: reopened tags, body, closes for what is still open. */
function emit(chunks: string[], carry: readonly OpenTok[], toks: readonly Tok[], from: number, to: number, open: OpenTok[], visible: number): void {
  // Drop opening tags right before the cut: they would produce empty elements here and reopen anyway.
  while (to > from && toks[to - 1]!.k === 'open') {
    to--;
    open.pop();
  }
  if (visible === 0 || !hasVisible(toks, from, to)) return;
  let body = carry.map((t) => t.raw).join('');
  for (let j = from; j < to; j++) body += toks[j]!.raw;
  chunks.push(body + closeAll(open));
}

function hasVisible(toks: readonly Tok[], from: number, to: number): boolean {
  for (let j = from; j < to; j++) {
    const t = toks[j]!;
    if (t.k === 'atom' && t.ch.trim() !== '') return true;
  }
  return false;
}
