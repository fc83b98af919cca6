// The README's configuration reference is generated from the one schema (`npm run docs:config`); this fails
// when the README region is stale, when a key has no description, or when an env override is undocumented.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { START_FLAGS } from '../../node-adapter/config.ts';
import { REFERENCE_BEGIN, REFERENCE_END, referenceRows, renderConfigReference, replaceReferenceRegion } from '../../src/config/reference.ts';
import { ENV_OVERRIDES } from '../../src/config/schema.ts';

const README = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
const FLAGS = Object.fromEntries(Object.entries(START_FLAGS).map(([flag, env]) => [env, `--${flag}`]));

describe('configuration reference', () => {
  it('matches the README region (run `npm run docs:config` after changing src/config/schema.ts)', () => {
    const region = README.slice(README.indexOf(REFERENCE_BEGIN) + REFERENCE_BEGIN.length, README.indexOf(REFERENCE_END)).trim();
    expect(region).toBe(renderConfigReference(FLAGS));
  });

  it('describes every key', () => {
    expect(referenceRows(FLAGS).filter((r) => !r.description?.trim()).map((r) => r.key)).toEqual([]);
  });

  it('lists every env override and start flag on the key it sets', () => {
    const rows = referenceRows(FLAGS);
    for (const [env, path] of Object.entries(ENV_OVERRIDES)) expect(rows.find((r) => r.key === path)?.env, env).toBe(env);
    for (const [flag, env] of Object.entries(START_FLAGS)) {
      if (env === 'EDGECLAW_CONFIG') continue; // the file itself, not a key
      expect(rows.find((r) => r.env === env)?.flag, flag).toBe(`--${flag}`);
    }
  });

  it('takes defaults from the schema itself', () => {
    const rows = referenceRows(FLAGS);
    expect(rows.find((r) => r.key === 'port')).toMatchObject({ default: 18789, values: 'integer 0–65535' });
    expect(rows.find((r) => r.key === 'runtime.memorySampleSecs')).toMatchObject({ default: 30, env: 'EDGECLAW_MEMORY_SAMPLE_SECS' });
    expect(rows.find((r) => r.key === 'gateway.token')?.default).toBeUndefined();
  });

  it('replaces only the marked region and refuses a README without markers', () => {
    const doc = `intro\n${REFERENCE_BEGIN}\nold\n${REFERENCE_END}\noutro\n`;
    expect(replaceReferenceRegion(doc, 'NEW')).toBe(`intro\n${REFERENCE_BEGIN}\nNEW\n${REFERENCE_END}\noutro\n`);
    expect(() => replaceReferenceRegion('no markers', 'NEW')).toThrow(/config:begin/);
  });
});
