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
export function applyHotSettings(env: Env, next: Config): void {
  const current = settingsOf(env);
  cache.set(env, { ...current, logLevel: next.logLevel, agent: next.agent, queue: next.queue, history: next.history, cron: next.cron });
}
