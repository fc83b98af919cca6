// No pattern may take super-linear time: adversarial inputs of 1 KB, 10 KB and 100 KB must scale about
// linearly. Only ratios are asserted (no wall-clock thresholds): equal bytes at each size cost about the
// same when time is linear, and ~10x more per step when it is quadratic.
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/defender/index.ts';
import type { DefenderInput } from '../../../src/defender/index.ts';

/** Adversarial generators: repeated near-matches for the phrase rules, the decoders and the shell parser. */
export const ADVERSARIAL: Record<string, (size: number) => DefenderInput> = {
  prompt_near_match: (n) => ({ kind: 'prompt', text: 'ignore all previous '.repeat(n / 20).slice(0, n) }),
  prompt_markdown: (n) => ({ kind: 'prompt', text: '![a](http://x?'.repeat(n / 14).slice(0, n) }),
  prompt_encodings: (n) => ({ kind: 'prompt', text: 'QUFB%41%4\\x41 0x4101 '.repeat(n / 21).slice(0, n) }),
  prompt_spaced: (n) => ({ kind: 'prompt', text: 'a b c d e f '.repeat(n / 12).slice(0, n) }),
  command_quotes: (n) => ({ kind: 'command', text: `echo ${'"$(\'`{a,'.repeat(n / 8)}`.slice(0, n) }),
  command_pipes: (n) => ({ kind: 'command', text: 'a|b&&c;{d,e} $IFS '.repeat(n / 18).slice(0, n) }),
  tool_result_mix: (n) => ({ kind: 'tool_result', text: 'Disregard\u200b prior <|im_start|> rm -rf / '.repeat(n / 40).slice(0, n) }),
};

/** Best-of-3 time to evaluate `reps` copies: the same number of bytes at every size, so linear = equal. */
function time(input: DefenderInput, reps: number): number {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) evaluate(input);
    best = Math.min(best, performance.now() - t0);
  }
  return Math.max(best, 0.05);
}

describe('linear time', () => {
  it.each(Object.keys(ADVERSARIAL))('scales about linearly on %s (1 KB -> 10 KB -> 100 KB)', (name) => {
    const gen = ADVERSARIAL[name]!;
    time(gen(10_000), 3); // warm up the JIT
    // 100 x 1 KB, 10 x 10 KB and 1 x 100 KB: equal bytes. Linear stays ~1x per step; quadratic gives ~10x.
    const t1 = time(gen(1_000), 100), t10 = time(gen(10_000), 10), t100 = time(gen(100_000), 1);
    expect(t10 / t1).toBeLessThan(6);
    expect(t100 / t10).toBeLessThan(6);
  });
});
