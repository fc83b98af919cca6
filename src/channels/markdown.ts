/**
 * Markdown (as models write it) to Telegram's HTML subset: b, i, s, u, code, pre, a, blockquote,
 * tg-spoiler. Everything else is text, escaped (`&`, `<`, `>`; plus `"` in attributes), so the output
 * always parses. Every construct renders as open + inner + close, so tags are always balanced.
 * Reference: https://core.telegram.org/bots/api#html-style
 */

/** Escapes text for Telegram HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttr(text: string): string {
  return escapeHtml(text).replace(/"/g, '&quot;');
}

const SAFE_URL = /^(https?:\/\/|tg:\/\/|mailto:)/i;

interface Span {
  readonly re: RegExp;
  render(m: RegExpExecArray): string;
}

// Tried in order at each position; the earliest match wins, ties go to the earlier rule.
const SPANS: readonly Span[] = [
  { re: /`([^`\n]+)`/y, render: (m) => `<code>${escapeHtml(m[1]!)}</code>` },
  {
    re: /\[([^\]\n]+)\]\(([^()\s]+)\)/y,
    render: (m) => (SAFE_URL.test(m[2]!) ? `<a href="${escapeAttr(m[2]!)}">${inline(m[1]!)}</a>` : `${inline(m[1]!)} (${escapeHtml(m[2]!)})`),
  },
  { re: /\*\*(?=\S)([\s\S]*?\S)\*\*/y, render: (m) => `<b>${inline(m[1]!)}</b>` },
  { re: /__(?=\S)([\s\S]*?\S)__(?![A-Za-z0-9])/y, render: (m) => `<b>${inline(m[1]!)}</b>` },
  { re: /~~(?=\S)([\s\S]*?\S)~~/y, render: (m) => `<s>${inline(m[1]!)}</s>` },
  { re: /\|\|(?=\S)([\s\S]*?\S)\|\|/y, render: (m) => `<tg-spoiler>${inline(m[1]!)}</tg-spoiler>` },
  { re: /\*(?=[^\s*])([^*\n]*?[^\s*])\*/y, render: (m) => `<i>${inline(m[1]!)}</i>` },
  { re: /(?<![A-Za-z0-9_])_(?=[^\s_])([^_\n]*?[^\s_])_(?![A-Za-z0-9_])/y, render: (m) => `<i>${inline(m[1]!)}</i>` },
];

const SPAN_START = /[`[*_~|]/;

/**
 * Renders inline Markdown (code, links, bold, italic, strikethrough, spoiler) as Telegram HTML.
 * @example inline('a **b** <c>') === 'a <b>b</b> &lt;c&gt;'
 */
export function inline(text: string): string {
  let out = '';
  let plainFrom = 0;
  // A fresh global regex per call: `inline` recurses through render().
  const starts = new RegExp(SPAN_START.source, 'g');
  for (let m = starts.exec(text); m; m = starts.exec(text)) {
    const at = m.index;
    let done = false;
    for (const span of SPANS) {
      span.re.lastIndex = at;
      const hit = span.re.exec(text);
      if (!hit) continue;
      out += escapeHtml(text.slice(plainFrom, at)) + span.render(hit);
      plainFrom = at + hit[0].length;
      starts.lastIndex = plainFrom;
      done = true;
      break;
    }
    if (!done) starts.lastIndex = at + 1;
  }
  return out + escapeHtml(text.slice(plainFrom));
}

const FENCE = /^\s{0,3}(`{3,}|~{3,})\s*([\w+#.-]*)\s*$/;
const HEADING = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/;
const QUOTE = /^\s{0,3}>\s?(.*)$/;
const BULLET = /^(\s*)[-*+]\s+(.*)$/;
const RULE = /^\s{0,3}([-*_])(\s*\1){2,}\s*$/;

/**
 * Renders a Markdown reply as Telegram HTML, line by line: fenced code → `<pre><code>`, headings → bold,
 * `>` lines → `<blockquote>`, bullets → `•`, rules → a line; inline spans inside.
 * @example markdownToTelegramHtml('# Hi\n```js\n1 < 2\n```') === '<b>Hi</b>\n<pre><code class="language-js">1 &lt; 2</code></pre>'
 */
export function markdownToTelegramHtml(markdown: string): string {
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = FENCE.exec(line);
    if (fence) {
      const marker = fence[1]!;
      const body: string[] = [];
      let j = i + 1;
      while (j < lines.length && !lines[j]!.trim().startsWith(marker)) body.push(lines[j++]!);
      const lang = fence[2] ? ` class="language-${escapeAttr(fence[2])}"` : '';
      out.push(`<pre><code${lang}>${escapeHtml(body.join('\n'))}</code></pre>`);
      i = j;
      continue;
    }
    if (QUOTE.test(line)) {
      const body: string[] = [];
      let j = i;
      for (let q = QUOTE.exec(lines[j] ?? ''); q && j < lines.length; q = QUOTE.exec(lines[++j] ?? '')) body.push(inline(q[1]!));
      out.push(`<blockquote>${body.join('\n')}</blockquote>`);
      i = j - 1;
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      out.push(`<b>${inline(heading[1]!)}</b>`);
      continue;
    }
    if (RULE.test(line)) {
      out.push('——————');
      continue;
    }
    const bullet = BULLET.exec(line);
    out.push(bullet ? `${bullet[1]}• ${inline(bullet[2]!)}` : inline(line));
  }
  return out.join('\n');
}
