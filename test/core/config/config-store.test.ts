// The pure parts of config.get/patch/set: canonical hash, merge patch, redaction round trip, validation
// paths, hot-key classification, and the usage rollup's null-for-unknown-price rule.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { changedPaths, configHash, isHotPath, mergePatch, overlayConfig, REDACTED, redactConfig, restoreRedacted, validateStored } from '../../../src/config/store.ts';
import { UsageStore } from '../../../src/usage/usage-store.ts';
import { NodeSqlStorage } from '../../../node-adapter/sql-storage.ts';
import { openDatabase } from '../../../node-adapter/sqlite.ts';

describe('config store helpers', () => {
  it('hashes equal configs equally whatever the key order', async () => {
    expect(await configHash({ a: 1, b: { c: 2, d: [1, 2] } })).toBe(await configHash({ b: { d: [1, 2], c: 2 }, a: 1 }));
    expect(await configHash({ a: 1 })).not.toBe(await configHash({ a: 2 }));
  });

  it('merges patches: objects merge, null deletes, arrays replace, reserved keys refused', () => {
    expect(mergePatch({ queue: { cap: 5, mode: 'steer' }, list: [1, 2] }, { queue: { cap: null, drop: 'old' }, list: [3] })).toEqual({ queue: { mode: 'steer', drop: 'old' }, list: [3] });
    expect(() => mergePatch({}, JSON.parse('{"__proto__": {"x": 1}}'))).toThrow(/reserved key/);
  });

  it('redacts secrets and puts stored values back when the sentinel comes back', () => {
    const stored = { hooks: { token: 'hook-secret-0123456789' }, gateway: { credentials: [{ id: 'a', secret: 's1' }, { id: 'b', secret: 's2' }] }, logLevel: 'info' };
    const shown = redactConfig(stored) as typeof stored;
    expect(JSON.stringify(shown)).not.toMatch(/hook-secret|s1|s2/);
    expect(shown.hooks.token).toBe(REDACTED);
    // The client reorders the credentials and sends everything back: secrets follow their id.
    const back = { ...shown, gateway: { credentials: [shown.gateway.credentials[1], shown.gateway.credentials[0]] } };
    expect(restoreRedacted(back, stored)).toEqual({ ...stored, gateway: { credentials: [{ id: 'b', secret: 's2' }, { id: 'a', secret: 's1' }] } });
    expect(() => restoreRedacted({ hooks: { token: REDACTED } }, {})).toThrow(/hooks\.token: __EDGECLAW_REDACTED__ has no stored value/);
  });

  it('names the bad path when validating', () => {
    expect(() => validateStored({ queue: { cap: 0 } })).toThrow(/^invalid config: queue\.cap: expected an integer between 1 and 10000$/);
    expect(() => validateStored({ queue: { capp: 1 } })).toThrow(/queue\.capp: unknown key/);
  });

  it('lists changed leaves and classifies hot keys', () => {
    const changed = changedPaths({ queue: { cap: 1 }, port: 1 }, { queue: { cap: 2 }, port: 2, logLevel: 'debug' });
    expect(changed).toEqual(['logLevel', 'port', 'queue.cap']);
    expect(changed.filter(isHotPath)).toEqual(['logLevel', 'queue.cap']);
  });

  it('applies a Workers overlay on top of env vars', () => {
    expect(overlayConfig({ EDGECLAW_QUEUE_CAP: '5', EDGECLAW_LOG_LEVEL: 'warn' }, { queue: { cap: 9 } })).toMatchObject({ queue: { cap: 9 }, logLevel: 'warn' });
  });
});

describe('UsageStore', () => {
  it('rolls up per day and model, with null cost for models without a price', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgeclaw-usage-'));
    const db = openDatabase(join(dir, 'u.sqlite'));
    try {
      const u = new UsageStore(new NodeSqlStorage(db), 3);
      u.migrate();
      const day = Date.UTC(2026, 0, 2);
      u.record('openai/gpt-4o-mini', 1_000_000, 0, day);
      u.record('openai/gpt-4o-mini', 0, 1_000_000, day);
      expect(u.summary().totals).toMatchObject({ input: 1_000_000, output: 1_000_000, runs: 2, totalCost: 0.75, unpricedModels: [] });
      u.record('fake/echo', 10, 5, day);
      const s = u.summary();
      expect(s.totals).toMatchObject({ totalTokens: 2_000_015, totalCost: null, pricedCost: 0.75, unpricedModels: ['fake/echo'] });
      expect(s.byModel.find((m) => m.model === 'fake/echo')).toMatchObject({ input: 10, output: 5, totalCost: null });
      // Overflow: the cap is 3 rows; the oldest day goes first.
      u.record('fake/echo', 1, 1, Date.UTC(2026, 0, 3));
      u.record('fake/echo', 1, 1, Date.UTC(2026, 0, 4));
      expect(u.summary().daily.map((d) => d.date)).toEqual(['2026-01-02', '2026-01-03', '2026-01-04']);
      expect(u.summary('2026-01-03').daily).toHaveLength(2);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
