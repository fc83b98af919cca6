// Splitting rendered Telegram HTML at the visible-length limit: boundaries, surrogates, tags, big inputs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { htmlToPlain, splitTelegramHtml, TELEGRAM_TEXT_LIMIT, visibleLength } from '../../../src/channels/html-split.ts';
import { escapeHtml, markdownToTelegramHtml } from '../../../src/channels/markdown.ts';
import { parseTelegramHtml } from '../../fakes/telegram.ts';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const squash = (s: string) => s.replace(/\s+/g, '');

/** Every chunk parses as Telegram HTML (checked by the fake's independent parser) and fits the limit. */
function expectValidChunks(chunks: string[], limit: number): string[] {
  return chunks.map((chunk) => {
    const parsed = parseTelegramHtml(chunk);
    if (!parsed.ok) throw new Error(`${parsed.error}: ${chunk.slice(0, 200)}`);
    expect(parsed.text.length).toBeLessThanOrEqual(limit);
    expect(parsed.text.trim().length).toBeGreaterThan(0);
    expect(LONE_SURROGATE.test(parsed.text)).toBe(false);
    return parsed.text;
  });
}

describe('splitTelegramHtml', () => {
  it('keeps exactly 4096 visible units in one message', () => {
    expect(splitTelegramHtml('a'.repeat(4096))).toEqual(['a'.repeat(4096)]);
  });

  it('splits 4097 units without spaces into 4096 + 1', () => {
    expect(splitTelegramHtml('a'.repeat(4097)).map((c) => c.length)).toEqual([4096, 1]);
  });

  it('counts an HTML entity as one unit and never cuts inside it', () => {
    const html = escapeHtml('&'.repeat(4097));
    const chunks = splitTelegramHtml(html);
    expect(chunks.map(visibleLength)).toEqual([4096, 1]);
    expect(chunks.every((c) => /^(&amp;)+$/.test(c))).toBe(true);
  });

  it('never splits a surrogate pair at the boundary', () => {
    const text = `x${'😀'.repeat(2048)}`; // 4097 units: the pair at 4095..4096 must move whole
    const chunks = splitTelegramHtml(text);
    expect(chunks.map((c) => c.length)).toEqual([4095, 2]);
    expect(chunks.join('')).toBe(text);
    expect(chunks.some((c) => LONE_SURROGATE.test(c))).toBe(false);
  });

  it('closes open tags at a cut and reopens them in the next chunk', () => {
    const html = `<b>${'word '.repeat(1000)}</b>`;
    const chunks = splitTelegramHtml(html);
    expect(chunks.length).toBe(2);
    for (const c of chunks) expect(c).toMatch(/^<b>.*<\/b>$/s);
    expectValidChunks(chunks, TELEGRAM_TEXT_LIMIT);
  });

  it('reopens a code block with its language class', () => {
    const html = markdownToTelegramHtml(`\`\`\`ts\n${'const x = 1;\n'.repeat(600)}\`\`\``);
    const chunks = splitTelegramHtml(html);
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) expect(c.startsWith('<pre><code class="language-ts">')).toBe(true);
    expectValidChunks(chunks, TELEGRAM_TEXT_LIMIT);
  });

  it('prefers a paragraph break over a line or word break', () => {
    const para = `${'a'.repeat(3000)}\n\n${'b '.repeat(300)}\n${'c'.repeat(2000)}`;
    const chunks = splitTelegramHtml(para);
    expect(htmlToPlain(chunks[0]!)).toBe('a'.repeat(3000) + '\n');
  });

  it('splits more than 100 KB of formatted text into valid chunks in order', () => {
    const block = '## Section\nSome **bold** text with `code` & <angle> [link](https://example.com/a?b=1&c=2) and _italics_.\n\n```js\nif (a < b && c > d) { return "x"; }\n```\n> quoted 😀 line\n- item one\n- item two\n\n';
    const md = block.repeat(Math.ceil(120_000 / block.length));
    const html = markdownToTelegramHtml(md);
    const chunks = splitTelegramHtml(html);
    const texts = expectValidChunks(chunks, TELEGRAM_TEXT_LIMIT);
    expect(chunks.length).toBeGreaterThan(20);
    expect(squash(texts.join(''))).toBe(squash(htmlToPlain(html)));
  });

  it('produces valid chunks that preserve the visible text for any input and limit', () => {
    const alphabet = fc.constantFrom('a', 'b', ' ', '\n', '*', '_', '`', '~', '<', '>', '&', '"', '😀', '[', ']', '(', ')', '#', '-', 'é');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 600 }).map((a) => a.join('')), fc.integer({ min: 2, max: 300 }), (md, limit) => {
        const html = markdownToTelegramHtml(md);
        expect(parseTelegramHtml(html).ok).toBe(true);
        const texts = expectValidChunks(splitTelegramHtml(html, limit), limit);
        expect(squash(texts.join(''))).toBe(squash(htmlToPlain(html)));
      }),
      { numRuns: 300 },
    );
  });

  it('returns no chunks for whitespace-only input', () => {
    expect(splitTelegramHtml(' \n\n ')).toEqual([]);
  });
});
