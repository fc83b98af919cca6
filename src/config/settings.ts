/**
 * Runtime settings read from `env` vars, parsed with the config schema and cached per env object.
 * Workers get these from wrangler [vars]/secrets; the Node host flattens its config file into the same vars.
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
