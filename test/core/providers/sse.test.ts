// The incremental SSE parser: arbitrary chunk splits, line endings, multi-line data, comments, caps.
import { describe, expect, it } from 'vitest';
import { SseOverflowError, SseParser } from '../../../src/providers/sse.ts';

const STREAM = '\uFEFF: comment\r\nevent: note\r\ndata: line one\r\ndata:line two\r\n\r\ndata: {"a":1}\n\n: keep-alive\n\rdata: [DONE]\r\r';

function parseAll(chunks: string[]) {
  const p = new SseParser();
  return chunks.flatMap((c) => p.push(c)).map((e) => ({ event: e.event, data: e.data }));
}

describe('SseParser', () => {
  const expected = [
    { event: 'note', data: 'line one\nline two' },
    { event: 'message', data: '{"a":1}' },
    { event: 'message', data: '[DONE]' },
  ];

  it('parses a whole stream with BOM, comments, CRLF, LF and CR line endings', () => {
    expect(parseAll([STREAM])).toEqual(expected);
  });

  it('gives the same events for every split point, including between CR and LF', () => {
    for (let i = 0; i <= STREAM.length; i++) {
      expect(parseAll([STREAM.slice(0, i), STREAM.slice(i)])).toEqual(expected);
    }
  });

  it('gives the same events when fed one character at a time', () => {
    expect(parseAll([...STREAM])).toEqual(expected);
  });

  it('drops an event that has no closing blank line and reports it as incomplete', () => {
    const p = new SseParser();
    expect(p.push('data: partial')).toEqual([]);
    expect(p.end()).toEqual({ incomplete: true });
  });

  it('ignores events with no data lines', () => {
    expect(parseAll(['event: ping\n\n', 'id: 3\n\n'])).toEqual([]);
  });

  it('throws once one event grows past the cap', () => {
    const p = new SseParser(64);
    expect(() => p.push(`data: ${'x'.repeat(100)}`)).toThrow(SseOverflowError);
    const q = new SseParser(64);
    expect(() => {
      for (let i = 0; i < 20; i++) q.push('data: 0123456789\n');
    }).toThrow(SseOverflowError);
  });
});
