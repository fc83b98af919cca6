// latestWins: a stream position written often keeps one write in flight and only the newest value waiting.
import { describe, expect, it } from 'vitest';
import { latestWins } from '../../src/storage/repos/meta.ts';

describe('latestWins', () => {
  it('writes the first value at once, then only the newest of those that arrived meanwhile', async () => {
    const written: number[] = [];
    let release: () => void = () => undefined;
    const w = latestWins<number>(async (v) => {
      written.push(v);
      if (v === 1) await new Promise<void>((r) => (release = r));
    });
    w.push(1);
    w.push(2);
    w.push(3);
    expect(written).toEqual([1]);
    release();
    await w.flush();
    expect(written).toEqual([1, 3]);
  });

  it('reports a failed write and still writes the next value', async () => {
    const errors: unknown[] = [];
    const written: number[] = [];
    const w = latestWins<number>(async (v) => {
      if (v === 1) throw new Error('disk full');
      written.push(v);
    }, (e) => errors.push(e));
    w.push(1);
    await w.flush();
    w.push(2);
    await w.flush();
    expect(errors.map(String)).toEqual(['Error: disk full']);
    expect(written).toEqual([2]);
  });
});
