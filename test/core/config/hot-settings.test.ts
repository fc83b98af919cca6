// refreshHotSettings: how session objects in other isolates (Workers) pick up config.patch's hot sections.
import { describe, expect, it } from 'vitest';
import { HOT_REFRESH_MS, refreshHotSettings, settingsOf, type HotSettingsFeed } from '../../../src/config/settings.ts';
import type { Env } from '../../../src/env.ts';

function feedWith(cap: number, hash: string): HotSettingsFeed {
  const base = settingsOf({} as Env);
  return { hash, settings: { logLevel: base.logLevel, agent: base.agent, queue: { ...base.queue, cap }, history: base.history, cron: base.cron } };
}

describe('refreshHotSettings', () => {
  it('applies a new version once, asks at most every HOT_REFRESH_MS, and shares one request between callers', async () => {
    const env = {} as Env;
    let calls = 0;
    let feed: HotSettingsFeed | null = null;
    const fetchHot = async () => {
      calls++;
      return feed;
    };
    await refreshHotSettings(env, fetchHot, 1_000);
    expect(calls).toBe(1);
    expect(settingsOf(env).queue.cap).toBe(20);
    feed = feedWith(7, 'h1');
    await refreshHotSettings(env, fetchHot, 1_000 + HOT_REFRESH_MS - 1);
    expect(calls).toBe(1);
    await Promise.all([refreshHotSettings(env, fetchHot, 1_000 + HOT_REFRESH_MS), refreshHotSettings(env, fetchHot, 1_000 + HOT_REFRESH_MS)]);
    expect(calls).toBe(2);
    expect(settingsOf(env).queue.cap).toBe(7);
    // The same version is not applied again (a local change since then stays).
    const applied = settingsOf(env);
    await refreshHotSettings(env, fetchHot, 1_000 + 2 * HOT_REFRESH_MS);
    expect(calls).toBe(3);
    expect(settingsOf(env)).toBe(applied);
  });

  it('keeps the current settings when the gateway cannot be asked, and asks again on the next call', async () => {
    const env = {} as Env;
    let fail = true;
    const fetchHot = async () => {
      if (fail) throw new Error('gateway unreachable');
      return feedWith(3, 'h2');
    };
    await refreshHotSettings(env, fetchHot, 0);
    expect(settingsOf(env).queue.cap).toBe(20);
    fail = false;
    await refreshHotSettings(env, fetchHot, 1);
    expect(settingsOf(env).queue.cap).toBe(3);
  });
});
