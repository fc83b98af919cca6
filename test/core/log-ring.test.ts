// LogRing: bounded by lines and bytes, cursor paging, and a reset flag for readers that fell behind.
import { describe, expect, it } from 'vitest';
import { LogRing } from '../../src/logs.ts';

describe('log ring', () => {
  it('keeps only the newest lines within its line and byte caps', () => {
    const ring = new LogRing(3, 1_000);
    for (let i = 1; i <= 5; i++) ring.push(`line ${i}`);
    expect(ring.tail({ limit: 10, maxBytes: 10_000 }).lines).toEqual(['line 3', 'line 4', 'line 5']);
    const bytes = new LogRing(100, 20);
    for (let i = 1; i <= 5; i++) bytes.push(`0123456789`);
    expect(bytes.tail({ limit: 10, maxBytes: 10_000 }).lines).toHaveLength(2);
  });

  it('pages from a cursor and flags a reader whose cursor was overwritten', () => {
    const ring = new LogRing(4, 1_000);
    for (let i = 1; i <= 3; i++) ring.push(`l${i}`);
    const first = ring.tail({ limit: 2, maxBytes: 10_000, cursor: 0 });
    expect(first).toMatchObject({ lines: ['l1', 'l2'], cursor: 2, truncated: true });
    const next = ring.tail({ limit: 10, maxBytes: 10_000, cursor: first.cursor });
    expect(next.lines).toEqual(['l3']);
    for (let i = 4; i <= 10; i++) ring.push(`l${i}`);
    expect(ring.tail({ limit: 10, maxBytes: 10_000, cursor: next.cursor })).toMatchObject({ reset: true, lines: ['l7', 'l8', 'l9', 'l10'] });
  });
});
