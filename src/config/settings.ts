/**
 * Runtime settings read from `env` vars, parsed with the config schema and cached per env object.
 * Workers get these from wrangler [vars]/secrets; the Node host flattens its config file into the same vars.
 * `config.patch`/`config.set` replace the hot sections in place (`applyHotSettings`), so every later
 * `settingsOf(env)` in this process sees them.
 */
import type { Env } from '../env.ts';
import { resolveConfig, type Config } from './schema.ts';

const cache = new WeakMap<object, Config>();

/** Validated settings for this env (throws ConfigError naming the bad var). */
export function settingsOf(env: Env): Config {
  let settings = cache.get(env);
  if (!settings) {
    // SAFETY: only the string vars named in ENV_OVERRIDES are read from env.
    settings = resolveConfig({}, env as unknown as Record<string, string | undefined>, 'vars');
    cache.set(env, settings);
  }
  return settings;
}

/**
 * Replaces the hot sections (logLevel, agent, queue, history, cron) of this env's settings with those of
 * `next`; other sections keep their start-up values until a restart.
 * @example applyHotSettings(env, { ...settingsOf(env), logLevel: 'debug' }); settingsOf(env).logLevel === 'debug'
 */
export function applyHotSettings(env: Env, next: Pick<Config, 'logLevel' | 'agent' | 'queue' | 'history' | 'cron'>): void {
  const current = settingsOf(env);
  cache.set(env, { ...current, logLevel: next.logLevel, agent: next.agent, queue: next.queue, history: next.history, cron: next.cron });
}

/** The hot sections of a stored config, as the gateway object hands them out, with the stored config's hash. */
export interface HotSettingsFeed {
  hash: string;
  settings: Pick<Config, 'logLevel' | 'agent' | 'queue' | 'history' | 'cron'>;
}

/** How often one env asks the gateway object for its hot sections at most (Workers). */
export const HOT_REFRESH_MS = 5_000;

const feeds = new WeakMap<object, { at: number; hash: string | null; pending: Promise<void> | null }>();

/**
 * For objects that do not share the gateway object's isolate (Workers): asks `fetchHot` for the stored hot
 * sections at most every {@link HOT_REFRESH_MS} per env (concurrent callers share one request) and applies a
 * new version once, so `config.patch` reaches every session object within seconds. Failures keep the current
 * settings and are retried on the next refresh.
 * @example await refreshHotSettings(env, () => env.GATEWAY.getByName('main').hotSettings())
 */
export async function refreshHotSettings(env: Env, fetchHot: () => Promise<HotSettingsFeed | null>, now = Date.now()): Promise<void> {
  let state = feeds.get(env);
  if (!state) {
    state = { at: -Infinity, hash: null, pending: null };
    feeds.set(env, state);
  }
  if (state.pending) return state.pending;
  if (now - state.at < HOT_REFRESH_MS) return;
  const s = state;
  s.at = now;
  s.pending = (async () => {
    try {
      const feed = await fetchHot();
      if (feed && feed.hash !== s.hash) {
        applyHotSettings(env, feed.settings);
        s.hash = feed.hash;
      }
    } catch {
      s.at = -Infinity;
    } finally {
      s.pending = null;
    }
  })();
  return s.pending;
}
