// The config schema: defaults, env overrides, and errors that name key, source, value and expectation.
import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../../src/config/schema.ts';

function problems(file: unknown, env: Record<string, string> = {}) {
  try {
    resolveConfig(file, env, 'edgeclaw.json5');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('config schema', () => {
  it('fills every default from an empty file', () => {
    const c = resolveConfig({}, {}, 'defaults');
    expect(c).toMatchObject({ host: '127.0.0.1', port: 18789, dataDir: './data', queue: { cap: 20, mode: 'steer', drop: 'summarize', debounceMs: 500, maxConcurrent: 8, idempotencyCap: 5_000, idempotencyTtlMs: 86_400_000 }, history: { cap: 1_000 } });
    expect(c.gateway.token).toBeUndefined();
  });

  it('lets env override the file', () => {
    const c = resolveConfig({ port: 1000, queue: { cap: 3 } }, { PORT: '2000', EDGECLAW_QUEUE_CAP: '7' }, 'f');
    expect(c.port).toBe(2000);
    expect(c.queue.cap).toBe(7);
  });

  it('names the env var when an env value is bad', () => {
    expect(problems({}, { PORT: '-1' })).toEqual([{ key: 'port', source: 'env PORT', value: '-1', expected: 'expected an integer port between 0 and 65535' }]);
  });

  it('reports unknown keys with the allowed ones, at any depth', () => {
    expect(problems({ queue: { cap: 2, capp: 'x' } })).toEqual([
      { key: 'queue.capp', source: 'edgeclaw.json5', value: undefined, expected: 'unknown key (allowed: cap, mode, drop, debounceMs, byChannel, maxConcurrent, globalCap, idempotencyCap, idempotencyTtlMs)' },
    ]);
  });

  it('never echoes a secret value', () => {
    const [p] = problems({ gateway: { token: 'short' } });
    expect(p).toMatchObject({ key: 'gateway.token', value: '<redacted>' });
  });

  it('rejects a non-object file', () => {
    expect(problems([1, 2])).toEqual([{ key: '(root)', source: 'edgeclaw.json5', value: [1, 2], expected: 'expected an object' }]);
  });
});
