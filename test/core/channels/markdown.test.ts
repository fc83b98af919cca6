// Markdown → Telegram HTML: escaping and the supported constructs.
import { describe, expect, it } from 'vitest';
import { escapeHtml, inline, markdownToTelegramHtml } from '../../../src/channels/markdown.ts';

describe('markdownToTelegramHtml', () => {
  it('escapes <, > and & in plain text', () => {
    expect(markdownToTelegramHtml('a < b && c > d <script>')).toBe('a &lt; b &amp;&amp; c &gt; d &lt;script&gt;');
  });

  it('renders bold, italic, strikethrough, spoiler and inline code', () => {
    expect(inline('**b** *i* _j_ ~~s~~ ||p|| `c<d`')).toBe('<b>b</b> <i>i</i> <i>j</i> <s>s</s> <tg-spoiler>p</tg-spoiler> <code>c&lt;d</code>');
  });

  it('leaves snake_case identifiers and lone asterisks alone', () => {
    expect(inline('use snake_case_names and 2 * 3 * 4')).toBe('use snake_case_names and 2 * 3 * 4');
  });

  it('renders safe links and escapes quotes in href', () => {
    expect(inline('[docs](https://x.dev/?q="a"&b=1)')).toBe('<a href="https://x.dev/?q=&quot;a&quot;&amp;b=1">docs</a>');
  });

  it('does not turn javascript: URLs into links', () => {
    expect(inline('[x](javascript:alert(1))')).not.toContain('<a');
  });

  it('renders fenced code with its language, escaped, without inline formatting', () => {
    expect(markdownToTelegramHtml('```py\nx = a**2 < 3\n```')).toBe('<pre><code class="language-py">x = a**2 &lt; 3</code></pre>');
  });

  it('renders an unterminated fence as code to the end', () => {
    expect(markdownToTelegramHtml('```\nopen')).toBe('<pre><code>open</code></pre>');
  });

  it('renders headings as bold, quotes as blockquote and bullets as dots', () => {
    expect(markdownToTelegramHtml('# Title\n> one\n> two\n- item')).toBe('<b>Title</b>\n<blockquote>one\ntwo</blockquote>\n• item');
  });

  it('escapes text for attribute-free contexts only with &, < and >', () => {
    expect(escapeHtml(`"'&<>`)).toBe(`"'&amp;&lt;&gt;`);
  });
});
